//! GDAL's OAPIF driver, the client QGIS and ogr2ogr use, reads our collections. CI installs
//! gdal-bin; set ATLAS_SKIP_GDAL=1 only on a machine that cannot have it.
mod common;
use common::*;
use std::process::Command;

fn ogrinfo(args: &[&str]) -> Option<String> {
    if std::env::var_os("ATLAS_SKIP_GDAL").is_some() {
        return None;
    }
    let out = Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo not found: install gdal-bin (or set ATLAS_SKIP_GDAL=1)");
    assert!(
        out.status.success(),
        "ogrinfo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn feature_count(summary: &str) -> i64 {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in:\n{summary}"))
}

#[test]
fn ogrinfo_reads_every_collection_with_numbermatched_features() {
    let s = Server::start();
    for (collection, geometry) in [
        ("incidents", "Point"),
        ("places", "Polygon"),
        ("clash-zones", "Polygon"),
        ("displacement-reports", "Point"),
        ("displacement-origins", "Polygon"),
    ] {
        let (_, fc) = s.get_json(&format!("/collections/{collection}/items?limit=1"));
        let matched = fc["numberMatched"].as_i64().unwrap();
        let url = format!("OAPIF:{}/collections/{collection}", s.base);
        let Some(summary) = ogrinfo(&["-ro", "-so", &url, collection]) else {
            return;
        };
        assert_eq!(feature_count(&summary), matched, "{collection}:\n{summary}");
        assert!(
            summary.contains(&format!("Geometry: {geometry}")),
            "{summary}"
        );
        // Reading every feature (GDAL pages with next links) gives the same number.
        let all = ogrinfo(&["-ro", "-al", "-q", &url]).unwrap();
        assert_eq!(
            all.matches("OGRFeature(").count() as i64,
            matched,
            "{collection}"
        );
    }
}

#[test]
fn ogrinfo_where_and_spatial_filters_match_the_server() {
    let s = Server::start();
    let url = format!("OAPIF:{}/collections/incidents", s.base);
    let (_, battles) = s.get_json("/collections/incidents/items?event_type=Battles");
    let Some(out) = ogrinfo(&["-ro", "-al", "-q", &url, "-where", "event_type = 'Battles'"]) else {
        return;
    };
    assert_eq!(
        out.matches("OGRFeature(").count() as u64,
        battles["numberMatched"].as_u64().unwrap()
    );
    // -spat is minx miny maxx maxy; GDAL turns it into a bbox request.
    let (_, zuhur) = s.get_json("/collections/incidents/items?bbox=40.768,36.474,40.772,36.478");
    let out = ogrinfo(&[
        "-ro", "-al", "-q", &url, "-spat", "40.768", "36.474", "40.772", "36.478",
    ])
    .unwrap();
    assert_eq!(
        out.matches("OGRFeature(").count() as u64,
        zuhur["numberMatched"].as_u64().unwrap()
    );
    assert!(out.contains("POINT (40.7703 36.4757)"), "{out}");
}

#[test]
fn ogrinfo_reads_displacement_flows() {
    let s = Server::start();
    let flow = serde_json::json!({"type": "Feature", "geometry": null, "properties": {
        "date": "2022-01-22", "origin": "al-Zuhur", "destination": "Tal Hajar", "households": 40}});
    let (st, body) = s.post("/collections/displacement-reports/items", &flow);
    assert_eq!(st, 201, "{body}");
    let url = format!("OAPIF:{}/collections/displacement-flows", s.base);
    let Some(summary) = ogrinfo(&["-ro", "-so", &url, "displacement-flows"]) else {
        return;
    };
    assert_eq!(feature_count(&summary), 1, "{summary}");
    assert!(summary.contains("Geometry: Line String"), "{summary}");
}
