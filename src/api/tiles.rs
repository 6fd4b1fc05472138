//! OGC API – Tiles for every collection (vector tiles, Mapbox Vector Tile encoding): the
//! WebMercatorQuad tile matrix set, each collection's tileset list, tileset metadata (also as
//! TileJSON 3.0.0 with `f=tilejson`, for MapLibre) and the tiles, which take the collection's
//! `datetime`, equality filters and own parameters like its items do.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::links::{base_url, Link, JSON};
use super::ogc::{find_collection, json_response};
use super::problem::ApiError;
use super::query::{conjoin, equalities, equality_parameters, pairs};
use super::AppState;
use crate::collection::{Collection, GeometryKind, Selection};
use crate::model::Interval;
use crate::tiles::cache::{TileCache, TileKey};
use crate::tiles::matrix::{self, tile_matrix, TileId, MAX_ZOOM};
use crate::tiles::{layer_fields, render, MVT_MEDIA_TYPE};

/// The conformance classes these endpoints pass.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
];

pub const REL_TILESETS_VECTOR: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
pub const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
pub const REL_TILING_SCHEMES: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes";
pub const TILEJSON: &str = "application/vnd.mapbox.tile+json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Tiles change only on writes: browsers may keep one a minute, then revalidate by ETag.
const TILE_CACHE_CONTROL: &str = "public, max-age=60";
/// Rendered tiles kept per snapshot (a z6 tile over a million points is rendered once).
const TILE_CACHE_BYTES: usize = 64 << 20;

fn tile_cache() -> &'static TileCache {
    static CACHE: std::sync::OnceLock<TileCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| TileCache::new(TILE_CACHE_BYTES))
}

/// The parameters a tile, tileset or TileJSON request of `c` takes, with the description
/// the OpenAPI document gives them (besides `f`, the collection's filters and parameters).
pub const TILE_PARAMETERS: &[(&str, &str)] = &[(
    "datetime",
    "RFC 3339 instant or interval a/b ('..' or empty for an open end): features of this time window only.",
)];

/// A tile-family request: the selection its query gives, the query to hand on to tile URL
/// templates, and the format asked for.
struct TileQuery {
    selection: Selection,
    carried: Vec<(String, String)>,
    format: Option<String>,
}

impl TileQuery {
    fn parse(req: &HttpRequest, c: &dyn Collection, formats: &[&str]) -> Result<Self, ApiError> {
        let pairs = pairs(req.query_string())?;
        let mut seen = std::collections::HashSet::new();
        let mut query = TileQuery {
            selection: Selection::default(),
            carried: Vec::new(),
            format: None,
        };
        for (k, v) in pairs {
            if !seen.insert(k.clone()) {
                return Err(ApiError::bad(&k, "given more than once"));
            }
            if k == "f" {
                if !formats.contains(&v.as_str()) {
                    return Err(ApiError::bad(
                        "f",
                        format!("'{v}' is not supported here; use {}", formats.join(" or ")),
                    ));
                }
                query.format = Some(v);
                continue;
            }
            if k == "datetime" {
                let interval = Interval::parse(&v).map_err(|e| ApiError::bad("datetime", e))?;
                // Timeless collections accept and ignore it, as their items do.
                query.selection.datetime = c.is_temporal().then_some(interval);
            } else if c.parameters().iter().any(|(n, _)| *n == k) {
                query.selection.params.push((k.clone(), v.clone()));
            } else if equality_parameters(c).iter().any(|(n, _)| *n == k) {
                // Handled with the others below, typed as on items.
            } else {
                let mut names = vec!["f", "datetime"];
                names.extend(c.parameters().iter().map(|(n, _)| *n));
                names.extend(equality_parameters(c).iter().map(|(n, _)| *n));
                return Err(ApiError::bad(
                    &k,
                    format!(
                        "unknown parameter; tiles of this collection accept: {}",
                        names.join(", ")
                    ),
                ));
            }
            query.carried.push((k, v));
        }
        // Equality parameters as items take them: typed CQL2 on queryables, text otherwise.
        let (conjuncts, equals) = equalities(c, &query.carried)?;
        query.selection.filter = conjoin(conjuncts);
        query.selection.equals = equals;
        Ok(query)
    }

