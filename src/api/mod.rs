//! The HTTP layer: thin handlers (parse → call the core → serialise) over `Atlas`.
//! CORS, compression and ETags are middleware, applied once for every route.

mod access_log;
mod assets;
pub mod auth;
mod bare_errors;
mod body;
mod catalog;
mod changes;
mod etag;
mod export;
pub mod export_limits;
mod fgb_download;
pub mod format;
mod geocode;
mod geoparse;
mod html;
mod items;
pub mod links;
pub mod metrics;
pub mod openapi;
pub mod problem;
mod queryables;
mod responses;
mod search;
pub mod server;
pub mod sync;
pub mod tiles;
pub mod viewer;
mod write;

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::{middleware, web, HttpRequest, HttpResponse};

use crate::atlas::{Atlas, Snapshot};
use problem::ApiError;

pub use crate::service::catalog::FEATURES_CONFORMANCE as CONFORMANCE;
pub use body::MAX_BODY_DEPTH;

/// What every handler can reach.
pub struct AppState {
    pub atlas: Arc<Atlas>,
    /// The bearer tokens accepted and their roles (`--tokens`, ATLAS_WRITE_TOKEN); with no
    /// editor among them, writes are refused.
    pub tokens: crate::access::Tokens,
    /// Base URL for links when behind a proxy; by default taken from the request.
    pub public_url: Option<String>,
    /// The address served, for links of requests that carry no Host header.
    pub listen_host: String,
    pub max_body_bytes: usize,
    /// Whether every request is logged at INFO (`--access-log`); at DEBUG otherwise.
    pub access_log: bool,
    /// Bounds on FlatGeobuf downloads running at once.
    pub exports: Arc<export_limits::ExportLimits>,
    /// Request metrics and the data gauges, served at /metrics.
    pub metrics: metrics::Metrics,
    /// How long a read carrying a newer cursor than this server's snapshot waits for it
    /// (see `sync::read_your_writes`); zero where no other server writes to the store.
    pub read_wait: std::time::Duration,
    /// Places for live subscribers (`--max-subscribers`); beyond them, 503.
    pub subscribers: Arc<tokio::sync::Semaphore>,
    /// The online tile layer the map viewer offers (`--basemap`); none by default.
    pub basemap: Option<viewer::TileLayer>,
    /// Where writes run (one thread, fed by a channel).
    pub writer: crate::atlas::writer_thread::WriterThread,
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // GET routes answer HEAD too (actix sends the headers without the body).
    fn read<F, Args>(path: &str, handler: F) -> actix_web::Resource
    where
        F: actix_web::Handler<Args> + Clone,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        web::resource(path)
            .route(web::get().to(handler.clone()))
            .route(web::head().to(handler))
            .default_service(web::to(method_not_allowed))
    }
    cfg.service(read("/", catalog::landing))
        .service(read("/map", viewer::map))
        .service(read("/conformance", catalog::conformance))
        .service(read("/api", api_document))
        .service(read("/metrics", metrics::metrics))
        .service(read("/changes", changes::changes))
        .service(read("/collections", catalog::collections))
        .service(read("/collections/{collectionId}", catalog::collection))
        .service(read(
            "/collections/{collectionId}/queryables",
            queryables::queryables,
        ))
        .service(read(
            "/collections/{collectionId}/sortables",
            queryables::sortables,
        ))
        .service(read(
            "/collections/{collectionId}/deletions",
            sync::deletions,
        ))
        .service(
            read("/collections/{collectionId}/items", items::items)
                .route(web::post().to(write::create)),
        )
        .service(
            read("/collections/{collectionId}/items/{featureId}", items::item)
                .route(web::put().to(write::replace))
                .route(web::patch().to(write::patch))
                .route(web::delete().to(write::delete)),
        )
        .service(
            web::resource("/collections/{collectionId}/search")
                .route(web::post().to(search::search))
                .default_service(web::to(method_not_allowed)),
        )
        .service(read("/tileMatrixSets", tiles::tile_matrix_sets))
        .service(read(
            "/tileMatrixSets/{tileMatrixSetId}",
            tiles::tile_matrix_set,
        ))
        .service(read("/collections/{collectionId}/tiles", tiles::tilesets))
        .service(read(
            "/collections/{collectionId}/tiles/{tileMatrixSetId}",
            tiles::tileset,
        ))
        .service(read(
            "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
            tiles::tile,
        ))
        .configure(|cfg| {
            for base in assets::bases() {
                cfg.service(read(&format!("{base}/{{file}}"), assets::asset))
                    .service(read(&format!("{base}/{{dir}}/{{file}}"), assets::asset));
            }
        })
        .service(read("/geocode", geocode::geocode))
        .service(read("/reverse", geocode::reverse))
        .configure(geoparse::routes);
}

