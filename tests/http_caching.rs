//! HTTP caching and transport on reads: compression by Accept-Encoding (each encoding decoded
//! here), ETag revalidation, Cache-Control per resource, CORS preflight for reads and writes,
//! and HEAD on every GET route the OpenAPI document lists.
mod common;

use std::io::Read;

use common::*;
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::Value;

const ITEMS: &str = "/collections/incidents/items";

fn header(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn send(s: &Server, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = s.client().request(method, s.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().expect("request")
}

fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map(|_| ()),
        "br" => brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut out)
            .map(|_| ()),
        "zstd" => zstd::decode_all(bytes).map(|d| out = d),
        other => panic!("no decoder for {other}"),
    }
    .unwrap_or_else(|e| panic!("{encoding} body does not decode: {e}"));
    out
}

/// The JSON of a body, without the generation time (which may tick between two requests).
fn json_without_time(bytes: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(bytes).expect("JSON body");
    if let Some(o) = v.as_object_mut() {
        o.remove("timeStamp");
    }
    v
}

#[test]
fn gzip_brotli_and_zstd_each_decode_to_the_same_json() {
    let s = Server::start();
    for path in [
        format!("{ITEMS}?limit=5"),
        format!("{ITEMS}/10"),
        "/collections/incidents/queryables".to_owned(),
        "/api".to_owned(),
    ] {
        let plain = send(&s, Method::GET, &path, &[]);
        assert_eq!(header(&plain, "content-encoding"), None, "{path}");
        let expected = json_without_time(&plain.bytes().expect("body"));
        if path.contains("limit=5") {
            assert_eq!(ids(&expected), [1, 2, 3, 4, 5].map(Value::from));
        }
        for encoding in ["gzip", "br", "zstd"] {
            let res = send(&s, Method::GET, &path, &[("Accept-Encoding", encoding)]);
            assert_eq!(res.status(), 200, "{path} {encoding}");
            assert_eq!(
                header(&res, "content-encoding").as_deref(),
                Some(encoding),
                "{path}"
            );
            let vary = header(&res, "vary").unwrap_or_default().to_lowercase();
            assert!(vary.contains("accept-encoding"), "{path}: vary {vary}");
            let body = res.bytes().expect("body");
            let decoded = decode(encoding, &body);
            assert!(body.len() < decoded.len(), "{path}: {encoding} is smaller");
            assert_eq!(json_without_time(&decoded), expected, "{path} {encoding}");
        }
    }
    // The client's preference decides among several.
    let res = send(
        &s,
        Method::GET,
        ITEMS,
        &[("Accept-Encoding", "gzip;q=0.5, zstd;q=1.0, br;q=0.1")],
    );
    assert_eq!(header(&res, "content-encoding").as_deref(), Some("zstd"));
}

#[test]
fn if_none_match_gives_304_on_every_data_read() {
    let s = Server::start();
    let paths = [
        ITEMS.to_owned(),
        format!("{ITEMS}?place_id=al-zuhur&limit=2"),
        format!("{ITEMS}/10"),
        "/collections".to_owned(),
        "/collections/incidents".to_owned(),
        "/collections/incidents/queryables".to_owned(),
        "/collections/incidents/sortables".to_owned(),
        "/collections/incidents/deletions".to_owned(),
        "/collections/places/items/al-zuhur".to_owned(),
    ];
    for path in &paths {
        let res = send(&s, Method::GET, path, &[]);
        assert_eq!(res.status(), 200, "{path}");
        let etag = header(&res, "etag").unwrap_or_else(|| panic!("{path}: no ETag"));
        for encoding in ["identity", "gzip"] {
            let again = send(
                &s,
                Method::GET,
                path,
                &[("If-None-Match", &etag), ("Accept-Encoding", encoding)],
            );
            assert_eq!(again.status(), 304, "{path} ({encoding})");
            assert_eq!(header(&again, "etag").as_deref(), Some(etag.as_str()));
            assert_eq!(header(&again, "cache-control").as_deref(), Some("no-cache"));
            assert!(header(&again, "atlas-sync-cursor").is_some(), "{path}");
            assert!(
                header(&again, "vary")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                "{path}"
            );
            assert!(again.bytes().expect("body").is_empty(), "{path}: 304 body");
        }
        // Any of several tags; and a tag that does not match gets the body.
        let list = format!("W/\"0000000000000000\", {etag}");
        let res = send(&s, Method::GET, path, &[("If-None-Match", &list)]);
        assert_eq!(res.status(), 304, "{path} with a list");
        let res = send(
            &s,
            Method::GET,
            path,
            &[("If-None-Match", "W/\"0000000000000000\"")],
        );
        assert_eq!(res.status(), 200, "{path} with another tag");
        assert!(!res.bytes().expect("body").is_empty());
    }
    // A write changes the answer, so the old tag no longer matches.
    let old = header(&send(&s, Method::GET, &format!("{ITEMS}/10"), &[]), "etag").expect("ETag");
    let (status, patched) = s.send_json(
        Method::PATCH,
        &format!("{ITEMS}/10"),
        &serde_json::json!({"properties": {"fatalities": 5}}),
        Some(TOKEN),
    );
    assert_eq!(status, 200, "{patched}");
    let res = send(
        &s,
        Method::GET,
        &format!("{ITEMS}/10"),
        &[("If-None-Match", &old)],
    );
    assert_eq!(res.status(), 200);
    assert_ne!(header(&res, "etag"), Some(old));
    let (_, feature) = json_of(res);
    assert_eq!(feature["properties"]["fatalities"], 5);
}

