//! A displacement report's fields, declared once, in the order a Feature writes them (the id
//! first), then the input-only names that say the same another way.

use super::displacement::DisplacementReport;
use super::field::{self, record_field, Field, Places};
use crate::filter::Kind;

macro_rules! report {
    ($($declaration:tt)*) => {
        record_field!(DisplacementReport, $($declaration)*)
    };
}

/// A count of people is a whole number a `u32` holds.
const COUNT: (i64, i64) = (0, u32::MAX as i64);

/// Every field of a displacement report.
pub const FIELDS: &[Field<DisplacementReport>] = &[
    report!("id", Integer, "Feature id", |r| r.id).key(),
    report!("date_start", Date, "First day of the displacement", |r| r
        .date_start),
    report!("date_end", Date, "Last day of the displacement", |r| r
        .date_end),
    report!(
        "origin_id",
        Text,
        "Gazetteer id of the place people left",
        |r| &r.origin_id
    )
    .filterable(),
    // Named by the gazetteer when the report is served.
    Field::new("origin_name", Kind::Text, "Name of the origin").derived(),
    report!(
        "destination_id",
        Text,
        "Gazetteer id of the destination (null: unknown)",
        |r| &r.destination_id
    )
    .nullable()
    .filterable(),
    Field::new("destination_name", Kind::Text, "Name of the destination")
        .derived()
        .nullable(),
    report!("households", Integer, "Households (best estimate)", |r| r
        .households
        .map(|c| c.best))
    .nullable()
    .range(COUNT.0, COUNT.1),
    report!("households_low", Integer, "Households, low estimate", |r| r
        .households
        .and_then(|c| c.low))
    .nullable()
    .range(COUNT.0, COUNT.1),
    report!(
        "households_high",
        Integer,
        "Households, high estimate",
        |r| r.households.and_then(|c| c.high)
    )
    .nullable()
    .range(COUNT.0, COUNT.1),
    report!("individuals", Integer, "Individuals (best estimate)", |r| r
        .individuals
        .map(|c| c.best))
    .nullable()
    .range(COUNT.0, COUNT.1),
    report!(
        "individuals_low",
        Integer,
        "Individuals, low estimate",
        |r| r.individuals.and_then(|c| c.low)
    )
    .nullable()
    .range(COUNT.0, COUNT.1),
    report!(
        "individuals_high",
        Integer,
        "Individuals, high estimate",
        |r| r.individuals.and_then(|c| c.high)
    )
    .nullable()
    .range(COUNT.0, COUNT.1),
    report!("source", Text, "Sources", |r| &r.source).nullable(),
    report!("source_url", Text, "Source URL", |r| &r.source_url).nullable(),
    report!("notes", Text, "Notes", |r| &r.notes).nullable(),
    report!(
        "created_at",
        Timestamp,
        "When the report was created",
        |r| r.created_at
    )
    .read_only(),
    report!(
        "updated_at",
        Timestamp,
        "When the report was last changed",
        |r| r.updated_at
    )
    .read_only(),
    Field::new(
        "date",
        Kind::Text,
        "YYYY-MM-DD, or a range YYYY-MM-DD/YYYY-MM-DD (instead of date_start and date_end)",
    )
    .only(Places::NONE),
    Field::new(
        "origin",
        Kind::Text,
        "The origin's name, resolved against the gazetteer (instead of origin_id)",
    )
    .only(Places::NONE),
    Field::new(
        "destination",
        Kind::Text,
        "The destination's name, resolved against the gazetteer (instead of destination_id)",
    )
    .only(Places::NONE),
];

/// Equality filters on reports.
pub const FILTERABLE: &[(&str, &str)] =
    &field::filterable::<DisplacementReport, { field::count(FIELDS, Places::FILTERABLE) }>(FIELDS);

/// Every property a report Feature has, in the order it is written.
pub const PROPERTY_NAMES: &[&str] = &field::names::<
    DisplacementReport,
    { field::count(FIELDS, Places::PROPERTY) },
>(FIELDS, Places::PROPERTY);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field::Access;

    #[test]
    fn stored_fields_are_read_from_the_report() {
        for f in FIELDS {
            if f.places.has(Places::SQL) {
                assert!(f.read.is_some(), "{}", f.name);
            }
            // The names a report is given instead of its ids and dates are input only.
            if f.read.is_none() && f.access == Access::Input {
                assert_eq!(f.places, Places::NONE, "{}", f.name);
            }
        }
        assert_eq!(FILTERABLE.len(), 2);
    }
}
