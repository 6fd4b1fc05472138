//! GET /metrics: requests per route pattern (ids do not make new series), and the data served.
mod common;
use common::*;
use serde_json::json;

/// The value of the sample `name{labels}` (labels as written, sorted by name), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

#[test]
fn metrics_count_requests_by_route_pattern_and_follow_the_data() {
    let s = Server::start();
    for id in [1, 2, 3] {
        assert_eq!(
            s.get(&format!("/collections/incidents/items/{id}"))
                .status(),
            200
        );
    }
    assert_eq!(s.get("/no/such/path/42").status(), 404);
    let before = s.get("/metrics");
    assert_eq!(before.status(), 200);
    assert!(before
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain")));
    let header = |name: &str| {
        before
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    };
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        header("etag"),
        None,
        "new at every scrape: nothing to revalidate"
    );
    let before = before.text().expect("body");
    let item = r#"atlas_http_requests_total{endpoint="/collections/{collectionId}/items/{featureId}",method="GET",status="200"}"#;
    assert_eq!(sample(&before, item), Some(3.0), "{before}");
    let unmatched = r#"atlas_http_requests_total{endpoint="UNMATCHED",method="GET",status="404"}"#;
    assert_eq!(sample(&before, unmatched), Some(1.0), "{before}");
    assert!(
        !before.contains("/no/such/path"),
        "unmatched paths must not become series"
    );
    let histogram = r#"atlas_http_requests_duration_seconds_count{endpoint="/collections/{collectionId}/items/{featureId}",method="GET",status="200"}"#;
    assert_eq!(sample(&before, histogram), Some(3.0));
    assert_eq!(sample(&before, "atlas_incidents"), Some(16.0));
    let version = sample(&before, "atlas_snapshot_version").expect("a version");

    let incident = json!({"type": "Feature", "geometry": null, "properties": {
        "event_date": "2022-01-22", "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1": "Islamic State (Syria)", "place": "Ghweiran", "fatalities": 1,
        "source": "metrics test"}});
    let (status, _) = s.post("/collections/incidents/items", &incident);
    assert_eq!(status, 201);
    let after = s.get("/metrics").text().expect("body");
    assert_eq!(sample(&after, "atlas_incidents"), Some(17.0));
    assert!(sample(&after, "atlas_snapshot_version").expect("a version") > version);
    let created = r#"atlas_http_requests_total{endpoint="/collections/{collectionId}/items",method="POST",status="201"}"#;
    assert_eq!(sample(&after, created), Some(1.0), "{after}");
    // The feed: the seeded scenario (16 incidents, 2 reports) and this write; nothing behind.
    let seq = s.get("/collections").headers()["atlas-sync-cursor"]
        .to_str()
        .expect("cursor")
        .parse::<f64>()
        .expect("a number");
    assert_eq!(seq, 19.0);
    assert_eq!(sample(&after, "atlas_feed_seq"), Some(seq), "{after}");
    assert_eq!(sample(&after, "atlas_store_feed_seq"), Some(seq));
    assert_eq!(sample(&after, "atlas_replica_lag_changes"), Some(0.0));
    assert_eq!(sample(&after, "atlas_replica_lag_seconds"), Some(0.0));
    // The seed and this write: two commits; nothing applied from other servers.
    assert_eq!(sample(&after, "atlas_commits_total"), Some(2.0));
    assert_eq!(sample(&after, "atlas_feed_applied_total"), Some(0.0));

    let (status, problem) = s.get_json("/metrics?format=json");
    assert_eq!(status, 400);
    assert!(problem.to_string().contains("format"), "{problem}");
}