#[test]
fn cache_control_by_resource() {
    let s = Server::start();
    for (path, status, expected) in [
        ("/", 200, "public, max-age=3600"),
        ("/conformance", 200, "public, max-age=3600"),
        ("/api", 200, "public, max-age=3600"),
        ("/collections", 200, "no-cache"),
        ("/collections/incidents", 200, "no-cache"),
        (ITEMS, 200, "no-cache"),
        ("/collections/incidents/items/10", 200, "no-cache"),
        ("/collections/incidents/queryables", 200, "no-cache"),
        ("/collections/incidents/deletions", 200, "no-cache"),
        ("/collections/clash-zones/items", 200, "no-cache"),
        ("/geocode?q=Ghuwairan", 200, "no-cache"),
        // Errors are not kept either: the feature may exist by the next request.
        ("/collections/incidents/items/99", 404, "no-cache"),
        ("/collections/incidents/items?limit=0", 400, "no-cache"),
        ("/conformance?x=1", 400, "no-cache"),
    ] {
        for method in [Method::GET, Method::HEAD] {
            let res = send(&s, method.clone(), path, &[]);
            assert_eq!(res.status(), status, "{method} {path}");
            assert_eq!(
                header(&res, "cache-control").as_deref(),
                Some(expected),
                "{method} {path}"
            );
        }
    }
}

