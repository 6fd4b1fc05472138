//! An incident's fields, declared once: ACLED's names, in the order a Feature writes them
//! (the id first, then the properties), then those no Feature carries (the geometry for
//! filters, an input-only name, ACLED columns of its CSV layout only).

use chrono::Datelike;

use super::field::{self, record_field, Field, Places};
use super::incident::{Incident, Placement};
use super::taxonomy;
use crate::filter::{GeometryRef, Kind, Property, Value};

macro_rules! incident {
    ($($declaration:tt)*) => {
        record_field!(Incident, $($declaration)*)
    };
}

/// Every field of an incident.
pub const FIELDS: &[Field<Incident>] = &[
    incident!("id", Integer, "Incident id", |i| i.id).key(),
    incident!(
        "event_id_cnty",
        Text,
        "ACLED event id, when imported from ACLED",
        |i| &i.event_id_cnty
    )
    .nullable()
    .filterable(),
    incident!("event_date", Date, "Day of the event (UTC)", |i| i
        .event_date)
    .required(),
    incident!("year", Integer, "Year of event_date", |i| i
        .event_date
        .year())
    .derived()
    .filterable(),
    incident!(
        "time_precision",
        Integer,
        "ACLED time precision (1-3)",
        |i| i.time_precision
    )
    .range(1, 3)
    .filterable(),
    incident!(
        "disorder_type",
        Text,
        "ACLED disorder type, derived from the event type",
        |i| i.disorder_type()
    )
    .derived()
    .one_of(taxonomy::disorder_types)
    .filterable(),
    incident!("event_type", Text, "ACLED event type", |i| &i.event_type)
        .required()
        .one_of(taxonomy::event_types)
        .filterable(),
    incident!("sub_event_type", Text, "ACLED sub-event type", |i| &i
        .sub_event_type)
    .required()
    .one_of(taxonomy::sub_event_types)
    .filterable(),
    incident!("actor1", Text, "Main actor", |i| &i.actor1)
        .required()
        .filterable(),
    incident!(
        "assoc_actor_1",
        Text,
        "Actors associated with actor1",
        |i| &i.assoc_actor_1
    )
    .nullable()
    .filterable(),
    incident!(
        "inter1",
        Integer,
        "ACLED interaction code of actor1 (1-8)",
        |i| i.inter1
    )
    .nullable()
    .range(0, 8)
    .filterable(),
    incident!("actor2", Text, "Other main actor", |i| &i.actor2)
        .nullable()
        .filterable(),
    incident!(
        "assoc_actor_2",
        Text,
        "Actors associated with actor2",
        |i| &i.assoc_actor_2
    )
    .nullable()
    .filterable(),
    incident!(
        "inter2",
        Integer,
        "ACLED interaction code of actor2 (1-8)",
        |i| i.inter2
    )
    .nullable()
    .range(0, 8)
    .filterable(),
    incident!("country", Text, "Country name", |i| &i.country)
        .nullable()
        .placed()
        .filterable(),
    incident!("iso", Integer, "ISO 3166-1 numeric country code", |i| i.iso)
        .nullable()
        .range(0, 999)
        .placed()
        .filterable(),
    incident!("admin1", Text, "First-level administrative unit", |i| &i
        .admin1)
    .nullable()
    .placed()
    .filterable(),
    incident!("admin2", Text, "Second-level administrative unit", |i| &i
        .admin2)
    .nullable()
    .placed()
    .filterable(),
    incident!("admin3", Text, "Third-level administrative unit", |i| &i
        .admin3)
    .nullable()
    .placed()
    .filterable(),
    incident!("location", Text, "Location name", |i| &i.location)
        .placed()
        .filterable(),
    incident!("latitude", Number, "Latitude (WGS84)", |i| i.lat).range(-90, 90),
    incident!("longitude", Number, "Longitude (WGS84)", |i| i.lon).range(-180, 180),
    incident!("geo_precision", Integer, "ACLED geo precision (1-3)", |i| i
        .geo_precision)
    .range(1, 3)
    .placed()
    .filterable(),
    incident!("place_id", Text, "Gazetteer place id", |i| &i.place_id)
        .nullable()
        .placed()
        .filterable(),
    incident!("placement", Text, "How the point was obtained", |i| i
        .placement
        .as_str())
    .one_of(placements)
    .placed()
    .filterable(),
    incident!(
        "location_protection",
        Text,
        "How finely anonymous callers may locate it: exact (default), neighbourhood, city or region (the anchor of the containing place of that kind) or grid:KM (the centre of a KM-kilometre grid cell). Callers without a reader-exact or editor token get the generalised point and place fields.",
        |i| &i.location_protection
    )
    .filterable(),
    incident!("source", Text, "Sources", |i| &i.source)
        .nullable()
        .filterable(),
    incident!("source_url", Text, "Source URL", |i| &i.source_url).nullable(),
    incident!("notes", Text, "What happened", |i| &i.notes).nullable(),
    incident!(
        "fatalities",
        Integer,
        "Reported fatalities (best estimate)",
        |i| i.fatalities
    )
    .required()
    .range(0, u32::MAX as i64)
    .filterable(),
    incident!(
        "fatalities_low",
        Integer,
        "Lowest reported fatalities",
        |i| i.fatalities_low
    )
    .nullable()
    .range(0, u32::MAX as i64),
    incident!(
        "fatalities_high",
        Integer,
        "Highest reported fatalities",
        |i| i.fatalities_high
    )
    .nullable()
    .range(0, u32::MAX as i64),
    incident!(
        "tags",
        Text,
        "Free labels (ACLED: one ';'-separated text)",
        |i| &i.tags
    )
    .list()
    .only(Places::PROPERTY.and(Places::SQL)),
    incident!(
        "created_at",
        Timestamp,
        "When the record was created",
        |i| i.created_at
    )
    .read_only(),
    incident!(
        "updated_at",
        Timestamp,
        "When the record was last changed",
        |i| i.updated_at
    )
    .read_only(),
    // The public location of a protected incident, as JSON: stored, never served as such.
    incident!(
        "public_location",
        Text,
        "Where anonymous callers see a protected incident",
        |i| i.public.as_deref().map(|p| p.json.as_str())
    )
    .nullable()
    .read_only()
    .only(Places::SQL),
    // Only with near or nearest: the request supplies it.
    Field::new(
        "distance_m",
        Kind::Number,
        "Geodesic distance in metres from the near or nearest point",
    )
    .derived()
    .only(Places::PROPERTY),
    Field::geometry("The incident's point", |i| {
        Value::Geometry(GeometryRef::Point(geo::Point::new(i.lon, i.lat)))
    }),
    Field::new(
        "place",
        Kind::Text,
        "A place name, resolved against the gazetteer (spelling-tolerant)",
    )
    .only(Places::NONE),
    incident!(
        "timestamp",
        Integer,
        "When the incident last changed, in seconds since 1970 (ACLED's timestamp)",
        |i| i.updated_at.timestamp()
    )
    .derived()
    .only(Places::NONE),
    Field::new(
        "interaction",
        Kind::Integer,
        "ACLED interaction code of the pair",
    )
    .unkept(),
    Field::new("civilian_targeting", Kind::Text, "ACLED civilian targeting").unkept(),
    Field::new("region", Kind::Text, "ACLED region").unkept(),
    Field::new("source_scale", Kind::Text, "ACLED source scale").unkept(),
];

