//! POST /collections/{id}/search: features intersecting a GeoJSON geometry, with the same
//! datetime, property filters, CQL2 filter, `updated_after`, sorting and paging as items. The
//! body is shaped like a STAC search (see `service::items_request`): `filter` is a cql2-json
//! object (or cql2-text as a string), `sortby` a string as in items or STAC's
//! `[{"field": …, "direction": "desc"}]`; `intersects` is GeoJSON, so CRS84.

use actix_web::{web, HttpRequest, HttpResponse};

use super::body::json_body;
use super::links::base_url;
use super::openapi::problems::SnapshotGone;
use super::openapi::{search_example, SearchRequest};
use super::problem::{ApiError, Problem};
use super::responses::collection_response;
use super::{find_collection, AppState};
use crate::service::{items, ItemsRequest};

/// The operation every collection's search instantiates (`openapi::collections`).
#[utoipa::path(
    post,
    path = "/collections/{collectionId}/search",
    operation_id = "search",
    request_body(
        description = "intersects, datetime, bbox, bbox-crs, crs, properties, filter, \
            filter-lang, filter-crs, sortby, limit, offset",
        content(
            (SearchRequest = "application/json",
                example = search_example),
            (SearchRequest = "application/geo+json",
                example = search_example),
        ),
    ),
    responses(
        (status = 200, description = "Matching features",
            headers(("Content-Crs" = String, description = "The CRS of the geometries: its URI in angle brackets, e.g. \
                    <http://www.opengis.net/def/crs/OGC/1.3/CRS84>")),
            body = ref("#/components/schemas/FeatureCollection"),
            content_type = "application/geo+json"),
        (status = 400, description = "Malformed JSON, unknown member or bad value",
            body = Problem, content_type = "application/problem+json"),
        SnapshotGone,
        (status = 413, description = "Body too large",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not application/json or \
            application/geo+json",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&req, &state, &path)?;
    let body = json_body(
        &req,
        payload,
        &state,
        &["application/json", "application/geo+json"],
    )
    .await?;
    let mut request =
        ItemsRequest::from_search_body(&body, c.as_ref(), &state.atlas.snapshot().stamps)?;
    let base = base_url(&req, &state);
    // from_search_body accepted only an object.
    let members = body.as_object().cloned().unwrap_or_default();
    let exact = super::auth::sees_exact(&req);
    let page = items::search(&state.atlas, c, &mut request, &members, &base, exact)?;
    Ok(collection_response(
        page.to_geojson(&request.output),
        request.output.crs,
    ))
}
