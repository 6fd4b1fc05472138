//! GET /metrics in Prometheus' text format: requests and their latency per route pattern and
//! status (actix-web-prom, which labels by the matched pattern, so ids do not multiply the
//! series), the state of the data (snapshot version, incidents, age of the newest write), and
//! how this replica follows the store (its feed position against the store's, lag, commits,
//! pool use), read when scraped.

use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use std::sync::atomic::Ordering;

use prometheus::{Encoder, Gauge, IntGauge, IntGaugeVec, Opts, TextEncoder};

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
    snapshot_seq: IntGauge,
    store_seq: IntGauge,
    lag_changes: IntGauge,
    lag_seconds: Gauge,
    commits: IntGauge,
    applied: IntGauge,
    pool: IntGaugeVec,
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
        let snapshot_seq = IntGauge::new(
            "atlas_feed_seq",
            "The change feed's sequence number the snapshot served is at",
        )?;
        let store_seq = IntGauge::new(
            "atlas_store_feed_seq",
            "The store's newest sequence number, read at the scrape (-1: the store is unreachable)",
        )?;
        let lag_changes = IntGauge::new(
            "atlas_replica_lag_changes",
            "Sequence numbers committed to the store and not yet served here",
        )?;
        let lag_seconds = Gauge::new(
            "atlas_replica_lag_seconds",
            "Seconds since this server last served everything the store held (0 when current)",
        )?;
        // Counters kept by the atlas and copied at the scrape (so they are gauges here, but
        // only ever grow within one process).
        let commits = IntGauge::new(
            "atlas_commits_total",
            "Commits made by this server (a group commit counts once)",
        )?;
        let applied = IntGauge::new(
            "atlas_feed_applied_total",
            "Feed entries applied here from commits made by other servers",
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "atlas_store_pool_connections",
                "Connections of the store's pool, by state (PostgreSQL)",
            ),
            &["state"],
        )?;
        for gauge in [
            &snapshot_version,
            &incidents,
            &snapshot_seq,
            &store_seq,
            &lag_changes,
            &commits,
            &applied,
        ] {
            requests.registry.register(Box::new(gauge.clone()))?;
        }
        for gauge in [&last_change, &lag_seconds] {
            requests.registry.register(Box::new(gauge.clone()))?;
        }
        requests.registry.register(Box::new(pool.clone()))?;
        Ok(Metrics {
            requests,
            snapshot_version,
            incidents,
            last_change,
            snapshot_seq,
            store_seq,
            lag_changes,
            lag_seconds,
            commits,
            applied,
            pool,
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
    m.snapshot_seq.set(snap.seq);
    let atlas = &state.atlas;
    m.commits
        .set(atlas.counters.commits.load(Ordering::Relaxed) as i64);
    m.applied
        .set(atlas.counters.applied.load(Ordering::Relaxed) as i64);
    let feed = atlas.feed.clone();
    let head = web::block(move || feed.head())
        .await
        .ok()
        .and_then(Result::ok);
    match head {
        Some(head) => {
            let behind = (head.seq - snap.seq).max(0);
            m.store_seq.set(head.seq);
            m.lag_changes.set(behind);
            m.lag_seconds
                .set(if behind > 0 { atlas.lag.seconds() } else { 0.0 });
        }
        None => {
            m.store_seq.set(-1);
            m.lag_seconds.set(atlas.lag.seconds());
        }
    }
    if let Some(pool) = atlas.feed.pool() {
        m.pool.with_label_values(&["idle"]).set(pool.idle as i64);
        m.pool
            .with_label_values(&["in_use"])
            .set(pool.size.saturating_sub(pool.idle) as i64);
    }
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
