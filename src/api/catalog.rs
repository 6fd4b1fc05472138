//! The metadata resources of OGC API – Features Part 1 (landing page, conformance,
//! collections, one collection) as JSON or HTML; the documents come from `service::catalog`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::format::{self, Format};
use super::html;
use super::links::{base_url, self_and_alternates, Link};
use super::openapi::problems::{MetadataProblems, NoSuchCollection};
use super::openapi::MetadataFormats;
use super::problem::ApiError;
use super::responses::{html_response, json_response};
use super::{find_collection, AppState};
use crate::service::catalog::{self, CollectionInfo, Collections, Conformance, LandingPage};
use crate::service::QueryParams;

#[utoipa::path(
    get,
    path = "/",
    operation_id = "getLandingPage",
    summary = "Landing page",
    params(
        ("f" = inline(Option<MetadataFormats>), Query,
            description = "Output format; wins over the Accept header"),
    ),
    responses(
        (status = 200, description = "OK",
            content((LandingPage = "application/json"), (String = "text/html"))),
        (status = 303, description = "A browser (Accept preferring text/html, no f) is sent to the map viewer at /map",
            headers(("Location" = String, description = "The map viewer"))),
        MetadataProblems,
    )
)]
pub async fn landing(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (format, links, base) = metadata_request(&req, &state, "/")?;
    if format == Format::Html && !req.query_string().split('&').any(|p| p.starts_with("f=")) {
        // A browser at the front door wants the map; ?f=html keeps the OGC landing page.
        let mut res = HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, format!("{base}/map")))
            .finish();
        format::vary(&mut res);
        return Ok(res);
    }
    let doc = catalog::landing(&base, links);
    metadata_response(format, &doc, |v| html::landing(v))
}

#[utoipa::path(
    get,
    path = "/conformance",
    operation_id = "getConformance",
    summary = "Conformance classes",
    params(
        ("f" = inline(Option<MetadataFormats>), Query,
            description = "Output format; wins over the Accept header"),
    ),
    responses(
        (status = 200, description = "OK",
            content((Conformance = "application/json"), (String = "text/html"))),
        MetadataProblems,
    )
)]
pub async fn conformance(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (format, links, base) = metadata_request(&req, &state, "/conformance")?;
    let doc = catalog::conformance(
        &[catalog::FEATURES_CONFORMANCE, super::tiles::CONFORMANCE],
        links,
    );
    metadata_response(format, &doc, |v| html::conformance(v, &base))
}

#[utoipa::path(
    get,
    path = "/collections",
    operation_id = "getCollections",
    summary = "The collections",
    params(
        ("f" = inline(Option<MetadataFormats>), Query,
            description = "Output format; wins over the Accept header"),
    ),
    responses(
        (status = 200, description = "OK",
            content((Collections = "application/json"), (String = "text/html"))),
        MetadataProblems,
    )
)]
pub async fn collections(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (format, links, base) = metadata_request(&req, &state, "/collections")?;
    let doc = catalog::collections(&super::snapshot(&req, &state), &base, links);
    metadata_response(format, &doc, |v| html::collections(v, &base))
}

#[utoipa::path(
    get,
    path = "/collections/{collectionId}",
    operation_id = "describeCollection",
    summary = "One collection's metadata",
    params(
        ("collectionId" = String, Path, description = "Collection id"),
        ("f" = inline(Option<MetadataFormats>), Query,
            description = "Output format; wins over the Accept header"),
    ),
    responses(
        (status = 200, description = "OK",
            content((CollectionInfo = "application/json"), (String = "text/html"))),
        NoSuchCollection,
        MetadataProblems,
    )
)]
pub async fn collection(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&req, &state, &path)?;
    let (format, links, base) =
        metadata_request(&req, &state, &format!("/collections/{}", c.id()))?;
    let doc = catalog::collection(c.as_ref(), &base, links);
    metadata_response(format, &doc, |v| html::collection(v, &base))
}

/// Metadata resources accept only `f`, and come as JSON or HTML: the format, the self and
/// alternate links of the resource at `path`, and the base URL.
fn metadata_request(
    req: &HttpRequest,
    state: &AppState,
    path: &str,
) -> Result<(Format, Vec<Link>, String), ApiError> {
    let query = QueryParams::parse(req.query_string(), &["f"], "this resource")?;
    let format = format::negotiate(req, query.pairs(), format::METADATA)?;
    let base = base_url(req, state);
    let links = self_and_alternates(
        &format!("{base}{path}"),
        query.pairs(),
        format,
        format::METADATA,
    );
    Ok((format, links, base))
}

/// The JSON document, or the HTML page made from it.
fn metadata_response<T: Serialize>(
    format: Format,
    doc: &T,
    html: impl FnOnce(&serde_json::Value) -> String,
) -> Result<HttpResponse, ApiError> {
    let internal = |e: serde_json::Error| ApiError::Internal(e.to_string());
    // JSON straight from the typed document; the HTML views read it as a JSON value.
    let mut res = match format {
        Format::Html => html_response(html(&serde_json::to_value(doc).map_err(internal)?)),
        _ => json_response(serde_json::to_vec(doc).map_err(internal)?),
    };
    format::vary(&mut res);
    Ok(res)
}
