//! OGC API – Tiles for every collection (vector tiles, Mapbox Vector Tile encoding): the
//! WebMercatorQuad tile matrix set, each collection's tileset list, tileset metadata (also as
//! TileJSON 3.0.0 with `f=tilejson`, for MapLibre) and the tiles, which take the collection's
//! `datetime`, equality filters and own parameters like its items do.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::find_collection;
use super::links::{base_url, JSON};
use super::openapi::{FJson, FMvt, FTileset, MvtTile, TileIndex, TileMatrixSetId, ZoomLevel};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::service::tiles::{
    self as service, TileJson, TileMatrixSet, TileMatrixSets, TileQuery, TileSet, TileSets,
    TILESETS_FORMATS, TILESET_FORMATS, TILE_FORMATS,
};
use crate::tiles::cache::{TileCache, TileKey};
use crate::tiles::matrix::{self, TileId};
use crate::tiles::{render, MVT_MEDIA_TYPE};

pub use crate::service::tiles::{
    CONFORMANCE, REL_TILESETS_VECTOR, REL_TILING_SCHEME, REL_TILING_SCHEMES, TILEJSON,
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
#[utoipa::path(
    get,
    path = "/tileMatrixSets",
    operation_id = "getTileMatrixSetsList",
    summary = "The tile matrix sets of the vector tiles",
    params(("f" = inline(Option<FJson>), Query, description = "Output format")),
    responses(
        (status = 200, description = "The list", body = TileMatrixSets,
            content_type = "application/json"),
        (status = 400, description = "Unknown parameter",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tile_matrix_sets(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    service::only_json(req.query_string())?;
    json_body(JSON, &service::tile_matrix_sets(&base_url(&req, &state)))
}

/// `GET /tileMatrixSets/{tileMatrixSetId}`: the definition (2D-TMS 2.0 JSON).
#[utoipa::path(
    get,
    path = "/tileMatrixSets/{tileMatrixSetId}",
    operation_id = "getTileMatrixSet",
    summary = "A tile matrix set definition (OGC 2D-TMS 2.0 JSON)",
    params(
        ("tileMatrixSetId" = inline(TileMatrixSetId), Path, description = "Tile matrix set"),
        ("f" = inline(Option<FJson>), Query, description = "Output format"),
    ),
    responses(
        (status = 200, description = "The definition", body = TileMatrixSet,
            content_type = "application/json"),
        (status = 400, description = "Unknown parameter",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tile matrix set",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tile_matrix_set(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    service::only_json(req.query_string())?;
    check_tile_matrix_set(&path)?;
    json_body(JSON, &service::tile_matrix_set(&base_url(&req, &state)))
}

/// `GET /collections/{collectionId}/tiles`. Each collection has its own copy in the OpenAPI
/// document, with the parameters it takes (see `openapi::tiles`); so have the two below.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/tiles",
    operation_id = "getTilesets",
    summary = "The tilesets of a collection (vector tiles)",
    params(
        ("collectionId" = String, Path, description = "Collection"),
        ("f" = inline(Option<FJson>), Query, description = "Output format"),
    ),
    responses(
        (status = 200, description = "The tileset list", body = TileSets,
            content_type = "application/json"),
        (status = 400, description = "Unknown or malformed parameter",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tilesets(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&req, &state, &path)?;
    let query = TileQuery::parse(req.query_string(), c.as_ref(), TILESETS_FORMATS)?;
    let doc = service::tile_sets(c.as_ref(), &base_url(&req, &state), &query);
    json_body(JSON, &doc)
}

/// `GET /collections/{collectionId}/tiles/{tileMatrixSetId}`: OGC tileset metadata, or
/// TileJSON 3.0.0 with `f=tilejson`.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    operation_id = "getTileset",
    summary = "Tileset metadata of a collection, or TileJSON for MapLibre",
    params(
        ("collectionId" = String, Path, description = "Collection"),
        ("tileMatrixSetId" = inline(TileMatrixSetId), Path, description = "Tile matrix set"),
        ("f" = inline(Option<FTileset>), Query, description = "Output format"),
    ),
    responses(
        (status = 200,
            description = "OGC tileset metadata (2D-TMS 2.0), or TileJSON 3.0.0 with f=tilejson",
            content((TileSet = "application/json"), (TileJson = TILEJSON))),
        (status = 400, description = "Unknown or malformed parameter",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tile matrix set",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tileset(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, tms) = path.into_inner();
    let c = find_collection(&req, &state, &cid)?;
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
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    operation_id = "getTile",
    summary = "A collection as a vector tile",
    params(
        ("collectionId" = String, Path, description = "Collection"),
        ("tileMatrixSetId" = inline(TileMatrixSetId), Path, description = "Tile matrix set"),
        ("tileMatrix" = inline(ZoomLevel), Path, description = "Zoom level (tile matrix) 0..22"),
        ("tileRow" = inline(TileIndex), Path,
            description = "Row (y, from the top) 0..2^tileMatrix−1"),
        ("tileCol" = inline(TileIndex), Path,
            description = "Column (x, from the west) 0..2^tileMatrix−1"),
        ("f" = inline(Option<FMvt>), Query, description = "Output format"),
    ),
    responses(
        (status = 200,
            description = "A Mapbox Vector Tile (2.1) with one layer named by the collection id",
            body = inline(MvtTile), content_type = MVT_MEDIA_TYPE),
        (status = 204, description = "No feature falls on this tile (an empty tile)"),
        (status = 400, description = "Malformed tile address or parameter",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such collection or tile matrix set, or a tile outside it",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tile(
    req: HttpRequest,
    path: web::Path<(String, String, String, String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, tms, z, row, col) = path.into_inner();
    // One snapshot for the collection and the cache's version, so a tile is never kept
    // under a newer snapshot than it was rendered from.
    let exact = super::auth::sees_exact(&req);
    let snap = state.atlas.snapshot().view(exact);
    let c = match snap.collection(&cid) {
        Some(c) => c,
        None => find_collection(&req, &state, &cid)?,
    };
    check_tile_matrix_set(&tms)?;
    let tile = tile_id(&z, &row, &col)?;
    let query = TileQuery::parse(req.query_string(), c.as_ref(), TILE_FORMATS)?;
    let key = TileKey {
        collection: cid,
        tile,
        query: query.cache_key(),
        // The two views share a version: the view is part of the key.
        exact,
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