fn placements() -> Vec<&'static str> {
    Placement::ALL.iter().map(|p| p.as_str()).collect()
}

/// The queryables of incidents (filter and sortby): every served property but `tags` and
/// `distance_m`, with the id and the geometry.
pub static PROPERTIES: &[Property<Incident>] =
    &field::properties::<Incident, { field::count(FIELDS, Places::QUERYABLE) }>(FIELDS);

/// Properties an items request may filter on by equality (and thinned tile points keep).
pub const FILTERABLE: &[(&str, &str)] =
    &field::filterable::<Incident, { field::count(FIELDS, Places::FILTERABLE) }>(FIELDS);

/// Every property an incident Feature has, in the order it is written (`distance_m` only
/// with near / nearest).
pub const PROPERTY_NAMES: &[&str] =
    &field::names::<Incident, { field::count(FIELDS, Places::PROPERTY) }>(FIELDS, Places::PROPERTY);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feature_output::FeatureOutput;
    use crate::model::cell::Cell;
    use crate::model::field::Access;
    use crate::model::IncidentFeature;

    /// An incident with every optional field set.
    fn full() -> Incident {
        let mut i = Incident::sample(7, 40.75, 36.5);
        i.event_id_cnty = Some("SYR1".into());
        i.assoc_actor_1 = Some("B".into());
        i.inter1 = Some(2);
        i.actor2 = Some("C".into());
        i.assoc_actor_2 = Some("D".into());
        i.inter2 = Some(1);
        i.country = Some("Syria".into());
        i.iso = Some(760);
        i.admin1 = Some("Al-Hasakeh".into());
        i.admin2 = Some("Al-Hasakeh".into());
        i.admin3 = Some("Markaz Al-Hasakeh".into());
        i.place_id = Some("ghweiran".into());
        i.fatalities_low = Some(1);
        i.fatalities_high = Some(2);
        i.source = Some("SOHR".into());
        i.source_url = Some("https://example.org".into());
        i.notes = Some("n".into());
        i.tags = vec!["t".into()];
        i.location_protection = "neighbourhood".into();
        i.public = Some(crate::model::protection::Stored::new(
            crate::model::protection::PublicLocation::sample(),
        ));
        i
    }

    #[test]
    fn names_are_unique() {
        for (n, f) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS[..n].iter().all(|g| g.name != f.name),
                "{} twice",
                f.name
            );
        }
    }

    /// What a field reads is of its declared kind, and null only where declared nullable.
    #[test]
    fn readers_give_the_declared_kind_and_nullability() {
        let (full, bare) = (full(), Incident::sample(1, 40.0, 36.0));
        for f in FIELDS {
            let Some(read) = f.read else { continue };
            let cell = read(&full);
            let kind_ok = matches!(
                (f.kind, f.list, cell),
                (Kind::Text, true, Cell::Texts(_))
                    | (Kind::Text, false, Cell::Text(_))
                    | (Kind::Integer, _, Cell::Integer(_))
                    | (Kind::Number, _, Cell::Number(_))
                    | (Kind::Date, _, Cell::Date(_))
                    | (Kind::Timestamp, _, Cell::Timestamp(_))
            );
            assert!(kind_ok, "{}: {cell:?} is not {:?}", f.name, f.kind);
            assert_eq!(
                read(&bare) == Cell::Null,
                f.nullable,
                "{}: nullable is {}",
                f.name,
                f.nullable
            );
        }
    }

    /// Each reader's place has what it needs: stored fields and filterable ones are read
    /// from the incident, queryables have a reader, properties are read but the distance.
    #[test]
    fn every_place_can_read_its_fields() {
        for f in FIELDS {
            if f.places.has(Places::SQL) || f.places.has(Places::FILTERABLE) {
                assert!(f.read.is_some(), "{}", f.name);
            }
            if f.places.has(Places::QUERYABLE) {
                assert!(f.get.is_some(), "{}", f.name);
            }
            if f.places.has(Places::PROPERTY) && f.read.is_none() {
                assert_eq!(f.name, "distance_m");
            }
            if f.access == Access::Unkept {
                assert!(f.read.is_none() && f.places == Places::NONE, "{}", f.name);
            }
        }
    }

    /// The Feature writer writes exactly `PROPERTY_NAMES`, in order, the distance last.
    #[test]
    fn features_write_the_declared_properties_in_order() {
        let i = full();
        let feature = IncidentFeature {
            incident: &i,
            distance_m: Some(12.345),
            output: &FeatureOutput::DEFAULT,
        };
        let written = serde_json::to_value(&feature).unwrap();
        let keys: Vec<&str> = written["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, PROPERTY_NAMES);
        assert_eq!(written["properties"]["distance_m"], 12.35);
        assert_eq!(written["properties"]["year"], 2022);
        assert_eq!(written["properties"]["placement"], "coordinates");
    }

    /// The queryables keep their order: the id, the properties but tags and distance, the
    /// geometry.
    #[test]
    fn queryables_follow_the_properties() {
        let names: Vec<&str> = PROPERTIES.iter().map(|p| p.name()).collect();
        let expected: Vec<&str> = std::iter::once("id")
            .chain(
                PROPERTY_NAMES
                    .iter()
                    .copied()
                    .filter(|n| !["tags", "distance_m"].contains(n)),
            )
            .chain(["geometry"])
            .collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn filterable_properties_read_as_text() {
        let i = full();
        assert_eq!(FILTERABLE.len(), 24);
        for (name, _) in FILTERABLE {
            assert!(i.property_text(name).is_some(), "{name}");
        }
        assert_eq!(i.property_text("iso").as_deref(), Some("760"));
        assert_eq!(i.property_text("year").as_deref(), Some("2022"));
        assert_eq!(i.property_text("notes"), None, "not filterable");
    }
}
