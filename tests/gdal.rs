//! GDAL's OAPIF driver, the client QGIS and ogr2ogr use, reads our collections. CI installs
//! gdal-bin; set ATLAS_SKIP_GDAL=1 only on a machine that cannot have it.
mod common;
use common::*;

use serde_json::Value;

/// Every collection, derived ones included, with the geometry GDAL reports for it.
const COLLECTIONS: [(&str, &str); 6] = [
    ("incidents", "Point"),
    ("places", "Polygon"),
    ("clash-zones", "Polygon"),
    ("displacement-reports", "Point"),
    ("displacement-flows", "Line String"),
    ("displacement-origins", "Polygon"),
];

fn feature_count(summary: &str) -> i64 {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in:\n{summary}"))
}

/// The FIDs of `ogrinfo -al` output, in order ("OGRFeature(layer):N").
fn fids(listing: &str) -> Vec<u64> {
    listing
        .lines()
        .filter_map(|l| l.strip_prefix("OGRFeature("))
        .filter_map(|l| l.split_once("):"))
        .map(|(_, n)| n.trim().parse().expect("numeric FID"))
        .collect()
}

/// The values of a string field in `ogrinfo -al` output, in order.
fn string_field(listing: &str, field: &str) -> Vec<String> {
    let prefix = format!("{field} (String) = ");
    listing
        .lines()
        .filter_map(|l| l.trim().strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

fn numeric_ids(fc: &Value) -> Vec<u64> {
    ids(fc)
        .iter()
        .map(|id| id.as_u64().expect("integer id"))
        .collect()
}

/// A server whose every collection has features: the scenario plus one displacement report
/// with a known destination (which makes a flow).
fn atlas() -> Server {
    let s = Server::start();
    let flow = serde_json::json!({"type": "Feature", "geometry": null, "properties": {
        "date": "2022-01-22", "origin": "al-Zuhur", "destination": "Tal Hajar", "households": 40}});
    let (st, body) = s.post("/collections/displacement-reports/items", &flow);
    assert_eq!(st, 201, "{body}");
    s
}

/// Every feature of `collection` matching `query`, as the server answers.
fn answer(s: &Server, collection: &str, query: &str) -> Value {
    let (status, fc) = s.get_json(&format!(
        "/collections/{collection}/items?limit=10000{query}"
    ));
    assert_eq!(status, 200, "{fc}");
    fc
}

#[test]
fn ogrinfo_reads_every_collection_with_numbermatched_features() {
    let s = atlas();
    for (collection, geometry) in COLLECTIONS {
        let matched = answer(&s, collection, "")["numberMatched"]
            .as_i64()
            .unwrap();
        assert!(matched > 0, "{collection} should have features");
        let url = format!("OAPIF:{}/collections/{collection}", s.base);
        let Some(summary) = ogrinfo(&["-ro", "-so", &url, collection]) else {
            return;
        };
        assert_eq!(feature_count(&summary), matched, "{collection}:\n{summary}");
        assert!(
            summary.contains(&format!("Geometry: {geometry}\n")),
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
fn ogrinfo_spatial_filter_on_every_collection_matches_the_server_bbox() {
    let s = atlas();
    // Around the prison, al-Zuhur and the cemetery: some features of each collection, not all.
    let bbox = ["40.755", "36.47", "40.775", "36.48"];
    let mut outside = 0;
    for (collection, _) in COLLECTIONS {
        let all = answer(&s, collection, "");
        let in_box = answer(&s, collection, &format!("&bbox={}", bbox.join(",")));
        let url = format!("OAPIF:{}/collections/{collection}", s.base);
        let mut args = vec!["-ro", "-al", "-q", &url, "-spat"];
        args.extend(bbox);
        let Some(out) = ogrinfo(&args) else {
            return;
        };
        let n = in_box["numberMatched"].as_u64().unwrap();
        assert_eq!(out.matches("OGRFeature(").count() as u64, n, "{collection}");
        assert!(n > 0, "{collection}: the box should hold some features");
        outside += all["numberMatched"].as_u64().unwrap() - n;
    }
    assert!(outside > 0, "the box should leave some features out");
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
    assert_eq!(fids(&out), numeric_ids(&zuhur));
    assert!(out.contains("POINT (40.7703 36.4757)"), "{out}");
}

#[test]
fn ogrinfo_pages_with_a_small_page_size() {
    if gdal_skipped() {
        return;
    }
    let s = Server::start();
    let url = format!("OAPIF:{}/collections/incidents", s.base);
    // --debug on makes GDAL log every URL it fetches.
    let (out, log) = gdal(
        "ogrinfo",
        &[
            "--debug",
            "on",
            "-ro",
            "-al",
            "-q",
            "-oo",
            "PAGE_SIZE=5",
            &url,
        ],
    );
    let all = answer(&s, "incidents", "");
    assert_eq!(
        fids(&out),
        numeric_ids(&all),
        "every incident once, in order"
    );
    assert!(
        log.contains("items?limit=5)"),
        "GDAL should fetch the first page:\n{log}"
    );
    // Later pages follow the next links, which pin the first page's snapshot.
    for offset in [5, 10, 15] {
        let page = format!("&offset={offset})");
        assert!(log.contains(&page), "GDAL should fetch {page}:\n{log}");
    }
    let mut tokens: Vec<&str> = log
        .split("snapshot=")
        .skip(1)
        .map(|rest| rest.split(['&', ')']).next().unwrap_or_default())
        .collect();
    tokens.dedup();
    assert_eq!(
        tokens.len(),
        1,
        "one snapshot for the whole sequence:\n{log}"
    );
    assert!(
        !log.contains("offset=20"),
        "16 incidents are 4 pages:\n{log}"
    );
}

#[test]
fn ogr2ogr_copies_every_collection_to_geopackage() {
    if gdal_skipped() {
        return;
    }
    let s = atlas();
    let gpkg = s.dir.join("atlas.gpkg");
    let gpkg = gpkg.to_str().unwrap();
    let source = format!("OAPIF:{}", s.base);
    // Pages of 4, so every collection with more than 4 features is read page by page.
    gdal(
        "ogr2ogr",
        &["-f", "GPKG", gpkg, &source, "-oo", "PAGE_SIZE=4"],
    );
    for (collection, geometry) in COLLECTIONS {
        let all = answer(&s, collection, "");
        let summary = gdal("ogrinfo", &["-ro", "-so", gpkg, collection]).0;
        assert_eq!(
            Some(feature_count(&summary)),
            all["numberMatched"].as_i64(),
            "{collection}:\n{summary}"
        );
        assert!(
            summary.contains(&format!("Geometry: {geometry}\n")),
            "{collection}:\n{summary}"
        );
        let listing = gdal("ogrinfo", &["-ro", "-al", "-q", gpkg, collection]).0;
        if all["features"][0]["id"].is_number() {
            // Integer ids become the GeoPackage's FIDs.
            assert_eq!(fids(&listing), numeric_ids(&all), "{collection}");
        } else {
            let server_ids: Vec<String> = ids(&all)
                .iter()
                .map(|id| id.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(string_field(&listing, "id"), server_ids, "{collection}");
        }
    }
    let zuhur = gdal(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            gpkg,
            "-sql",
            "SELECT * FROM incidents WHERE fid = 10",
        ],
    )
    .0;
    assert!(zuhur.contains("POINT (40.7703 36.4757)"), "{zuhur}");
    assert!(zuhur.contains("place_id (String) = al-zuhur"), "{zuhur}");
}
