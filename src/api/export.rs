//! Features in the download formats, streamed: CSV and GeoJSON text sequences (RFC 8142) are
//! written chunk by chunk while they are sent, never held whole. FlatGeobuf's features are
//! encoded first, off the async workers (its packed index comes before them), within the
//! bounds of `export_limits` (see `fgb_download`).
//!
//! Exports have no default page: without `limit` they carry every match from `offset` on
//! (see `export_limit`); paging links travel in a Link header (RFC 8288).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;

use super::export_limits::ExportLimits;
use super::fgb_download;
use super::format::Format;
use super::links::Link;
use super::problem::ApiError;
use crate::collection::{FeatureSource, GeometryKind, Hit};
use crate::feature_output::FeatureOutput;
use crate::io::plain_feature::{PlainFeature, Schema};
use crate::io::{acled_csv, wkt_csv};

/// GeoJSON features per streamed chunk are written until the chunk holds this many bytes.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// CSV rows per streamed chunk (a row is well under a kilobyte).
const CHUNK_ROWS: usize = 64;
/// The record separator that starts each text of a GeoJSON text sequence.
const RS: u8 = 0x1e;

/// Writes one feature as GeoJSON, for text sequences.
fn feature_json(source: &dyn FeatureSource, hit: &Hit, out: &mut Vec<u8>) {
    // Downloads are written in CRS84 with every property.
    source.write_feature(hit, &FeatureOutput::DEFAULT, out);
}

/// One feature as id, geometry and properties, for the tabular formats: the values its
/// GeoJSON form is written from (no JSON written and read back per feature).
pub fn plain_feature(source: &dyn FeatureSource, hit: &Hit) -> PlainFeature {
    let mut properties = source.properties(hit);
    if let Some(d) = hit.distance_m {
        // As the GeoJSON writers give it: centimetres.
        properties
            .entry("distance_m")
            .or_insert_with(|| ((d * 100.0).round() / 100.0).into());
    }
    PlainFeature {
        id: Some(source.feature_id_value(hit)),
        geometry: Some(source.geometry(hit).into_owned()),
        properties,
    }
}

/// The features a response carries and how to describe them.
pub struct Export {
    pub format: Format,
    pub source: Arc<dyn FeatureSource>,
    /// The features to write, in order (a page of the matches, or one feature).
    pub hits: Vec<Hit>,
    /// The layer: name, title and description for FlatGeobuf's header.
    pub name: String,
    pub title: String,
    pub description: String,
    pub geometry: GeometryKind,
    /// The collection's CSV columns.
    pub csv: crate::collection::CsvLayout,
    /// Sent as the Link header: self, alternates, collection, next and prev.
    pub links: Vec<Link>,
    /// The file name a download is saved under, without extension.
    pub file_stem: String,
}

/// The download; FlatGeobuf within `limits`.
pub async fn respond(export: Export, limits: &Arc<ExportLimits>) -> Result<HttpResponse, ApiError> {
    let mut res = HttpResponse::Ok();
    res.content_type(export.format.content_type());
    res.insert_header((
        header::CONTENT_DISPOSITION,
        format!(
            "attachment; filename=\"{}.{}\"",
            safe_file_name(&export.file_stem),
            export.format.extension()
        ),
    ));
    if let Some(value) = link_header(&export.links) {
        res.insert_header((header::LINK, value));
    }
    match export.format {
        Format::GeoJsonSeq => Ok(res.streaming(chunks(export, Rows::Seq))),
        Format::Csv if export.csv == crate::collection::CsvLayout::Acled => {
            Ok(res.streaming(chunks(export, Rows::Acled)))
        }
        Format::Csv => {
            // The header needs every column before the first row: one pass to find them.
            let (export, schema) = web::block(move || {
                let schema = schema_of(export.source.as_ref(), &export.hits);
                (export, schema)
            })
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(res.streaming(chunks(export, Rows::Wkt(schema))))
        }
        Format::FlatGeobuf => fgb_download::respond(res, export, limits).await,
        other => Err(ApiError::Internal(format!(
            "{} is not an export format",
            other.name()
        ))),
    }
}