#[test]
fn preflight_is_answered_for_reads_and_writes() {
    let s = Server::start();
    let origin = "https://mirror.example.org";
    for (path, method, asked_headers) in [
        (ITEMS, "GET", None),
        ("/collections/incidents/deletions", "GET", None),
        (ITEMS, "POST", Some("authorization, content-type")),
        (
            "/collections/incidents/items/3",
            "PUT",
            Some("authorization, content-type"),
        ),
        (
            "/collections/incidents/items/3",
            "PATCH",
            Some("authorization, content-type"),
        ),
        (
            "/collections/incidents/items/3",
            "DELETE",
            Some("authorization"),
        ),
        (
            "/collections/incidents/search",
            "POST",
            Some("content-type"),
        ),
        ("/geoparse", "POST", Some("content-type")),
    ] {
        let mut headers = vec![
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
        ];
        if let Some(h) = asked_headers {
            headers.push(("Access-Control-Request-Headers", h));
        }
        let res = send(&s, Method::OPTIONS, path, &headers);
        let what = format!("preflight {method} {path}");
        assert!(res.status().is_success(), "{what}: {}", res.status());
        let allow_origin = header(&res, "access-control-allow-origin");
        assert!(
            allow_origin
                .as_deref()
                .is_some_and(|o| o == origin || o == "*"),
            "{what}: {allow_origin:?}"
        );
        let methods = header(&res, "access-control-allow-methods").unwrap_or_default();
        assert!(
            methods.split(',').any(|m| m.trim() == method),
            "{what}: {methods}"
        );
        if let Some(asked) = asked_headers {
            let allowed = header(&res, "access-control-allow-headers")
                .unwrap_or_default()
                .to_lowercase();
            for h in asked.split(", ") {
                assert!(
                    allowed == "*" || allowed.split(',').any(|a| a.trim() == h),
                    "{what}: {h} not in {allowed}"
                );
            }
        }
        assert_eq!(
            header(&res, "access-control-max-age").as_deref(),
            Some("86400")
        );
        assert!(res.bytes().expect("body").is_empty(), "{what}: no body");
    }
    // The actual read lets the page's script see the tags and the sync cursor.
    let res = send(&s, Method::GET, ITEMS, &[("Origin", origin)]);
    let exposed = header(&res, "access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase();
    for h in ["etag", "location", "atlas-sync-cursor"] {
        assert!(
            exposed.split(',').any(|e| e.trim() == h),
            "{h} in {exposed}"
        );
    }
}

/// A concrete URL for each templated GET path of /api: feature ids come from each
/// collection's first feature, required query parameters from a table.
fn concrete(s: &Server, template: &str, op: &Value) -> String {
    let mut path = template.replace("{collectionId}", "incidents");
    if path.contains("{featureId}") {
        let collection = path.split('/').nth(2).expect("collection id");
        let (_, fc) = s.get_json(&format!("/collections/{collection}/items?limit=1"));
        let id = fc["features"][0]["id"].clone();
        let id = match id {
            Value::String(text) => text,
            Value::Null => "none".to_owned(), // an empty collection: both methods 404
            other => other.to_string(),
        };
        path = path.replace("{featureId}", &id);
    }
    // Tiles: the tile holding al-Sina'a prison at zoom 14 (row 6406, column 10047).
    path = path
        .replace("{tileMatrixSetId}", "WebMercatorQuad")
        .replace("{tileMatrix}", "14")
        .replace("{tileRow}", "6406")
        .replace("{tileCol}", "10047");
    assert!(!path.contains('{'), "no value for {template}");
    let required: Vec<String> = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| {
                    let name = p["name"].as_str().expect("name");
                    let value = match name {
                        "q" => "al-Zuhur",
                        "lon" => "40.7625",
                        "lat" => "36.4775",
                        other => panic!("no test value for required {other} of {template}"),
                    };
                    format!("{name}={value}")
                })
                .collect()
        })
        .unwrap_or_default();
    if required.is_empty() {
        path
    } else {
        format!("{path}?{}", required.join("&"))
    }
}

#[test]
fn head_on_every_get_route_has_the_headers_and_no_body() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    let paths = api["paths"].as_object().expect("paths");
    let mut checked = Vec::new();
    for (template, item) in paths {
        let Some(op) = item.get("get") else { continue };
        let path = concrete(&s, template, op);
        let get = send(&s, Method::GET, &path, &[]);
        let head = send(&s, Method::HEAD, &path, &[]);
        let status = get.status();
        assert_eq!(head.status(), status, "HEAD {path}");
        for name in ["etag", "content-type", "cache-control", "atlas-sync-cursor"] {
            assert_eq!(
                header(&head, name),
                header(&get, name),
                "HEAD {path}: {name}"
            );
        }
        // Every 200 has an ETag, but for an answer never to be stored (/metrics).
        let unstored = header(&get, "cache-control").as_deref() == Some("no-store");
        assert!(
            status != 200 || header(&get, "etag").is_some() || unstored,
            "{path}: ETag"
        );
        assert!(head.bytes().expect("body").is_empty(), "HEAD {path}: body");
        // An empty vector tile is a 204 with no body.
        assert_eq!(
            get.bytes().expect("body").is_empty(),
            status == 204,
            "GET {path}: body"
        );
        checked.push((path, status.as_u16()));
    }
    // Every collection's items, item, queryables and sortables, the deletions feed, the
    // landing page, conformance, /api, /metrics, /changes, /collections, one collection,
    // geocode, reverse and the map viewer; every collection's tilesets, tileset and a tile, and the two tile
    // matrix set paths.
    assert_eq!(checked.len(), 6 * 4 + 1 + 10 + 6 * 3 + 2, "{checked:?}");
    // Only the empty displacement-flows layer has no feature to HEAD, and empty tiles
    // (flows, and places or zones not drawn there) are 204s.
    for (path, status) in &checked {
        match status {
            200 => {}
            404 => assert!(path.contains("displacement-flows/items/"), "{path}"),
            204 => assert!(path.contains("/tiles/WebMercatorQuad/14/"), "{path}"),
            _ => panic!("{path}: {status}"),
        }
    }
    let incident_tile = "/collections/incidents/tiles/WebMercatorQuad/14/6406/10047";
    assert!(
        checked.contains(&(incident_tile.to_owned(), 200)),
        "{checked:?}"
    );
}
