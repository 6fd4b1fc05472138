//! One items request, whether it comes as the query string of `GET …/items` or as the body of
//! `POST …/search`: both are read into the same `Members` by serde (query text through
//! serde_urlencoded, a body through serde_json, errors located by serde_path_to_error) and
//! assembled into a `Selection` by the same code.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::atlas::sync::Stamps;
use crate::collection::{Collection, Selection, Spatial};
use crate::feature_output::FeatureOutput;
use crate::filter::{self, Expr, Kind, Language, SortKey};
use crate::model::Interval;

use super::geometry_member::parse_geometry;
use super::members::{Count, FilterMember, Numbers, PropertiesMember, SortBy};
use super::parameters::{
    bbox_in_crs84, conjoin, equalities, equality_parameters, parse_crs, parse_property_names,
    parse_spatial, sync_parameters, updated_after, CRS84, DEFAULT_LIMIT, MAX_LIMIT,
};
use super::query_params::QueryParams;
use super::{RequestError, SNAPSHOT};

/// The parameters every items request may carry, besides property filters, with the
/// description the OpenAPI document gives them.
pub const QUERY_PARAMETERS: &[(&str, &str)] = &[
    ("f", "Output format: geojson (default; json is the same), html, csv, geojsonseq (RFC 8142, streamed) or fgb (FlatGeobuf); wins over Accept. csv, geojsonseq and fgb carry every match unless limit is given."),
    ("limit", "Features per page, 1..10000 (default 100); larger values are clamped to 10000. Exports (csv, geojsonseq, fgb) have no default and no clamp."),
    ("offset", "Features to skip; next links set it."),
    (SNAPSHOT, super::SNAPSHOT_DESCRIPTION),
    ("bbox", "Lower corner, upper corner in bbox-crs: minLon,minLat,maxLon,maxLat in CRS84 (the default), minLat,minLon,maxLat,maxLon in EPSG:4326, minX,minY,maxX,maxY metres in EPSG:3857; 6 numbers accepted (heights ignored); a lower x/longitude greater than the upper crosses the antimeridian."),
    ("bbox-crs", "CRS of bbox, a URI: http://www.opengis.net/def/crs/OGC/1.3/CRS84 (default), http://www.opengis.net/def/crs/EPSG/0/4326 or http://www.opengis.net/def/crs/EPSG/0/3857."),
    ("crs", "CRS of the returned geometries, a URI: http://www.opengis.net/def/crs/OGC/1.3/CRS84 (default, lon/lat), http://www.opengis.net/def/crs/EPSG/0/4326 (lat/lon) or http://www.opengis.net/def/crs/EPSG/0/3857 (Web Mercator metres). The Content-Crs header names it."),
    ("properties", "Comma-separated property names: only these properties are returned (id and geometry always are); empty for none."),
    ("datetime", "RFC 3339 instant or interval a/b; '..' or empty for an open end."),
    ("near", "lon,lat: with radius, features within radius metres (geodesic), nearest first, each with distance_m."),
    ("radius", "Metres, with near."),
    ("nearest", "lon,lat: the k nearest features (geodesic), nearest first, each with distance_m."),
    ("k", "How many features nearest returns, 1..10000 (default 10)."),
    ("filter", "A CQL2 filter on the collection's queryables (see /collections/{collectionId}/queryables), ANDed with the other parameters. It may nest at most 64 levels: parentheses, NOT and GEOMETRYCOLLECTION in cql2-text, objects and arrays in cql2-json."),
    ("filter-lang", "Encoding of filter: cql2-text (default) or cql2-json."),
    ("filter-crs", "CRS of geometries in filter; only CRS84 is supported."),
    ("sortby", "Comma-separated queryables to sort by, each with an optional + (ascending, default) or - (descending) prefix, e.g. -fatalities,+event_date; ties keep the collection's order."),
];

/// The members a search body may carry: the query's, less those a body has no use for (`f`,
/// the point predicates, the collection's own parameters), plus `intersects`; `properties`
/// there holds equality filters.
pub const SEARCH_MEMBERS: &[&str] = &[
    "intersects",
    "datetime",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "properties",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "updated_after",
    SNAPSHOT,
];

