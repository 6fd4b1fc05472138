//! Deeply nested requests (issue 10, hardening): a filter, a geometry or a JSON body nested
//! far deeper than any real request must be refused with a 400 problem that names the field
//! and the limit, and the server must stay up. Before the depth limits, a cql2-text filter
//! nested ~900 levels overflowed a worker's stack and aborted the whole process.
//!
//! Deep inputs are built as strings: a `serde_json::Value` 10⁵ levels deep would overflow this
//! test's own stack when serialised or dropped. GET requests use the deepest filter whose URL
//! fits the HTTP client (under 64 KiB, below actix's 128 KiB request head); POST bodies carry
//! 10⁵ levels.
mod common;
use common::*;
use incident_atlas::api::MAX_BODY_DEPTH;
use incident_atlas::filter::MAX_FILTER_DEPTH;
use reqwest::blocking::RequestBuilder;
use serde_json::{json, Value};

/// Levels a POST attack nests.
const ABSURD: usize = 100_000;

/// Status, Content-Type and body (JSON when it parses).
fn send(req: RequestBuilder) -> (u16, String, Value) {
    let res = req
        .send()
        .unwrap_or_else(|e| panic!("no answer (did the server crash?): {}", e.without_url()));
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, content_type, body)
}

/// A 400 problem+json naming `field` whose detail says `nested deeper than {limit} levels`.
fn assert_too_deep(answer: (u16, String, Value), field: &str, limit: usize) {
    let (status, content_type, body) = answer;
    assert_problem(status, &body, 400, field);
    assert_eq!(content_type, "application/problem+json", "{body}");
    let detail = body["detail"].as_str().unwrap_or("");
    assert!(detail.contains(field), "detail names {field}: {detail}");
    assert!(
        detail.contains(&format!("nested deeper than {limit} levels")),
        "detail states the limit {limit}: {detail}"
    );
}

/// The server still serves: the first incident, as before the attack.
fn assert_still_up(s: &Server) {
    let (status, fc) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(status, 200, "server still up: {fc}");
    assert_eq!(ids(&fc), [json!(1)], "{fc}");
}

/// Percent-encodes a query value (spaces as +, as form encoding reads them).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 3);
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'(' | b')' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn get_items(s: &Server, query: &str) -> (u16, String, Value) {
    send(
        s.client()
            .get(s.url(&format!("/collections/incidents/items?{query}"))),
    )
}

fn get_filter(s: &Server, filter: &str) -> (u16, String, Value) {
    get_items(s, &format!("filter={}", encode(filter)))
}

fn get_json_filter(s: &Server, filter: &str) -> (u16, String, Value) {
    get_items(
        s,
        &format!("filter-lang=cql2-json&filter={}", encode(filter)),
    )
}

/// POSTs a body given as text.
fn post_text(s: &Server, path: &str, body: String) -> (u16, String, Value) {
    send(
        s.client()
            .post(s.url(path))
            .header("Content-Type", "application/json")
            .bearer_auth(TOKEN)
            .body(body),
    )
}

fn search(s: &Server, body: String) -> (u16, String, Value) {
    post_text(s, "/collections/incidents/search", body)
}

fn search_text(s: &Server, filter: &str) -> (u16, String, Value) {
    search(s, json!({ "filter": filter }).to_string())
}

fn parens(levels: usize) -> String {
    format!("{}fatalities > 1{}", "(".repeat(levels), ")".repeat(levels))
}

fn nots(levels: usize) -> String {
    format!("{}fatalities > 1", "NOT ".repeat(levels))
}

/// A cql2-json filter nested exactly `depth` levels of objects and arrays: NOTs around
/// `true` (2 levels each), or around a comparison (3 levels) for an odd depth.
fn json_filter(depth: usize) -> String {
    let (n, leaf) = if depth.is_multiple_of(2) {
        (depth / 2, "true")
    } else {
        (
            (depth - 3) / 2,
            r#"{"op":">","args":[{"property":"fatalities"},1]}"#,
        )
    };
    format!(
        "{}{leaf}{}",
        r#"{"op":"not","args":["#.repeat(n),
        "]}".repeat(n)
    )
}

