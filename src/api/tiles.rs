//! OGC API – Tiles for every collection (vector tiles, Mapbox Vector Tile encoding): the
//! WebMercatorQuad tile matrix set, each collection's tileset list, tileset metadata (also as
//! TileJSON 3.0.0 with `f=tilejson`, for MapLibre) and the tiles, which take the collection's
//! `datetime`, equality filters and own parameters like its items do.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::find_collection;
use super::links::{base_url, JSON};
use super::problem::ApiError;
use super::AppState;
use crate::service::parameters::equality_parameters;
use crate::service::tiles::{
    self as service, TileQuery, TILESETS_FORMATS, TILESET_FORMATS, TILE_FORMATS,
};
use crate::tiles::cache::{TileCache, TileKey};
use crate::tiles::matrix::{self, TileId, MAX_ZOOM};
use crate::tiles::{render, MVT_MEDIA_TYPE};

pub use crate::service::tiles::{
    CONFORMANCE, REL_TILESETS_VECTOR, REL_TILING_SCHEME, REL_TILING_SCHEMES, TILEJSON,
    TILE_PARAMETERS,
};

/// Tiles change only on writes: browsers may keep one a minute, then revalidate by ETag.
const TILE_CACHE_CONTROL: &str = "public, max-age=60";
/// Rendered tiles kept per snapshot (a z6 tile over a million points is rendered once).
const TILE_CACHE_BYTES: usize = 64 << 20;

fn tile_cache() -> &'static TileCache {
    static CACHE: std::sync::OnceLock<TileCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| TileCache::new(TILE_CACHE_BYTES))
}

/// `doc` as a JSON body typed `media_type`.
fn json_body(media_type: &str, doc: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_string(doc).map_err(internal)?;
    Ok(HttpResponse::Ok().content_type(media_type).body(body))
}

/// A failure of ours (a blocking task that died, a document that would not serialise): 500.
fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
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

/// The tile a path's tileMatrix, tileRow and tileCol name: a 400 for what is no number, a
/// 404 for a tile outside the matrix.
fn tile_id(z: &str, row: &str, col: &str) -> Result<TileId, ApiError> {
    let number = |field: &str, v: &str| {
        v.parse::<u64>()
            .map_err(|_| ApiError::bad(field, format!("'{v}' is not a whole number ≥ 0")))
    };
    let (z, y, x) = (
        number("tileMatrix", z)?,
        number("tileRow", row)?,
        number("tileCol", col)?,
    );
    TileId::new(z, x, y).map_err(|e| ApiError::PathNotFound {
        field: e.field.into(),
        reason: e.reason,
    })
}

/// `GET /tileMatrixSets`
pub async fn tile_matrix_sets(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    service::only_json(req.query_string())?;
    json_body(JSON, &service::tile_matrix_sets(&base_url(&req, &state)))
}

/// `GET /tileMatrixSets/{tileMatrixSetId}`: the definition (2D-TMS 2.0 JSON).
pub async fn tile_matrix_set(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    service::only_json(req.query_string())?;
    check_tile_matrix_set(&path)?;
    json_body(JSON, &service::tile_matrix_set(&base_url(&req, &state)))
}

/// `GET /collections/{collectionId}/tiles`
pub async fn tilesets(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&state, &path)?;
    let query = TileQuery::parse(req.query_string(), c.as_ref(), TILESETS_FORMATS)?;
    let doc = service::tile_sets(c.as_ref(), &base_url(&req, &state), &query);
    json_body(JSON, &doc)
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
    let query = TileQuery::parse(req.query_string(), c.as_ref(), TILESET_FORMATS)?;
    let base = base_url(&req, &state);
    // The layer's fields are sampled from the features: off the async runtime.
    let doc = web::block(move || service::tileset(&c, &base, &query))
        .await
        .map_err(internal)??;
    json_body(doc.media_type(), &doc)
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
    let tile = tile_id(&z, &row, &col)?;
    let query = TileQuery::parse(req.query_string(), c.as_ref(), TILE_FORMATS)?;
    let key = TileKey {
        collection: cid,
        tile,
        query: query.cache_key(),
    };
    let version = snap.version;
    let rendered = web::block(move || {
        tile_cache().get_or_render(version, key, || render(&c, tile, &query.selection))
    })
    .await
    .map_err(internal)??;
    Ok(mvt_response(&rendered))
}

/// A rendered tile as the response: its bytes, or 204 No Content for an empty tile; either
/// may be kept a minute.
fn mvt_response(rendered: &Option<Vec<u8>>) -> HttpResponse {
    let cache = (header::CACHE_CONTROL, TILE_CACHE_CONTROL);
    match rendered {
        Some(bytes) => HttpResponse::Ok()
            .content_type(MVT_MEDIA_TYPE)
            .insert_header(cache)
            .body(bytes.clone()),
        None => HttpResponse::NoContent().insert_header(cache).finish(),
    }
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
