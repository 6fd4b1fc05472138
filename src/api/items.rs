//! `GET …/items` and `GET …/items/{featureId}`: parse the request, let the service cut the
//! page (or find the feature), write it in the negotiated format.

use actix_web::{web, HttpRequest, HttpResponse};

use super::export::{self, plain_feature, Export};
use super::format::{self, Format};
use super::html;
use super::links::{base_url, query_string, with_f, with_offset, with_query, Link};
use super::openapi::problems::{ExportsBusy, NoSuchFeature, NotAcceptable, SnapshotGone};
use super::openapi::Binary;
use super::problem::{ApiError, Problem};
use super::responses::{collection_response, geojson_response, html_response};
use super::{find_collection, AppState};
use crate::collection::{Collection, Hit, Matches};
use crate::service::feature_collection::feature_with;
use crate::service::items::{self, item_parameters, ItemAnswer, ItemRequest, ItemsPage};
use crate::service::ItemsRequest;

/// The operation every collection's items instantiate (`openapi::collections`), which gives
/// each its own id, summary and parameters.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/items",
    operation_id = "getFeatures",
    responses(
        (status = 200, description = "GeoJSON: a page of features with numberMatched and \
            next/prev links. CSV (ACLED's columns for incidents; WKT and properties \
            otherwise), GeoJSON text sequences (RFC 8142, streamed) and FlatGeobuf (with its \
            packed R-tree index): the paging links are in the Link header.",
            headers(
                ("Content-Crs" = String, description = "The CRS of the geometries: its URI in angle brackets, e.g. \
                    <http://www.opengis.net/def/crs/OGC/1.3/CRS84>"),
                ("atlas-sync-cursor" = i64, description = "The change feed's sequence number \
                    this answer reflects; pass it as updated_after (and deleted_after, or after \
                    on /changes) next time"),
            ),
            content(
                (ref("#/components/schemas/FeatureCollection") = "application/geo+json"),
                (String = "text/html"),
                (String = "text/csv"),
                (String = "application/geo+json-seq"),
                (inline(Binary) = "application/flatgeobuf"),
            )),
        (status = 400, description = "Unknown or malformed parameter",
            body = Problem, content_type = "application/problem+json"),
        NotAcceptable,
        SnapshotGone,
        ExportsBusy,
    )
)]
pub async fn items(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&req, &state, &path)?;
    let mut request = ItemsRequest::from_query(
        req.query_string(),
        c.as_ref(),
        &state.atlas.snapshot().stamps,
    )?;
    let format = format::negotiate(&req, request.query.pairs(), format::ITEMS)?;
    let base = base_url(&req, &state);
    let exact = super::auth::sees_exact(&req);
    let page = items::items(&state.atlas, c, &mut request, format, &base, exact)?;
    let mut res = match format {
        Format::Html => html_response(items_page(&page, &request, &base)),
        f if f.is_export() => {
            let export = export_of(
                page.collection.as_ref(),
                f,
                &page.matches,
                page.hits().to_vec(),
                page.links.clone(),
            );
            export::respond(export, &state.exports).await?
        }
        _ => collection_response(page.to_geojson(&request.output), request.output.crs),
    };
    format::vary(&mut res);
    Ok(res)
}

/// The operation every collection's item instantiates (`openapi::collections`).
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/items/{featureId}",
    operation_id = "getFeature",
    responses(
        (status = 200, description = "The feature",
            headers(("Content-Crs" = String, description = "The CRS of the geometries: its URI in angle brackets, e.g. \
                    <http://www.opengis.net/def/crs/OGC/1.3/CRS84>")),
            content(
                (ref("#/components/schemas/Feature") = "application/geo+json"),
                (String = "text/html"),
                (String = "text/csv"),
                (inline(Binary) = "application/flatgeobuf"),
            )),
        (status = 400, description = "Unknown or malformed parameter, or f value",
            body = Problem, content_type = "application/problem+json"),
        NoSuchFeature,
        NotAcceptable,
        ExportsBusy,
    )
)]
pub async fn item(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let c = find_collection(&req, &state, &cid)?;
    let request = ItemRequest::from_query(req.query_string(), c.as_ref())?;
    let format = format::negotiate(&req, request.query.pairs(), format::ITEM)?;
    let base = base_url(&req, &state);
    let found = items::item(&c, &fid, &request, format, &base)?;
    let mut res = match format {
        Format::Html => html_response(item_page(c.as_ref(), &found, &request, &base)),
        f if f.is_export() => {
            let mut export = export_of(c.as_ref(), f, &found.matches, vec![found.hit], found.links);
            export.file_stem = format!("{}-{}", c.id(), found.id);
            export::respond(export, &state.exports).await?
        }
        _ => {
            let body = feature_with(
                found.matches.source.as_ref(),
                &request.output,
                &found.hit,
                &found.links,
            );
            geojson_response(body, request.output.crs)
        }
    };
    format::vary(&mut res);
    Ok(res)
}

/// The HTML page of an items page.
fn items_page(page: &ItemsPage, request: &ItemsRequest, base: &str) -> String {
    let c = page.collection.as_ref();
    let features: Vec<_> = page
        .hits()
        .iter()
        .map(|hit| plain_feature(page.matches.source.as_ref(), hit))
        .collect();
    // Item pages of computed collections need the window and parameters again.
    let item_names = item_parameters(c);
    let item_pairs = request.query.only(|k| item_names.contains(&k));
    let items_url = format!("{base}/collections/{}/items", c.id());
    html::items(&html::ItemsView {
        base,
        collection_id: c.id(),
        collection_title: c.title(),
        features: &features,
        matched: page.number_matched(),
        offset: page.offset,
        links: &page.links,
        item_query: query_string(&item_pairs),
        geojson_url: with_query(
            &items_url,
            &with_offset(&with_f(request.query.pairs(), Some("geojson")), page.offset),
        ),
    })
}

/// The HTML page of one feature.
fn item_page(c: &dyn Collection, found: &ItemAnswer, request: &ItemRequest, base: &str) -> String {
    let feature = plain_feature(found.matches.source.as_ref(), &found.hit);
    html::item(&html::ItemView {
        base,
        collection_id: c.id(),
        collection_title: c.title(),
        feature: &feature,
        links: &found.links,
        geojson_url: with_query(
            &found.url,
            &query_string(&with_f(&request.kept_pairs(c), Some("geojson"))),
        ),
    })
}

/// A download of `hits` among `matches`, described by the collection.
fn export_of(
    c: &dyn Collection,
    format: Format,
    matches: &Matches,
    hits: Vec<Hit>,
    links: Vec<Link>,
) -> Export {
    Export {
        format,
        source: matches.source.clone(),
        hits,
        name: c.id().to_owned(),
        title: c.title().to_owned(),
        description: c.description(),
        geometry: c.geometry_kind(),
        links,
        file_stem: c.id().to_owned(),
        csv: c.csv_layout(),
    }
}