/// `[[[…1…]]]`, `levels` arrays deep.
fn arrays(levels: usize) -> String {
    format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
}

/// Matches of a filter that must work.
fn matched(answer: (u16, String, Value)) -> u64 {
    let (status, _, body) = answer;
    assert_eq!(status, 200, "{body}");
    body["numberMatched"].as_u64().expect("numberMatched")
}

#[test]
fn cql2_text_parentheses_are_bounded() {
    let s = Server::start();
    // The attacks first: before the limit, each aborted the server.
    assert_too_deep(search_text(&s, &parens(ABSURD)), "filter", MAX_FILTER_DEPTH);
    assert_still_up(&s);
    // ~40 KB of URL.
    assert_too_deep(get_filter(&s, &parens(20_000)), "filter", MAX_FILTER_DEPTH);
    assert_still_up(&s);

    let plain = matched(get_filter(&s, "fatalities > 1"));
    assert_eq!(matched(get_filter(&s, &parens(MAX_FILTER_DEPTH))), plain);
    assert_too_deep(
        get_filter(&s, &parens(MAX_FILTER_DEPTH + 1)),
        "filter",
        MAX_FILTER_DEPTH,
    );
    // The deepest tree cql2-text makes (an OR of ANDs in every parenthesis), with the terms
    // the server ANDs around a filter: compiling accepts whatever the parser did.
    let deepest = format!(
        "{}fatalities > 1{}",
        "(".repeat(MAX_FILTER_DEPTH),
        ") AND id > 0 OR id < 0".repeat(MAX_FILTER_DEPTH)
    );
    let query = format!(
        "filter={}&updated_after=2000-01-01T00:00:00Z&event_type=Battles",
        encode(&deepest)
    );
    let (status, _, body) = get_items(&s, &query);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn cql2_text_not_chains_are_bounded() {
    let s = Server::start();
    assert_too_deep(search_text(&s, &nots(ABSURD)), "filter", MAX_FILTER_DEPTH);
    assert_still_up(&s);
    // ~60 KB of URL ("NOT+" per level).
    assert_too_deep(get_filter(&s, &nots(15_000)), "filter", MAX_FILTER_DEPTH);
    assert_still_up(&s);

    let plain = matched(get_filter(&s, "fatalities > 1"));
    let at_limit = matched(get_filter(&s, &nots(MAX_FILTER_DEPTH)));
    let flips = !MAX_FILTER_DEPTH.is_multiple_of(2);
    assert_eq!(at_limit, if flips { 16 - plain } else { plain });
    assert_too_deep(
        get_filter(&s, &nots(MAX_FILTER_DEPTH + 1)),
        "filter",
        MAX_FILTER_DEPTH,
    );
}

#[test]
fn cql2_text_function_nesting_is_bounded() {
    let s = Server::start();
    let collection = |levels: usize| {
        format!(
            "S_INTERSECTS(geometry, {}POINT(40.76 36.47){})",
            "GEOMETRYCOLLECTION(".repeat(levels),
            ")".repeat(levels)
        )
    };
    assert_too_deep(
        search_text(&s, &collection(ABSURD)),
        "filter",
        MAX_FILTER_DEPTH,
    );
    assert_still_up(&s);
    assert_eq!(search_text(&s, &collection(MAX_FILTER_DEPTH)).0, 200);
    assert_too_deep(
        search_text(&s, &collection(MAX_FILTER_DEPTH + 1)),
        "filter",
        MAX_FILTER_DEPTH,
    );

    // An INTERVAL is no INTERVAL bound: refused at the first level, before it could nest.
    let interval = format!(
        "T_INTERSECTS(event_date, {}'2022-01-20'{})",
        "INTERVAL(".repeat(ABSURD),
        ", '..')".repeat(ABSURD)
    );
    let (status, _, problem) = search_text(&s, &interval);
    assert_problem(status, &problem, 400, "filter");
    let detail = problem["detail"].as_str().unwrap_or("");
    assert!(detail.contains("not an INTERVAL"), "{problem}");
    assert_still_up(&s);
}

#[test]
fn cql2_json_filters_are_bounded() {
    let s = Server::start();
    // ~60 KB of percent-encoded URL.
    assert_too_deep(
        get_json_filter(&s, &json_filter(2_400)),
        "filter",
        MAX_FILTER_DEPTH,
    );
    assert_still_up(&s);
    let everything = matched(get_json_filter(&s, &json_filter(MAX_FILTER_DEPTH)));
    assert_eq!(everything, 16, "NOT…NOT true, an even number of NOTs");
    assert_too_deep(
        get_json_filter(&s, &json_filter(MAX_FILTER_DEPTH + 1)),
        "filter",
        MAX_FILTER_DEPTH,
    );

    // As a member of the search body: the filter's own limit, then the body's.
    let member = |filter: String| search(&s, format!(r#"{{"limit":1,"filter":{filter}}}"#));
    assert_eq!(matched(member(json_filter(MAX_FILTER_DEPTH))), 16);
    assert_too_deep(
        member(json_filter(MAX_FILTER_DEPTH + 1)),
        "filter",
        MAX_FILTER_DEPTH,
    );
    assert_too_deep(member(json_filter(ABSURD)), "filter", MAX_BODY_DEPTH);
    // As a string with filter-lang=cql2-json: no body nesting, so the filter's limit.
    let as_text = json!({"filter-lang": "cql2-json", "filter": json_filter(ABSURD)});
    assert_too_deep(search(&s, as_text.to_string()), "filter", MAX_FILTER_DEPTH);
    assert_still_up(&s);
}

/// `{"type":"GeometryCollection","geometries":[…]}` nested so that the search body holding it
/// as `intersects` is exactly `body_depth` levels deep (the innermost is a Point, 2 levels, or
/// a LineString, 3).
fn nested_collections(body_depth: usize) -> String {
    // The body object is 1 level; each collection adds 2 (its object and its array).
    let (collections, leaf) = if !body_depth.is_multiple_of(2) {
        (
            (body_depth - 3) / 2,
            r#"{"type":"Point","coordinates":[40.76,36.47]}"#,
        )
    } else {
        (
            (body_depth - 4) / 2,
            r#"{"type":"LineString","coordinates":[[40.7,36.4],[40.8,36.5]]}"#,
        )
    };
    format!(
        r#"{{"intersects":{}{leaf}{}}}"#,
        r#"{"type":"GeometryCollection","geometries":["#.repeat(collections),
        "]}".repeat(collections)
    )
}

#[test]
fn search_intersects_nesting_is_bounded() {
    let s = Server::start();
    assert_too_deep(
        search(&s, nested_collections(ABSURD)),
        "intersects",
        MAX_BODY_DEPTH,
    );
    assert_still_up(&s);
    let (status, _, body) = search(&s, nested_collections(MAX_BODY_DEPTH));
    assert_eq!(status, 200, "{body}");
    assert_too_deep(
        search(&s, nested_collections(MAX_BODY_DEPTH + 1)),
        "intersects",
        MAX_BODY_DEPTH,
    );
}

/// `{"properties": {"region": [[…1…]]}}`, exactly `body_depth` levels deep. `region` is an
/// ACLED column incidents ignore on input, so any value is accepted there.
fn nested_region(body_depth: usize) -> String {
    format!(
        r#"{{"properties":{{"region":{}}}}}"#,
        arrays(body_depth - 2)
    )
}

#[test]
fn merge_patch_nesting_is_bounded() {
    let s = Server::start();
    let patch = |body: String| {
        send(
            s.client()
                .patch(s.url("/collections/incidents/items/3"))
                .header("Content-Type", "application/merge-patch+json")
                .bearer_auth(TOKEN)
                .body(body),
        )
    };
    assert_too_deep(patch(nested_region(ABSURD)), "properties", MAX_BODY_DEPTH);
    assert_still_up(&s);
    let (status, _, body) = patch(nested_region(MAX_BODY_DEPTH));
    assert_eq!(
        status, 200,
        "merged, and the ignored column dropped: {body}"
    );
    assert_too_deep(
        patch(nested_region(MAX_BODY_DEPTH + 1)),
        "properties",
        MAX_BODY_DEPTH,
    );
}

/// A valid incident Feature whose ignored `region` holds `levels` nested arrays.
fn incident_with_region(levels: usize) -> String {
    let mut feature = incident("al-Zuhur");
    feature["properties"]["region"] = json!("REGION");
    feature.to_string().replace(r#""REGION""#, &arrays(levels))
}

#[test]
fn feature_bodies_nesting_is_bounded() {
    let s = Server::start();
    let items = "/collections/incidents/items";
    // The Feature is 1 level, properties 2, so the arrays may add MAX_BODY_DEPTH - 2.
    let (status, _, body) = post_text(&s, items, incident_with_region(MAX_BODY_DEPTH - 2));
    assert_eq!(status, 201, "{body}");
    assert_too_deep(
        post_text(&s, items, incident_with_region(MAX_BODY_DEPTH - 1)),
        "properties",
        MAX_BODY_DEPTH,
    );
    assert_too_deep(
        post_text(&s, items, incident_with_region(ABSURD)),
        "properties",
        MAX_BODY_DEPTH,
    );
    let geometry = format!(
        r#"{{"type":"Feature","geometry":{}"#,
        r#"{"type":"GeometryCollection","geometries":["#.repeat(ABSURD)
    );
    assert_too_deep(post_text(&s, items, geometry), "geometry", MAX_BODY_DEPTH);
    let put = send(
        s.client()
            .put(s.url("/collections/incidents/items/2"))
            .header("Content-Type", "application/geo+json")
            .bearer_auth(TOKEN)
            .body(incident_with_region(ABSURD)),
    );
    assert_too_deep(put, "properties", MAX_BODY_DEPTH);
    assert_still_up(&s);
}

#[test]
fn geoparse_bodies_nesting_is_bounded() {
    let s = Server::start();
    for path in ["/geoparse", "/geoparse/incidents"] {
        let body = |levels: usize| {
            format!(
                r#"{{"text":"Clashes in Ghweiran","lang":{}}}"#,
                arrays(levels)
            )
        };
        // Past the depth check, lang is simply the wrong type.
        let (status, _, problem) = post_text(&s, path, body(MAX_BODY_DEPTH - 1));
        assert_problem(status, &problem, 400, "lang");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or("")
                .contains("expected a string"),
            "{problem}"
        );
        assert_too_deep(
            post_text(&s, path, body(MAX_BODY_DEPTH)),
            "lang",
            MAX_BODY_DEPTH,
        );
        assert_too_deep(post_text(&s, path, body(ABSURD)), "lang", MAX_BODY_DEPTH);
        // A body that is all nesting names the body itself.
        assert_too_deep(post_text(&s, path, arrays(ABSURD)), "body", MAX_BODY_DEPTH);
    }
    assert_still_up(&s);
}

#[test]
fn long_flat_chains_work() {
    let s = Server::start();
    let chain = |op: &str, terms: usize| {
        (0..terms)
            .map(|i| format!("fatalities <> {}", i + 100))
            .collect::<Vec<_>>()
            .join(&format!(" {op} "))
    };
    // 10,000 terms: 230 KB, so through POST search.
    assert_eq!(matched(search_text(&s, &chain("AND", 10_000))), 16);
    assert_eq!(matched(search_text(&s, &chain("OR", 10_000))), 16);
    let either = (0..10_000)
        .map(|i| json!({"op": "=", "args": [{"property": "fatalities"}, i]}))
        .collect::<Vec<_>>();
    let body = json!({"filter": {"op": "or", "args": either}});
    assert_eq!(matched(search(&s, body.to_string())), 16);
    // As long as fits in a URL.
    assert_eq!(matched(get_filter(&s, &chain("OR", 1_500))), 16);
    assert_still_up(&s);
}