/// The newest snapshot as the caller may see it: with true locations for a token holder,
/// else its public view (see `Snapshot::view`). Every read goes through here.
pub fn snapshot(req: &HttpRequest, state: &AppState) -> Arc<Snapshot> {
    state.atlas.snapshot().view(auth::sees_exact(req))
}

/// The collection `id` of the newest snapshot as the caller sees it, or a 404 listing those
/// there are.
pub fn find_collection(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<Arc<dyn crate::collection::Collection>, ApiError> {
    Ok(crate::service::catalog::find_collection(
        &snapshot(req, state),
        id,
    )?)
}

#[utoipa::path(
    get,
    path = "/api",
    operation_id = "getOpenApi",
    summary = "This OpenAPI document",
    responses(
        (status = 200, description = "OK",
            content((Object = "application/vnd.oai.openapi+json;version=3.0"))),
    )
)]
pub async fn api_document(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // One representation: `f` is taken and needs no reading (clients name it variously).
    crate::service::QueryParams::parse(req.query_string(), &["f"], "this resource")?;
    let base = links::base_url(&req, &state);
    let doc = openapi::document(&snapshot(&req, &state), &base);
    let value = openapi::to_json(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let body = value.to_string();
    Ok(HttpResponse::Ok().content_type(links::OPENAPI).body(body))
}

async fn method_not_allowed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed {
        detail: format!(
            "{} is not allowed on {}; see /api",
            req.method(),
            req.path()
        ),
        allow: allowed_methods(&state.atlas.snapshot(), req.path()),
    })
}

/// The methods a path answers, for the Allow header of a 405 (RFC 9110 §15.5.6): editable
/// collections take writes on their items.
pub fn allowed_methods(snapshot: &Snapshot, path: &str) -> &'static str {
    let editable = |id: &str| snapshot.collection(id).is_some_and(|c| c.is_editable());
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["collections", c, "items"] if editable(c) => "GET, HEAD, POST",
        ["collections", c, "items", _] if editable(c) => "GET, HEAD, PUT, PATCH, DELETE",
        ["collections", _, "search"] => "POST",
        _ => "GET, HEAD",
    }
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no resource at {}; start at / or /api",
        req.path()
    )))
}

/// Builds the application for one worker.
pub fn app(
    state: web::Data<AppState>,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allow_any_header()
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("content-crs"),
            header::HeaderName::from_static(sync::CURSOR_HEADER),
        ])
        .max_age(86_400);
    let request_metrics = state.metrics.requests.clone();
    actix_web::App::new()
        .app_data(state)
        .configure(routes)
        .default_service(web::to(not_found))
        .wrap(middleware::from_fn(etag::etag))
        .wrap(middleware::from_fn(auth::reject_bad_tokens))
        .wrap(middleware::from_fn(sync::cursor))
        .wrap(middleware::from_fn(sync::read_your_writes))
        .wrap(middleware::Compress::default())
        .wrap(cors)
        .wrap(middleware::from_fn(access_log::access_log))
        .wrap(request_metrics)
}
