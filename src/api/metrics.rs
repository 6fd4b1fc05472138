//! GET /metrics in Prometheus' text format: requests and their latency per route pattern and
//! status (actix-web-prom, which labels by the matched pattern, so ids do not multiply the
//! series), and the state of the data (snapshot version, incidents, age of the newest write),
//! read when scraped.

use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{Encoder, Gauge, IntGauge, TextEncoder};

use super::problem::{ApiError, Problem};
use super::AppState;
use crate::service::QueryParams;

/// The request metrics middleware and the gauges of the data it shares a registry with.
#[derive(Clone)]
pub struct Metrics {
    pub requests: PrometheusMetrics,
    snapshot_version: IntGauge,
    incidents: IntGauge,
    last_change: Gauge,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let requests = PrometheusMetricsBuilder::new("atlas")
            // A request no route matches counts under one label, not under its path.
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|e| prometheus::Error::Msg(e.to_string()))?;
        let snapshot_version = IntGauge::new(
            "atlas_snapshot_version",
            "Version of the data snapshot served (bumped by every published write)",
        )?;
        let incidents = IntGauge::new("atlas_incidents", "Incidents in the snapshot served")?;
        let last_change = Gauge::new(
            "atlas_last_change_timestamp_seconds",
            "When the newest write in the snapshot served was made (Unix seconds)",
        )?;
        for gauge in [&snapshot_version, &incidents] {
            requests.registry.register(Box::new(gauge.clone()))?;
        }
        requests.registry.register(Box::new(last_change.clone()))?;
        Ok(Metrics {
            requests,
            snapshot_version,
            incidents,
            last_change,
        })
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "getMetrics",
    summary = "Prometheus metrics: requests and latency per route, and the data served",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4",
            body = String, content_type = "text/plain; version=0.0.4"),
        (status = 400, description = "Any query parameter",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(req.query_string(), &[], "/metrics")?;
    let m = &state.metrics;
    let snap = state.atlas.snapshot();
    m.snapshot_version
        .set(i64::try_from(snap.version).unwrap_or(i64::MAX));
    m.incidents
        .set(i64::try_from(snap.incidents.len()).unwrap_or(i64::MAX));
    m.last_change
        .set(snap.last_change.timestamp_micros() as f64 / 1e6);
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    encoder
        .encode(&m.requests.registry.gather(), &mut body)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
        // New at every scrape: neither stored nor revalidated.
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body))
}