/// Every member either form may carry, as serde reads them. Which form takes which member
/// is vetted before (the query by `QueryParams`, the body against `SEARCH_MEMBERS`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Members {
    f: Option<String>,
    limit: Option<Count>,
    offset: Option<Count>,
    snapshot: Option<String>,
    bbox: Option<Numbers>,
    bbox_crs: Option<String>,
    crs: Option<String>,
    properties: Option<PropertiesMember>,
    datetime: Option<String>,
    near: Option<String>,
    radius: Option<String>,
    nearest: Option<String>,
    k: Option<String>,
    intersects: Option<Value>,
    filter: Option<FilterMember>,
    filter_lang: Option<String>,
    filter_crs: Option<String>,
    sortby: Option<SortBy>,
    #[serde(rename = "updated_after")]
    updated_after: Option<String>,
}

/// Where a request came from, which decides how its errors name a member: `limit` in a
/// query string, `/limit` (a JSON pointer) in a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Query,
    Body,
}

impl Form {
    pub fn field(self, name: &str) -> String {
        match self {
            Form::Query => name.to_owned(),
            Form::Body => format!("/{name}"),
        }
    }
}

/// A parsed items request: which features, which page, how to write them.
#[derive(Debug, Clone)]
pub struct ItemsRequest {
    pub selection: Selection,
    /// `limit` as given: pages default to 100 and clamp to 10,000; downloads take every
    /// match unless limited.
    pub limit: Option<u64>,
    pub offset: usize,
    pub output: FeatureOutput,
    /// The snapshot token of a page sequence (`snapshot`), checked when the page is cut.
    pub snapshot: Option<String>,
    /// The query's pairs, in order, for the links of the answer (empty for a body).
    pub query: QueryParams,
}

impl ItemsRequest {
    /// The names an items query string of `c` may carry.
    pub fn query_names(c: &dyn Collection) -> Vec<&'static str> {
        let mut names: Vec<&str> = QUERY_PARAMETERS.iter().map(|(n, _)| *n).collect();
        names.extend(sync_parameters(c).iter().map(|(n, _)| *n));
        names.extend(equality_parameters(c).iter().map(|(n, _)| *n));
        names.extend(c.parameters().iter().map(|(n, _)| *n));
        names
    }

    /// `GET …/items?…`: fixed names through serde, the collection's property filters and own
    /// parameters by name.
    pub fn from_query(
        query_string: &str,
        c: &dyn Collection,
        stamps: &Stamps,
    ) -> Result<ItemsRequest, RequestError> {
        // Per request, so tested name by name rather than listed (the list is only for the
        // message refusing a name).
        let queryables = c.queryables();
        let accepts = |k: &str| {
            let named = |list: &[(&str, &str)]| list.iter().any(|(n, _)| *n == k);
            named(QUERY_PARAMETERS)
                || named(c.parameters())
                || named(c.filterable())
                || queryables
                    .iter()
                    .any(|q| q.name == k && q.kind != Kind::Geometry)
                || (k == "updated_after" && !sync_parameters(c).is_empty())
        };
        let query = QueryParams::parse_by(
            query_string,
            accepts,
            || Self::query_names(c),
            "this collection",
        )?;
        let fixed =
            query.only(|k| QUERY_PARAMETERS.iter().any(|(n, _)| *n == k) || k == "updated_after");
        let encoded = super::link::query_string(&fixed);
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        let members: Members = deserialize(de, Form::Query)?;
        let dynamic = query.only(|k| !fixed.iter().any(|(n, _)| n == k));
        let mut request = members.assemble(c, Form::Query, &dynamic, stamps)?;
        request.query = query;
        Ok(request)
    }

    /// `POST …/search` with a JSON object.
    pub fn from_search_body(
        body: &Value,
        c: &dyn Collection,
        stamps: &Stamps,
    ) -> Result<ItemsRequest, RequestError> {
        let Some(obj) = body.as_object() else {
            return Err(RequestError::bad(
                "body",
                "expected a JSON object with intersects, datetime, limit",
            ));
        };
        for k in obj.keys() {
            if !SEARCH_MEMBERS.contains(&k.as_str()) {
                return Err(RequestError::bad(
                    format!("/{k}"),
                    format!("unknown member; accepted: {}", SEARCH_MEMBERS.join(", ")),
                ));
            }
        }
        let members: Members = deserialize(Value::Object(Map::clone(obj)), Form::Body)?;
        members.assemble(c, Form::Body, &[], stamps)
    }

    /// Features per page.
    pub fn page_limit(&self) -> usize {
        self.limit
            .map_or(DEFAULT_LIMIT, |n| n.min(MAX_LIMIT as u64) as usize)
    }

    /// Features in a download: every match unless limited (streaming costs no memory).
    pub fn export_limit(&self) -> usize {
        self.limit
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
    }
}