fn schema_of(source: &dyn FeatureSource, hits: &[Hit]) -> Schema {
    let mut schema = Schema::default();
    for hit in hits {
        schema.add(&plain_feature(source, hit));
    }
    schema
}

/// How rows are written.
enum Rows {
    /// RS, the feature's GeoJSON, LF.
    Seq,
    /// ACLED's columns, from the incident records.
    Acled,
    /// WKT, id and the properties.
    Wkt(Schema),
}

/// The body as a stream of chunks, each written when the connection asks for it.
fn chunks(
    export: Export,
    rows: Rows,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::iter(Chunks {
        source: export.source,
        hits: export.hits,
        next: 0,
        rows,
        started: false,
    })
}

struct Chunks {
    source: Arc<dyn FeatureSource>,
    hits: Vec<Hit>,
    next: usize,
    rows: Rows,
    /// Whether the first chunk (with the CSV header) went out.
    started: bool,
}

impl Chunks {
    fn fill(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let source = self.source.as_ref();
        let first = !self.started;
        self.started = true;
        let csv_error = |e: csv::Error| e.to_string();
        match &self.rows {
            Rows::Seq => {
                while self.next < self.hits.len() && out.len() < CHUNK_BYTES {
                    out.push(RS);
                    feature_json(source, &self.hits[self.next], out);
                    out.push(b'\n');
                    self.next += 1;
                }
            }
            Rows::Acled => {
                let mut w = csv::Writer::from_writer(std::mem::take(out));
                if first {
                    acled_csv::write_header(&mut w).map_err(csv_error)?;
                }
                let mut written = 0;
                while self.next < self.hits.len() && written < CHUNK_ROWS {
                    let hit = &self.hits[self.next];
                    let incident = source
                        .incident(hit)
                        .ok_or_else(|| format!("no incident at {}", hit.index))?;
                    acled_csv::write_row(&mut w, incident).map_err(csv_error)?;
                    self.next += 1;
                    written += 1;
                }
                *out = w.into_inner().map_err(|e| e.to_string())?;
            }
            Rows::Wkt(schema) => {
                let mut w = csv::Writer::from_writer(std::mem::take(out));
                if first {
                    wkt_csv::write_header(&mut w, schema).map_err(csv_error)?;
                }
                let mut written = 0;
                while self.next < self.hits.len() && written < CHUNK_ROWS {
                    let f = plain_feature(source, &self.hits[self.next]);
                    wkt_csv::write_row(&mut w, schema, &f).map_err(csv_error)?;
                    self.next += 1;
                    written += 1;
                }
                *out = w.into_inner().map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

impl Iterator for Chunks {
    type Item = Result<Bytes, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.started && self.next >= self.hits.len() {
            return None;
        }
        let mut out = Vec::with_capacity(CHUNK_BYTES + 4096);
        match self.fill(&mut out) {
            // An empty sequence has no bytes at all.
            Ok(()) if out.is_empty() => None,
            Ok(()) => Some(Ok(Bytes::from(out))),
            Err(e) => {
                tracing::error!(error = %e, "export stopped");
                // Nothing more is sent; the client sees a truncated body.
                self.next = self.hits.len();
                Some(Err(std::io::Error::other(e)))
            }
        }
    }
}

/// Links as an RFC 8288 Link header value; `None` if a URL cannot go into a header.
fn link_header(links: &[Link]) -> Option<header::HeaderValue> {
    let value = links
        .iter()
        .map(|l| format!("<{}>; rel=\"{}\"; type=\"{}\"", l.href, l.rel, l.media_type))
        .collect::<Vec<_>>()
        .join(", ");
    header::HeaderValue::from_str(&value).ok()
}

/// Letters, digits, '-' and '_' only: a file name no client can misread.
fn safe_file_name(stem: &str) -> String {
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