    /// `?a=b&…` of the carried parameters, or nothing.
    fn query_suffix(&self) -> String {
        if self.carried.is_empty() {
            return String::new();
        }
        let mut s = form_urlencoded::Serializer::for_suffix(String::from("?"), 1);
        for (k, v) in &self.carried {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

fn check_tile_matrix_set(id: &str) -> Result<(), ApiError> {
    if id == matrix::ID {
        Ok(())
    } else {
        Err(ApiError::PathNotFound {
            field: "tileMatrixSetId".into(),
            reason: format!("no tile matrix set '{id}'; this server has {}", matrix::ID),
        })
    }
}

/// Endpoints without parameters of their own take only `f=json`.
fn only_json(req: &HttpRequest) -> Result<(), ApiError> {
    for (k, v) in pairs(req.query_string())? {
        match k.as_str() {
            "f" if v == "json" => {}
            "f" => {
                return Err(ApiError::bad(
                    "f",
                    format!("'{v}' is not supported; use json"),
                ))
            }
            _ => {
                return Err(ApiError::bad(
                    &k,
                    "unknown parameter; this resource accepts only f",
                ))
            }
        }
    }
    Ok(())
}

/// `GET /tileMatrixSets`
pub async fn tile_matrix_sets(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    only_json(&req)?;
    let base = base_url(&req, &state);
    let tms = format!("{base}/tileMatrixSets/{}", matrix::ID);
    Ok(json_response(&json!({
        "links": [Link::new(format!("{base}/tileMatrixSets"), "self", JSON)],
        "tileMatrixSets": [{
            "id": matrix::ID,
            "title": matrix::TITLE,
            "uri": matrix::URI,
            "crs": matrix::CRS,
            "links": [Link::new(tms, REL_TILING_SCHEME, JSON).titled(matrix::TITLE)],
        }],
    })))
}

/// `GET /tileMatrixSets/{tileMatrixSetId}`: the definition (2D-TMS 2.0 JSON), every matrix
/// the registered set defines (0..=24; tiles are served for 0..=22).
pub async fn tile_matrix_set(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    only_json(&req)?;
    check_tile_matrix_set(&path)?;
    let base = base_url(&req, &state);
    let origin = [-matrix::HALF_WORLD_M, matrix::HALF_WORLD_M];
    let matrices: Vec<Value> = (0..=matrix::DEFINED_MAX_ZOOM)
        .map(|z| {
            let m = tile_matrix(z);
            json!({
                "id": z.to_string(),
                "scaleDenominator": m.scale_denominator,
                "cellSize": m.cell_size,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": origin,
                "tileWidth": matrix::TILE_PIXELS,
                "tileHeight": matrix::TILE_PIXELS,
                "matrixWidth": m.matrix_size,
                "matrixHeight": m.matrix_size,
            })
        })
        .collect();
    Ok(json_response(&json!({
        "id": matrix::ID,
        "title": matrix::TITLE,
        "uri": matrix::URI,
        "crs": matrix::CRS,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": matrix::WELL_KNOWN_SCALE_SET,
        "tileMatrices": matrices,
        "links": [Link::new(format!("{base}/tileMatrixSets/{}", matrix::ID), "self", JSON)],
    })))
}

/// The tileset summary the list and the full metadata share.
fn tileset_summary(c: &dyn Collection, base: &str, suffix: &str) -> Value {
    let tileset = format!("{base}/collections/{}/tiles/{}", c.id(), matrix::ID);
    json!({
        "title": format!("{} (vector tiles)", c.title()),
        "dataType": "vector",
        "crs": matrix::CRS,
        "tileMatrixSetURI": matrix::URI,
        "links": [
            Link::new(format!("{tileset}{suffix}"), "self", JSON).titled("Tileset metadata"),
            Link::new(format!("{base}/tileMatrixSets/{}", matrix::ID), REL_TILING_SCHEME, JSON)
                .titled(matrix::TITLE),
            templated(
                Link::new(
                    format!("{tileset}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}{suffix}"),
                    "item",
                    MVT_MEDIA_TYPE,
                )
                .titled("Mapbox vector tiles"),
            ),
        ],
    })
}

fn templated(link: Link) -> Value {
    let mut v = serde_json::to_value(link).unwrap_or_default();
    v["templated"] = Value::Bool(true);
    v
}

/// `GET /collections/{collectionId}/tiles`
pub async fn tilesets(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&state, &path)?;
    let query = TileQuery::parse(&req, c.as_ref(), &["json"])?;
    let base = base_url(&req, &state);
    let suffix = query.query_suffix();
    Ok(json_response(&json!({
        "links": [
            Link::new(format!("{base}/collections/{}/tiles{suffix}", c.id()), "self", JSON),
            Link::new(format!("{base}/collections/{}", c.id()), "collection", JSON),
        ],
        "tilesets": [tileset_summary(c.as_ref(), &base, &suffix)],
    })))
}

/// `GET /collections/{collectionId}/tiles/{tileMatrixSetId}`: OGC tileset metadata, or
/// TileJSON 3.0.0 with `f=tilejson`.
pub async fn tileset(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, tms) = path.into_inner();
    let c = find_collection(&state, &cid)?;
    check_tile_matrix_set(&tms)?;
    let query = TileQuery::parse(&req, c.as_ref(), &["json", "tilejson"])?;
    let base = base_url(&req, &state);
    let suffix = query.query_suffix();
    let fields = {
        let (c, selection) = (c.clone(), query.selection.clone());
        web::block(move || layer_fields(&c, &selection))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??
    };
    let bounds = c
        .extent()
        .bbox
        .unwrap_or([-180.0, -matrix::MAX_LAT, 180.0, matrix::MAX_LAT]);
    if query.format.as_deref() == Some("tilejson") {
        let tiles = format!(
            "{base}/collections/{}/tiles/{}/{{z}}/{{y}}/{{x}}{suffix}",
            c.id(),
            matrix::ID
        );
        let center_zoom = matrix::zoom_to_fit(bounds, 14);
        let doc = json!({
            "tilejson": "3.0.0",
            "name": c.title(),
            "description": c.description(),
            "scheme": "xyz",
            "tiles": [tiles],
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "bounds": bounds,
            "center": [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0, center_zoom],
            "vector_layers": [{
                "id": c.id(),
                "description": c.title(),
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": fields,
            }],
        });
        return Ok(HttpResponse::Ok()
            .content_type(TILEJSON)
            .body(doc.to_string()));
    }
    let mut doc = tileset_summary(c.as_ref(), &base, &suffix);
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(name, kind)| {
            let t = match *kind {
                "Number" => "number",
                "Boolean" => "boolean",
                _ => "string",
            };
            (name.clone(), json!({ "type": t }))
        })
        .collect();
    let mut layer = json!({
        "id": c.id(),
        "title": c.title(),
        "description": c.description(),
        "dataType": "vector",
        "propertiesSchema": { "type": "object", "properties": properties },
        "links": [Link::new(format!("{base}/collections/{}", c.id()), "collection", JSON)],
    });
    if let Some(dimension) = match c.geometry_kind() {
        GeometryKind::Point => Some(0),
        GeometryKind::LineString => Some(1),
        GeometryKind::Polygon => Some(2),
        GeometryKind::Mixed => None,
    } {
        layer["geometryDimension"] = json!(dimension);
    }
    doc["description"] = json!(format!(
        "{} Tiles hold one layer named '{}'. A tile with more than {} points is thinned: \
         each cell of the grid keeps its first point, with point_count (how many it stands \
         for) and equality filters on any queryable. Empty tiles are 204 No Content.",
        c.description(),
        c.id(),
        crate::tiles::render::FULL_DETAIL_MAX_POINTS
    ));
    doc["mediaTypes"] = json!([MVT_MEDIA_TYPE]);
    doc["boundingBox"] = json!({
        "lowerLeft": [bounds[0], bounds[1]],
        "upperRight": [bounds[2], bounds[3]],
        "crs": CRS84,
    });
    doc["tileMatrixSetLimits"] = (0..=MAX_ZOOM)
        .map(|z| {
            let last = (1u32 << z) - 1;
            json!({"tileMatrix": z.to_string(), "minTileRow": 0, "maxTileRow": last, "minTileCol": 0, "maxTileCol": last})
        })
        .collect();
    doc["layers"] = json!([layer]);
    if let Some(links) = doc["links"].as_array_mut() {
        links.push(json!(Link::new(
            format!(
                "{base}/collections/{}/tiles/{}{}",
                c.id(),
                matrix::ID,
                tilejson_suffix(&suffix)
            ),
            "alternate",
            TILEJSON
        )
        .titled("TileJSON 3.0.0, for MapLibre")));
        links.push(json!(Link::new(
            format!("{base}/collections/{}", c.id()),
            "collection",
            JSON
        )));
    }
    Ok(json_response(&doc))
}

