//! OGC API – Features Part 1 metadata documents: the landing page, the conformance
//! declaration, the collection list and one collection's description. Typed as the standard
//! names them (ogcapi-rs style), `Serialize + ToSchema`, so /api describes what is served.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use crate::atlas::Snapshot;
use crate::collection::Collection;
use crate::crs::Crs;

use super::format::{self, Format};
use super::link::{Link, JSON, OPENAPI};
use super::RequestError;

/// The conformance classes of OGC API – Features (Parts 1–4 as far as implemented), CQL2 and
/// sorting; other modules (tiles) declare theirs beside them.
pub const FEATURES_CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    // Part 3 filtering and the CQL2 classes the filter module implements.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    // sortby as OGC API – Records defines it.
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
];

pub const SCHEMA_JSON: &str = "application/schema+json";
pub const QUERYABLES_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";
pub const SORTABLES_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/sortables";
// The tiles relations live with the tiles documents.
use super::tiles::{REL_TILESETS_VECTOR, REL_TILING_SCHEMES};
/// The link relation from a collection to its deletions feed.
pub const DELETIONS_REL: &str = "deletions";

/// The landing page (`/`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LandingPage {
    pub title: String,
    pub description: String,
    pub links: Vec<Link>,
}

/// The conformance declaration (`/conformance`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Conformance {
    pub conforms_to: Vec<String>,
    pub links: Vec<Link>,
}

/// The collection list (`/collections`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Collections {
    pub links: Vec<Link>,
    /// Every CRS features can be written in (Part 2), the default first.
    pub crs: Vec<String>,
    pub collections: Vec<CollectionInfo>,
}

/// One collection's description (`/collections/{collectionId}`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Collection)]
pub struct CollectionInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Always "feature".
    pub item_type: String,
    /// CRS URIs features can be requested in (crs).
    pub crs: Vec<String>,
    pub storage_crs: String,
    pub extent: Extent,
    /// The GeoJSON geometry types its features have.
    pub geometry_types: Vec<String>,
    pub links: Vec<Link>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Extent {
    // Absent, never null, when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub spatial: Option<SpatialExtent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub temporal: Option<TemporalExtent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpatialExtent {
    /// [min lon, min lat, max lon, max lat], one box.
    pub bbox: Vec<[f64; 4]>,
    pub crs: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemporalExtent {
    /// [first, last] instants (RFC 3339), one interval.
    pub interval: Vec<[String; 2]>,
    pub trs: String,
}

/// The landing page; `links` are its self and alternates.
pub fn landing(base: &str, mut links: Vec<Link>) -> LandingPage {
    links.extend([
        Link::new(format!("{base}/api"), "service-desc", OPENAPI)
            .titled("The OpenAPI 3 definition"),
        Link::new(format!("{base}/conformance"), "conformance", JSON).titled("Conformance classes"),
        Link::new(format!("{base}/collections"), "data", JSON).titled("Collections"),
        Link::new(format!("{base}/tileMatrixSets"), REL_TILING_SCHEMES, JSON)
            .titled("Tile matrix sets of the vector tiles"),
        Link::new(format!("{base}/map"), "related", "text/html")
            .titled("The map viewer: every layer, a time slider, live updates"),
    ]);
    LandingPage {
        title: "Incident Atlas".into(),
        description: "Conflict incidents placed against a gazetteer of named places, served as \
                      OGC API – Features. Default data: the January 2022 attack on al-Sina'a \
                      prison, al-Hasakah, Syria."
            .into(),
        links,
    }
}

/// The conformance declaration of every class in `classes`.
pub fn conformance(classes: &[&[&str]], links: Vec<Link>) -> Conformance {
    Conformance {
        conforms_to: classes
            .iter()
            .flat_map(|c| c.iter())
            .map(|c| c.to_string())
            .collect(),
        links,
    }
}

/// Every collection of `snap`, each with its own self and alternate links.
pub fn collections(snap: &Snapshot, base: &str, links: Vec<Link>) -> Collections {
    let collections = snap
        .collections()
        .iter()
        .map(|c| {
            let url = format!("{base}/collections/{}", c.id());
            let own = super::link::self_and_alternates(&url, &[], Format::Json, format::METADATA);
            collection(c.as_ref(), base, own)
        })
        .collect();
    Collections {
        links,
        crs: crs_uris(),
        collections,
    }
}

/// A collection's description; `links` are its self and alternates, to which the items
/// links (one per format, GeoJSON first for clients that take the first) are added.
pub fn collection(c: &dyn Collection, base: &str, mut links: Vec<Link>) -> CollectionInfo {
    let id = c.id();
    let extent = c.extent();
    let items_url = format!("{base}/collections/{id}/items");
    for f in format::ITEMS {
        let href = if f == &format::ITEMS[0] {
            items_url.clone()
        } else {
            format!("{items_url}?f={}", f.name())
        };
        links.push(Link::new(href, "items", f.media_type()).titled(format!(
            "{} as {}",
            c.title(),
            f.title()
        )));
    }
    links.extend([
        Link::new(
            format!("{base}/collections/{id}/queryables"),
            QUERYABLES_REL,
            SCHEMA_JSON,
        )
        .titled("Properties to filter on"),
        Link::new(
            format!("{base}/collections/{id}/sortables"),
            SORTABLES_REL,
            SCHEMA_JSON,
        )
        .titled("Properties to sort by"),
        Link::new(
            format!("{base}/collections/{id}/tiles"),
            REL_TILESETS_VECTOR,
            JSON,
        )
        .titled(format!("{} as vector tiles", c.title())),
    ]);
    if c.keeps_deletions() {
        links.push(
            Link::new(
                format!("{base}/collections/{id}/deletions"),
                DELETIONS_REL,
                JSON,
            )
            .titled(format!(
                "Deleted {} and when, for mirrors (deleted_after=…)",
                c.record_kind().map_or("features", |k| k.plural())
            )),
        );
    }
    CollectionInfo {
        id: id.to_owned(),
        title: c.title().to_owned(),
        description: c.description(),
        item_type: "feature".into(),
        crs: crs_uris(),
        storage_crs: Crs::Crs84.uri().to_owned(),
        extent: Extent {
            spatial: extent.bbox.map(|b| SpatialExtent {
                bbox: vec![b],
                crs: Crs::Crs84.uri().to_owned(),
            }),
            temporal: extent.interval.map(|(first, last)| TemporalExtent {
                interval: vec![[format!("{first}T00:00:00Z"), format!("{last}T23:59:59Z")]],
                trs: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian".into(),
            }),
        },
        geometry_types: c
            .geometry_kind()
            .geojson_types()
            .iter()
            .map(|t| t.to_string())
            .collect(),
        links,
    }
}

/// Every CRS features can be written in (OGC API – Features Part 2), the default first.
pub fn crs_uris() -> Vec<String> {
    Crs::ALL.iter().map(|c| c.uri().to_owned()).collect()
}

/// The collection `id` of `snap`, or a 404 listing those there are.
pub fn find_collection(snap: &Snapshot, id: &str) -> Result<Arc<dyn Collection>, RequestError> {
    snap.collection(id).ok_or_else(|| {
        let ids: Vec<&str> = snap.collections().iter().map(|c| c.id()).collect();
        RequestError::NotFound(format!(
            "no collection '{id}'; collections are: {}",
            ids.join(", ")
        ))
    })
}