/// Runs serde over either form, naming the member at fault as the form names it.
fn deserialize<'de, D: serde::Deserializer<'de>>(de: D, form: Form) -> Result<Members, RequestError>
where
    D::Error: std::fmt::Display,
{
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = pointer(e.path(), form);
        RequestError::bad(field, e.inner().to_string())
    })
}

/// A serde path as the form names members: `sortby` in a query, `/sortby/0/direction` in a
/// body.
fn pointer(path: &serde_path_to_error::Path, form: Form) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    match form {
        Form::Query => out.trim_start_matches('/').to_owned(),
        Form::Body if out.is_empty() => "body".to_owned(),
        Form::Body => out,
    }
}

impl Members {
    /// The request these members ask for, from collection `c`; `dynamic` are the query's
    /// property filters and collection parameters.
    fn assemble(
        self,
        c: &dyn Collection,
        form: Form,
        dynamic: &[(String, String)],
        stamps: &Stamps,
    ) -> Result<ItemsRequest, RequestError> {
        let field = |name: &str| form.field(name);
        let limit = self.limit.map(|n| n.0);
        if limit == Some(0) {
            return Err(RequestError::bad(field("limit"), "must be at least 1"));
        }
        let offset = self
            .offset
            .map_or(0, |n| usize::try_from(n.0).unwrap_or(usize::MAX));
        let bbox_crs = self
            .bbox_crs
            .as_deref()
            .map(|v| parse_crs(&field("bbox-crs"), v))
            .transpose()?
            .unwrap_or_default();
        let crs = self
            .crs
            .as_deref()
            .map(|v| parse_crs(&field("crs"), v))
            .transpose()?
            .unwrap_or_default();
        let bbox = self
            .bbox
            .map(|n| bbox_in_crs84(&field("bbox"), &n.0, bbox_crs))
            .transpose()?;
        let datetime = self
            .datetime
            .as_deref()
            .map(|v| Interval::parse(v).map_err(|e| RequestError::bad(field("datetime"), e)))
            .transpose()?;
        let mut spatial = parse_spatial(
            self.near.as_deref(),
            self.radius.as_deref(),
            self.nearest.as_deref(),
            self.k.as_deref(),
        )?;
        if let Some(geometry) = &self.intersects {
            spatial = Some(Spatial::Intersects(parse_geometry(
                &field("intersects"),
                geometry,
            )?));
        }
        if matches!(
            spatial,
            Some(Spatial::Near { .. } | Spatial::Nearest { .. })
        ) && !c.answers_distance()
        {
            let name = if self.near.is_some() {
                "near"
            } else {
                "nearest"
            };
            return Err(RequestError::bad(
                name,
                format!(
                    "collection '{}' does not answer distance queries; use bbox",
                    c.id()
                ),
            ));
        }
        // `properties` selects what is written in a query, filters by equality in a body.
        let (names, equal_pairs) = match (self.properties, form) {
            (None, _) => (None, Vec::new()),
            (Some(PropertiesMember::Names(n)), Form::Query) => (Some(n), Vec::new()),
            (Some(PropertiesMember::Equal(pairs)), Form::Body) => (None, pairs),
            (Some(PropertiesMember::Equal(_)), Form::Query) => {
                return Err(RequestError::bad(
                    "properties",
                    "expected comma-separated property names",
                ))
            }
            (Some(PropertiesMember::Names(_)), Form::Body) => {
                return Err(RequestError::bad(
                    "/properties",
                    "expected an object of property: value equality filters",
                ))
            }
        };
        let output = FeatureOutput {
            crs,
            properties: names
                .as_deref()
                .map(|v| parse_property_names(v, c))
                .transpose()?,
        };
        let params = dynamic
            .iter()
            .filter(|(k, _)| c.parameters().iter().any(|(n, _)| n == k))
            .cloned()
            .collect();
        // Only a search body names equality filters in `properties`.
        let filterable = if equal_pairs.is_empty() {
            Vec::new()
        } else {
            equality_parameters(c)
        };
        for (k, _) in &equal_pairs {
            if !filterable.iter().any(|(n, _)| n == k) {
                return Err(RequestError::bad(
                    format!("/properties/{k}"),
                    "not a filterable property of this collection",
                ));
            }
        }
        let (equal, equals) = equalities(
            c,
            if form == Form::Query {
                dynamic
            } else {
                &equal_pairs
            },
        )?;
        if let Some(crs) = self.filter_crs.as_deref() {
            if crs != CRS84 {
                return Err(RequestError::bad(
                    field("filter-crs"),
                    format!("only {CRS84} is supported"),
                ));
            }
        }
        let language = self
            .filter_lang
            .as_deref()
            .map(|v| {
                Language::named(v).ok_or_else(|| {
                    RequestError::bad(
                        field("filter-lang"),
                        format!("'{v}' is not supported; use cql2-text or cql2-json"),
                    )
                })
            })
            .transpose()?;
        let filter = self
            .filter
            .as_ref()
            .map(|f| parse_filter(f, language, form))
            .transpose()?;
        let updated = self
            .updated_after
            .as_deref()
            .map(|t| updated_after(c, &field("updated_after"), t, stamps))
            .transpose()?;
        // The order the conjuncts were always ANDed in: a query's filter last, a body's first.
        let conjuncts: Vec<Expr> = match form {
            Form::Query => equal.into_iter().chain(updated).chain(filter).collect(),
            Form::Body => filter.into_iter().chain(equal).chain(updated).collect(),
        };
        let sortby = self
            .sortby
            .map(|s| s.keys(&field("sortby")))
            .transpose()?
            .unwrap_or_default();
        // `f` is the API layer's (content negotiation); it was vetted by name.
        let _ = self.f;
        Ok(ItemsRequest {
            selection: Selection {
                bbox,
                datetime: if c.is_temporal() { datetime } else { None },
                equals,
                spatial,
                filter: conjoin(conjuncts),
                sortby,
                params,
                // The caller knows the range it serves (a page or a whole download).
                ordered_prefix: None,
            },
            limit,
            offset,
            output,
            snapshot: self.snapshot,
            query: QueryParams::default(),
        })
    }
}