fn tilejson_suffix(suffix: &str) -> String {
    if suffix.is_empty() {
        "?f=tilejson".into()
    } else {
        format!("{suffix}&f=tilejson")
    }
}

/// Parses one of tileMatrix, tileRow, tileCol.
fn tile_number(field: &str, v: &str) -> Result<u64, ApiError> {
    v.parse::<u64>()
        .map_err(|_| ApiError::bad(field, format!("'{v}' is not a whole number ≥ 0")))
}

/// `GET /collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}`:
/// a Mapbox Vector Tile, or 204 No Content when no feature falls on it.
pub async fn tile(
    req: HttpRequest,
    path: web::Path<(String, String, String, String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, tms, z, row, col) = path.into_inner();
    // One snapshot for the collection and the cache's version, so a tile is never kept
    // under a newer snapshot than it was rendered from.
    let snap = state.atlas.snapshot();
    let c = match snap.collection(&cid) {
        Some(c) => c,
        None => find_collection(&state, &cid)?,
    };
    check_tile_matrix_set(&tms)?;
    let (z, y, x) = (
        tile_number("tileMatrix", &z)?,
        tile_number("tileRow", &row)?,
        tile_number("tileCol", &col)?,
    );
    let tile = TileId::new(z, x, y).map_err(|e| ApiError::PathNotFound {
        field: e.field.into(),
        reason: e.reason,
    })?;
    let query = TileQuery::parse(&req, c.as_ref(), &["mvt"])?;
    let mut carried = query.carried.clone();
    carried.sort();
    let key = TileKey {
        collection: cid,
        tile,
        query: form_urlencoded::Serializer::new(String::new())
            .extend_pairs(carried)
            .finish(),
    };
    let version = snap.version;
    let bytes = web::block(move || {
        tile_cache().get_or_render(version, key, || render(&c, tile, &query.selection))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let cache = (header::CACHE_CONTROL, TILE_CACHE_CONTROL);
    Ok(match bytes.as_ref() {
        Some(bytes) => HttpResponse::Ok()
            .content_type(MVT_MEDIA_TYPE)
            .insert_header(cache)
            .body(bytes.clone()),
        None => HttpResponse::NoContent().insert_header(cache).finish(),
    })
}

/// The tile paths of the OpenAPI document: the tile matrix sets, and for each collection its
/// tileset list, tileset metadata (or TileJSON) and tiles, with the collection's own filters
/// and parameters.
pub fn document(
    mut paths: utoipa::openapi::PathsBuilder,
    snap: &crate::atlas::Snapshot,
) -> utoipa::openapi::PathsBuilder {
    use super::openapi::{camel, integer, json_response, param, query_param, responses, string};
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterIn, PathItem};
    use utoipa::openapi::{ContentBuilder, ObjectBuilder, ResponseBuilder, Type};

    let op = |id: String, summary: String, params, ok, errors: &[(&str, &str)]| {
        PathItem::new(
            HttpMethod::Get,
            OperationBuilder::new()
                .operation_id(Some(id))
                .summary(Some(summary))
                .parameters(Some(params))
                .responses(responses(("200", ok), errors))
                .build(),
        )
    };
    let json_only = || {
        query_param(
            "f",
            "Output format",
            string().enum_values(Some(["json"])).into(),
        )
    };
    let tms_id = || {
        param(
            "tileMatrixSetId",
            ParameterIn::Path,
            "Tile matrix set",
            string().enum_values(Some([matrix::ID])),
            true,
        )
    };
    paths = paths
        .path(
            "/tileMatrixSets",
            op(
                "getTileMatrixSetsList".into(),
                "The tile matrix sets of the vector tiles".into(),
                vec![json_only()],
                json_response("The list", "application/json", "Any"),
                &[("400", "Unknown parameter")],
            ),
        )
        .path(
            "/tileMatrixSets/{tileMatrixSetId}",
            op(
                "getTileMatrixSet".into(),
                "A tile matrix set definition (OGC 2D-TMS 2.0 JSON)".into(),
                vec![tms_id(), json_only()],
                json_response("The definition", "application/json", "Any"),
                &[
                    ("400", "Unknown parameter"),
                    ("404", "No such tile matrix set"),
                ],
            ),
        );
    for c in snap.collections() {
        let id = c.id();
        let name = camel(id);
        let mut shared = vec![query_param(
            TILE_PARAMETERS[0].0,
            TILE_PARAMETERS[0].1,
            string().into(),
        )];
        for (p, description) in c.parameters() {
            shared.push(query_param(p, description, string().into()));
        }
        for (p, description) in equality_parameters(c.as_ref()) {
            shared.push(query_param(
                p,
                &format!("Equality filter: {description}"),
                string().into(),
            ));
        }
        let with = |mut first: Vec<utoipa::openapi::path::Parameter>, f: &[&str]| {
            first.push(query_param(
                "f",
                "Output format",
                string().enum_values(Some(f.to_vec())).into(),
            ));
            first.extend(shared.iter().cloned());
            first
        };
        let tileset_ok = ResponseBuilder::new()
            .description("OGC tileset metadata (2D-TMS 2.0), or TileJSON 3.0.0 with f=tilejson")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                    .build(),
            )
            .content(
                TILEJSON,
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                    .build(),
            )
            .build();
        let mvt = ResponseBuilder::new()
            .description("A Mapbox Vector Tile (2.1) with one layer named by the collection id")
            .content(
                MVT_MEDIA_TYPE,
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(
                        Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Binary,
                        )),
                    )))
                    .build(),
            )
            .build();
        let mut tile = OperationBuilder::new()
            .operation_id(Some(format!("get{name}Tile")))
            .summary(Some(format!(
                "{} as a vector tile; tiles with more than {} points are thinned (point_count)",
                c.title(),
                crate::tiles::render::FULL_DETAIL_MAX_POINTS
            )))
            .parameters(Some(with(
                vec![
                    tms_id(),
                    param(
                        "tileMatrix",
                        ParameterIn::Path,
                        "Zoom level (tile matrix) 0..22",
                        integer(0, i64::from(MAX_ZOOM)),
                        true,
                    ),
                    param(
                        "tileRow",
                        ParameterIn::Path,
                        "Row (y, from the top) 0..2^tileMatrix−1",
                        integer(0, (1i64 << MAX_ZOOM) - 1),
                        true,
                    ),
                    param(
                        "tileCol",
                        ParameterIn::Path,
                        "Column (x, from the west) 0..2^tileMatrix−1",
                        integer(0, (1i64 << MAX_ZOOM) - 1),
                        true,
                    ),
                ],
                &["mvt"],
            )))
            .responses(responses(
                ("200", mvt),
                &[
                    ("400", "Malformed tile address or parameter"),
                    (
                        "404",
                        "No such collection or tile matrix set, or a tile outside it",
                    ),
                ],
            ))
            .build();
        tile.responses.responses.insert(
            "204".into(),
            ResponseBuilder::new()
                .description("No feature falls on this tile (an empty tile)")
                .build()
                .into(),
        );
        paths = paths
            .path(
                format!("/collections/{id}/tiles"),
                op(
                    format!("get{name}Tilesets"),
                    format!("The tilesets of {} (vector tiles)", c.title()),
                    with(vec![], &["json"]),
                    json_response("The tileset list", "application/json", "Any"),
                    &[("400", "Unknown or malformed parameter")],
                ),
            )
            .path(
                format!("/collections/{id}/tiles/{{tileMatrixSetId}}"),
                op(
                    format!("get{name}Tileset"),
                    format!("Tileset metadata of {}, or TileJSON for MapLibre", c.title()),
                    with(vec![tms_id()], &["json", "tilejson"]),
                    tileset_ok,
                    &[
                        ("400", "Unknown or malformed parameter"),
                        ("404", "No such tile matrix set"),
                    ],
                ),
            )
            .path(
                format!("/collections/{id}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"),
                PathItem::new(HttpMethod::Get, tile),
            );
    }
    paths
}