/// A CQL2 filter in the language `filter-lang` names: text by default; a body may also give
/// a cql2-json object.
fn parse_filter(
    filter: &FilterMember,
    language: Option<Language>,
    form: Form,
) -> Result<Expr, RequestError> {
    let bad = |e: filter::FilterError| RequestError::bad(form.field("filter"), e.0);
    match (filter, language) {
        (FilterMember::Text(text), None | Some(Language::Text)) => {
            filter::text::parse(text).map_err(bad)
        }
        (FilterMember::Text(text), Some(Language::Json)) => filter::json::parse(text).map_err(bad),
        (FilterMember::Json(_), Some(Language::Text)) => Err(RequestError::bad(
            form.field("filter"),
            "filter-lang is cql2-text, so filter must be a string",
        )),
        (FilterMember::Json(v), _) => filter::json::from_value(v).map_err(bad),
    }
}

impl SortBy {
    fn keys(self, field: &str) -> Result<Vec<SortKey>, RequestError> {
        match self {
            SortBy::Text(s) => filter::parse_sortby(&s).map_err(|e| RequestError::bad(field, e)),
            SortBy::Keys(keys) => Ok(keys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_description_states_the_depth_limit() {
        let (_, description) = QUERY_PARAMETERS
            .iter()
            .find(|(name, _)| *name == "filter")
            .expect("filter is documented");
        let limit = format!("at most {} levels", filter::MAX_FILTER_DEPTH);
        assert!(description.contains(&limit), "{description}");
    }

    #[test]
    fn body_errors_point_into_the_body() {
        let members: Result<Members, _> = deserialize(
            serde_json::json!({"sortby": [{"field": "a", "direction": "up"}]}),
            Form::Body,
        );
        let err = members.unwrap_err();
        assert!(
            matches!(&err, RequestError::Bad { field, .. } if field == "/sortby/0/direction"),
            "{err:?}"
        );
    }
}
