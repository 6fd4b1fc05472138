//! OGC API – Features Part 1 (core, GeoJSON, OAS30) conformance of the HTTP API, tested
//! against the spec rather than the implementation. Expected values are derived from the
//! server's own full listing where possible; a few facts of the seeded scenario are pinned
//! (16 incidents, al-Sina'a prison at [40.7625, 36.4775]). Table-driven tests collect every
//! failing case before failing, so one run reports them all.

mod common;
use common::*;

use std::collections::BTreeSet;

use reqwest::blocking::Response;
use serde_json::Value;

const ITEMS: &str = "/collections/incidents/items";
const PLACES: &str = "/collections/places/items";
const PRISON: [f64; 2] = [40.7625, 36.4775];
const SEEDED_INCIDENTS: usize = 16;
const SEEDED_PLACES: usize = 17;
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

// --- Helpers -----------------------------------------------------------------------------

fn header(res: &Response, name: &str) -> Option<String> {
    let v = res.headers().get(name)?;
    v.to_str().ok().map(str::to_owned)
}

/// The media type of a response, without parameters.
fn media_type(res: &Response) -> String {
    let ct = header(res, "content-type").unwrap_or_default();
    ct.split(';').next().unwrap_or("").trim().to_owned()
}

fn features(fc: &Value) -> &Vec<Value> {
    fc["features"].as_array().expect("features array")
}

/// Every feature of a collection, in one page (limit well above the seeded counts).
fn all_of(s: &Server, items: &str) -> Vec<Value> {
    let (status, fc) = s.get_json(&format!("{items}?limit=1000"));
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["numberMatched"], fc["numberReturned"], "one page: {fc}");
    features(&fc).clone()
}

fn prop<'a>(f: &'a Value, name: &str) -> &'a str {
    f["properties"][name].as_str().unwrap_or("")
}

fn point(f: &Value) -> [f64; 2] {
    let c = &f["geometry"]["coordinates"];
    [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")]
}

fn id_set<'a>(fs: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    fs.into_iter().map(|f| f["id"].to_string()).collect()
}

/// A 2D bbox [minx, miny, maxx, maxy] from JSON.
fn bbox_of(v: &Value) -> [f64; 4] {
    serde_json::from_value(v.clone()).unwrap_or_else(|_| panic!("not a 2D bbox: {v}"))
}

fn inside(b: [f64; 4], p: [f64; 2]) -> bool {
    b[0] <= p[0] && p[0] <= b[2] && b[1] <= p[1] && p[1] <= b[3]
}

fn link<'a>(doc: &'a Value, rel: &str) -> Option<&'a Value> {
    doc["links"].as_array()?.iter().find(|l| l["rel"] == rel)
}

fn href<'a>(doc: &'a Value, rel: &str) -> &'a str {
    let l = link(doc, rel).unwrap_or_else(|| panic!("no {rel} link in {}", doc["links"]));
    l["href"].as_str().expect("href")
}

fn assert_links_typed(doc: &Value, what: &str) {
    for l in doc["links"].as_array().expect("links") {
        assert!(l["href"].is_string(), "{what}: link without href: {l}");
        let typed = l["type"].as_str().is_some_and(|t| !t.is_empty());
        assert!(typed, "{what}: link without type: {l}");
    }
}

/// Query parameters of a URL, decoded.
fn query_of(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// Follows `next` links from `first` (a path); returns the first page and all features.
/// Checks that each `next` link keeps every parameter of the first request but `offset`.
fn walk_pages(s: &Server, first: &str) -> (Value, Vec<Value>) {
    let (status, page1) = s.get_json(first);
    assert_eq!(status, 200, "{first}: {page1}");
    let mut wanted = query_of(first);
    wanted.retain(|(k, _)| k != "offset");
    let (mut all, mut page, mut hops) = (features(&page1).clone(), page1.clone(), 0);
    while let Some(next) = link(&page, "next") {
        hops += 1;
        assert!(hops < 100, "next links never end");
        assert_eq!(next["type"], "application/geo+json", "{next}");
        let url = next["href"].as_str().expect("next href").to_owned();
        let kept = query_of(&url);
        let dropped: Vec<_> = wanted.iter().filter(|p| !kept.contains(p)).collect();
        assert!(dropped.is_empty(), "next link {url} dropped {dropped:?}");
        let (status, body) = json_of(s.client().get(&url).send().expect("GET next"));
        assert_eq!(status, 200, "{url}: {body}");
        assert_eq!(body["numberMatched"], page1["numberMatched"], "{url}");
        assert_eq!(body["numberReturned"], features(&body).len(), "{url}");
        all.extend(features(&body).iter().cloned());
        page = body;
    }
    (page1, all)
}

type Check = Result<(), String>;

/// Whether GET `path` is an RFC 9457 problem+json of `status` whose errors name `field`.
fn problem_check(s: &Server, path: &str, status: u16, field: &str) -> Check {
    let res = s.get(path);
    let ct = media_type(&res);
    let (got, body) = json_of(res);
    let names = |e: &Value| e["field"].as_str().is_some_and(|f| f.contains(field));
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    let named = field.is_empty() || errors.iter().any(names);
    let ok = got == status
        && ct == "application/problem+json"
        && body["status"] == status
        && body["detail"].as_str().is_some_and(|d| !d.is_empty())
        && named;
    let wanted = format!("expected {status} problem+json naming {field:?}");
    ok.then_some(())
        .ok_or(format!("GET {path}: {wanted}, got {got} {ct}: {body}"))
}

/// Whether items?`query` returns exactly the features of `full` that satisfy `pred`.
fn filter_check(s: &Server, full: &[Value], query: &str, pred: impl Fn(&Value) -> bool) -> Check {
    let want = id_set(full.iter().filter(|f| pred(f)));
    let (status, fc) = s.get_json(&format!("{ITEMS}?limit=1000&{query}"));
    let got = id_set(fc["features"].as_array().into_iter().flatten());
    if status == 200 && fc["numberMatched"] == want.len() && got == want {
        return Ok(());
    }
    Err(format!(
        "GET {ITEMS}?{query}: expected 200 with {} features {want:?}; got {status}, \
         numberMatched {}, features {got:?}",
        want.len(),
        fc.get("numberMatched").unwrap_or(&fc)
    ))
}

fn assert_all(failures: Vec<String>) {
    let n = failures.len();
    let all = failures.join("\n");
    assert!(failures.is_empty(), "{n} case(s) failed:\n{all}");
}

// --- Landing page, conformance, collections ----------------------------------------------

#[test]
fn landing_page_links_and_conformance_classes() {
    let s = Server::start();
    let res = s.get("/");
    assert_eq!(media_type(&res), "application/json");
    let (status, doc) = json_of(res);
    assert_eq!(status, 200, "{doc}");
    assert_links_typed(&doc, "/");
    assert!(href(&doc, "self").ends_with('/'));
    let desc = link(&doc, "service-desc").expect("service-desc link");
    assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
    assert!(href(&doc, "service-desc").ends_with("/api"));
    assert!(href(&doc, "conformance").ends_with("/conformance"));
    assert!(href(&doc, "data").ends_with("/collections"));

    let (status, doc) = s.get_json("/conformance");
    assert_eq!(status, 200, "{doc}");
    let classes = doc["conformsTo"].as_array().expect("conformsTo");
    for c in ["core", "geojson", "oas30"] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}");
        assert!(classes.contains(&uri.clone().into()), "missing {uri}");
    }
}

#[test]
fn collections_describe_ids_links_and_extents() {
    let s = Server::start();
    let (status, doc) = s.get_json("/collections");
    assert_eq!(status, 200, "{doc}");
    assert_links_typed(&doc, "/collections");
    let cols = doc["collections"].as_array().expect("collections");
    let col = |id: &str| cols.iter().find(|c| c["id"] == id).expect(id);
    for id in ["incidents", "places"] {
        let c = col(id);
        assert!(c["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert_links_typed(c, id);
        assert_eq!(link(c, "items").unwrap()["type"], "application/geo+json");
        assert!(href(c, "items").ends_with(&format!("/collections/{id}/items")));
        let b = bbox_of(&c["extent"]["spatial"]["bbox"][0]);
        assert!(b[0] <= b[2] && b[1] <= b[3] && b[1] >= -90.0 && b[3] <= 90.0);
        let crs = &c["extent"]["spatial"]["crs"];
        assert!(crs.is_null() || crs == CRS84, "{id}: extent CRS {crs}");
        let (status, one) = s.get_json(&format!("/collections/{id}"));
        assert_eq!((status, &one["extent"]), (200, &c["extent"]), "{id}");
    }

    // The incidents' extent holds every incident, and both days of the scenario.
    let inc = col("incidents");
    let b = bbox_of(&inc["extent"]["spatial"]["bbox"][0]);
    let all = all_of(&s, ITEMS);
    assert_eq!(all.len(), SEEDED_INCIDENTS);
    let outside: Vec<_> = all.iter().filter(|f| !inside(b, point(f))).collect();
    assert!(outside.is_empty(), "outside {b:?}: {outside:?}");
    // Open ends (null) are fine; closed ends must cover both days.
    let interval = &inc["extent"]["temporal"]["interval"][0];
    let time = |v: &Value| {
        v.as_str()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
    };
    let first = time(&"2022-01-20T00:00:00Z".into()).unwrap();
    let last = time(&"2022-01-21T23:59:59Z".into()).unwrap();
    let covers = time(&interval[0]).is_none_or(|t| t <= first)
        && time(&interval[1]).is_none_or(|t| t >= last);
    assert!(covers, "interval {interval}");
}

// --- Items: the FeatureCollection, paging, limits, invalid parameters --------------------

#[test]
fn items_is_a_geojson_feature_collection_with_exact_counts() {
    let s = Server::start();
    let res = s.get(ITEMS);
    assert_eq!(media_type(&res), "application/geo+json");
    let (status, fc) = json_of(res);
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["type"], "FeatureCollection");
    // The default limit (100) covers all 16: one page, no next link.
    assert_eq!(fc["numberMatched"], SEEDED_INCIDENTS);
    assert_eq!(fc["numberReturned"], SEEDED_INCIDENTS);
    assert_eq!(id_set(features(&fc)).len(), SEEDED_INCIDENTS);
    assert!(link(&fc, "next").is_none(), "{}", fc["links"]);
    let ts = fc["timeStamp"].as_str().expect("timeStamp");
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
    assert_links_typed(&fc, ITEMS);
    assert!(href(&fc, "self").contains(ITEMS));
    assert!(href(&fc, "collection").ends_with("/collections/incidents"));
    let points = |f: &Value| f["type"] == "Feature" && f["geometry"]["type"] == "Point";
    assert!(features(&fc).iter().all(points));
    assert!(features(&fc).iter().any(|f| point(f) == PRISON));
    let (status, fj) = s.get_json(&format!("{ITEMS}?f=json"));
    assert_eq!((status, ids(&fj)), (200, ids(&fc)), "f=json");
}

#[test]
fn paging_with_limit_5_yields_every_feature_once() {
    let s = Server::start();
    let (first, all) = walk_pages(&s, &format!("{ITEMS}?limit=5"));
    assert_eq!(first["numberMatched"], SEEDED_INCIDENTS);
    assert_eq!(first["numberReturned"], 5);
    assert_eq!(
        all.len(),
        SEEDED_INCIDENTS,
        "pages hold numberMatched features"
    );
    assert_eq!(id_set(&all).len(), all.len(), "no duplicates across pages");
    assert_eq!(id_set(&all), id_set(&all_of(&s, ITEMS)), "the full list");
}

#[test]
fn next_links_keep_bbox_and_filters() {
    let s = Server::start();
    let b = [40.74, 36.47, 40.78, 36.49];
    let full = all_of(&s, ITEMS);
    let wanted = |f: &&Value| prop(f, "event_type") == "Battles" && inside(b, point(f));
    let want = id_set(full.iter().filter(wanted));
    assert!(want.len() > 2, "the case needs several pages: {want:?}");
    let q = format!(
        "{ITEMS}?limit=2&event_type=Battles&bbox=40.74,36.47,40.78,36.49&datetime=2022-01-20/.."
    );
    let (first, all) = walk_pages(&s, &q);
    assert_eq!(first["numberMatched"], want.len());
    assert_eq!(all.len(), want.len(), "pages yield numberMatched features");
    assert_eq!(id_set(&all), want);
}

#[test]
fn limit_above_maximum_is_clamped_not_rejected() {
    let s = Server::start();
    for limit in [10_001, 20_000] {
        let (status, fc) = s.get_json(&format!("{ITEMS}?limit={limit}"));
        assert_eq!(status, 200, "limit={limit}: {fc}");
        assert_eq!(fc["numberMatched"], SEEDED_INCIDENTS);
        assert_eq!(fc["numberReturned"], SEEDED_INCIDENTS);
    }
}

#[test]
fn invalid_parameters_are_400_problems_naming_the_parameter() {
    let s = Server::start();
    // Each case names the parameter it gets wrong first.
    let cases = "limit=0 limit=abc limit=-1 offset=-3 foo=1 limit=5&limit=6 \
                 event_type=Battles&event_type=Riots bbox=40.7,36.4,40.8 bbox=a,b,c,d \
                 bbox=40.7,36.5,40.8,36.4 bbox=40.7,36.4,40.8,100 bbox=40.7,-100,40.8,36.5 \
                 datetime=yesterday datetime=2022-13-45 datetime=2022-01-21/2022-01-20";
    let failures = cases
        .split_whitespace()
        .filter_map(|q| {
            let field = q.split('=').next().unwrap();
            problem_check(&s, &format!("{ITEMS}?{q}"), 400, field).err()
        })
        .collect();
    assert_all(failures);
}

// --- bbox, datetime, equality filters ----------------------------------------------------

#[test]
fn bbox_returns_exactly_the_points_inside() {
    let s = Server::start();
    let full = all_of(&s, ITEMS);
    let mut failures = Vec::new();
    for b in [
        [40.760, 36.476, 40.765, 36.479], // the prison only
        [40.765, 36.470, 40.775, 36.480], // al-Zuhur
        [40.740, 36.470, 40.790, 36.510], // everything
        [40.000, 35.000, 40.100, 35.100], // nothing
    ] {
        let q = format!("bbox={},{},{},{}", b[0], b[1], b[2], b[3]);
        failures.extend(filter_check(&s, &full, &q, |f| inside(b, point(f))).err());
    }
    // Pinned: the prison box holds exactly the incidents at the prison's coordinates; so do
    // its 6-number form, the 17-digit form GDAL sends, and an explicit CRS84 bbox-crs.
    let at_prison = |f: &Value| point(f) == PRISON;
    let prison: Vec<_> = full.iter().filter(|f| at_prison(f)).collect();
    assert!(prison.len() >= 2);
    for f in &prison {
        assert_eq!(prop(f, "place_id"), "al-sinaa-prison");
    }
    for q in [
        "bbox=40.760,36.476,40.765,36.479".to_owned(),
        "bbox=40.760,36.476,-10,40.765,36.479,100".to_owned(),
        "bbox=40.759999999999998,36.475999999999999,40.765000000000001,36.478999999999999"
            .to_owned(),
        format!("bbox=40.760,36.476,40.765,36.479&bbox-crs={CRS84}"),
    ] {
        failures.extend(filter_check(&s, &full, &q, at_prison).err());
    }
    assert_all(failures);
}

#[test]
fn datetime_filters_match_event_dates() {
    let s = Server::start();
    let full = all_of(&s, ITEMS);
    let days: BTreeSet<&str> = full.iter().map(|f| prop(f, "event_date")).collect();
    let (d20, d21) = ("2022-01-20", "2022-01-21");
    assert!(days.contains(d20) && days.contains(d21), "{days:?}");
    // (datetime, first day, last day): the incidents expected are those dated within.
    let (open0, open1) = ("0000-01-01", "9999-12-31");
    let cases = [
        ("2022-01-20", d20, d20),
        ("2022-01-21/2022-01-21", d21, d21),
        ("2022-01-20/2022-01-21", d20, d21),
        ("../2022-01-20", open0, d20),
        ("/2022-01-20", open0, d20),
        ("2022-01-21/..", d21, open1),
        ("2022-01-21/", d21, open1),
        ("2023-01-01", "2023-01-01", "2023-01-01"),
        ("2022-01-20T12:00:00Z", d20, d20),
        ("2022-01-21T06:30:00Z", d21, d21),
        ("2022-01-20T12:00:00Z/2022-01-21T06:00:00Z", d20, d21),
        // 01:00 at +03:00 is 22:00 UTC the day before.
        ("2022-01-21T01:00:00%2B03:00", d20, d20),
    ];
    let failures = cases
        .into_iter()
        .filter_map(|(dt, first, last)| {
            let within = |f: &Value| (first..=last).contains(&prop(f, "event_date"));
            filter_check(&s, &full, &format!("datetime={dt}"), within).err()
        })
        .collect();
    assert_all(failures);
}

#[test]
fn equality_filters_select_matching_features() {
    let s = Server::start();
    let full = all_of(&s, ITEMS);
    // Pinned facts of the scenario, so the cases below are not vacuous.
    let count = |name, value| full.iter().filter(|f| prop(f, name) == value).count();
    assert!(count("place_id", "al-zuhur") >= 2);
    assert!(count("sub_event_type", "Air/drone strike") >= 1);
    let failures = [
        ("event_type", "Battles", "Battles"),
        ("place_id", "al-zuhur", "al-zuhur"),
        ("sub_event_type", "Air%2Fdrone%20strike", "Air/drone strike"),
        ("actor1", "Rioters%20(Syria)", "Rioters (Syria)"),
        ("event_type", "Protests", "Protests"),
    ]
    .into_iter()
    .filter_map(|(name, encoded, value)| {
        let q = format!("{name}={encoded}");
        filter_check(&s, &full, &q, |f| prop(f, name) == value).err()
    })
    .collect();
    assert_all(failures);
}

// --- One feature; not found --------------------------------------------------------------

#[test]
fn single_feature_has_its_id_and_links() {
    let s = Server::start();
    let full = all_of(&s, ITEMS);
    for f in [&full[0], &full[full.len() / 2], &full[full.len() - 1]] {
        let fid = f["id"].to_string().replace('"', "");
        let path = format!("{ITEMS}/{fid}");
        let res = s.get(&path);
        assert_eq!(media_type(&res), "application/geo+json", "{path}");
        let (status, one) = json_of(res);
        assert_eq!(status, 200, "{path}: {one}");
        assert_eq!(one["type"], "Feature");
        assert_eq!(one["id"], f["id"], "{path}");
        assert_eq!(one["geometry"], f["geometry"]);
        assert_eq!(one["properties"], f["properties"]);
        assert_links_typed(&one, &path);
        assert!(href(&one, "self").ends_with(&path));
        assert!(href(&one, "collection").ends_with("/collections/incidents"));
    }
    let (status, place) = s.get_json(&format!("{PLACES}/al-zuhur"));
    assert_eq!((status, &place["id"]), (200, &"al-zuhur".into()), "{place}");
}

#[test]
fn unknown_feature_collection_and_path_are_404_problems() {
    let s = Server::start();
    let failures = [
        &format!("{ITEMS}/999999"),
        &format!("{ITEMS}/not-an-id"),
        &format!("{PLACES}/no-such-place"),
        "/collections/nope",
        "/collections/nope/items",
        "/collections/nope/items/1",
        "/no/such/path",
    ]
    .iter()
    .filter_map(|p| problem_check(&s, p, 404, "").err())
    .collect();
    assert_all(failures);
}

// --- Places ------------------------------------------------------------------------------

/// Twice the signed area of a ring (shoelace): positive when counter-clockwise.
fn signed_area2(ring: &[Value]) -> f64 {
    let xy = |p: &Value| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    ring.windows(2)
        .map(|w| {
            let ((x0, y0), (x1, y1)) = (xy(&w[0]), xy(&w[1]));
            x0 * y1 - x1 * y0
        })
        .sum()
}

#[test]
fn places_are_ccw_closed_polygons_with_core_properties() {
    let s = Server::start();
    let places = all_of(&s, PLACES);
    assert_eq!(places.len(), SEEDED_PLACES);
    let mut failures = Vec::new();
    for p in &places {
        let (id, g) = (&p["id"], &p["geometry"]);
        let polygons: Vec<&Value> = match g["type"].as_str() {
            Some("Polygon") => vec![&g["coordinates"]],
            Some("MultiPolygon") => g["coordinates"].as_array().unwrap().iter().collect(),
            other => {
                failures.push(format!("place {id}: geometry {other:?}"));
                continue;
            }
        };
        for rings in polygons.iter().filter_map(|p| p.as_array()) {
            for (n, ring) in rings.iter().filter_map(Value::as_array).enumerate() {
                if ring.len() < 4 || ring.first() != ring.last() {
                    failures.push(format!("place {id}: ring {n} is not closed: {ring:?}"));
                }
                let area = signed_area2(ring);
                if (n == 0) != (area > 0.0) {
                    failures.push(format!(
                        "place {id}: ring {n} has the wrong winding: 2A = {area}"
                    ));
                }
            }
        }
        let props = &p["properties"];
        for name in ["name", "kind", "confidence", "anchor"] {
            let ok = match name {
                "anchor" => props[name].as_array().is_some_and(|a| a.len() == 2),
                _ => props[name].as_str().is_some_and(|v| !v.is_empty()),
            };
            if !ok {
                failures.push(format!("place {id}: {name} = {}", props[name]));
            }
        }
    }
    assert_all(failures);
}

#[test]
fn places_kind_filter_and_timeless_datetime() {
    let s = Server::start();
    let all = all_of(&s, PLACES);
    let want = id_set(all.iter().filter(|p| prop(p, "kind") == "neighbourhood"));
    assert!(want.contains("\"al-zuhur\""), "{want:?}");
    let (status, fc) = s.get_json(&format!("{PLACES}?kind=neighbourhood"));
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["numberMatched"], want.len());
    assert_eq!(id_set(features(&fc)), want);
    // Places have no time: datetime is accepted and does not drop them.
    let (status, fc) = s.get_json(&format!("{PLACES}?datetime=2022-01-20"));
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["numberMatched"], SEEDED_PLACES);
}

// --- OpenAPI -----------------------------------------------------------------------------

/// Names of the parameters of an operation, following `$ref`s into components.
fn parameter_names(api: &Value, op: &Value) -> BTreeSet<String> {
    let resolve = |p: &Value| match p["$ref"].as_str() {
        Some(r) => api.pointer(&r[1..]).cloned().unwrap_or_default(),
        None => p.clone(),
    };
    let name = |p: &Value| resolve(p)["name"].as_str().map(str::to_owned);
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(name)
        .collect()
}

#[test]
fn openapi_declares_every_accepted_items_parameter() {
    let s = Server::start();
    let (status, api) = s.get_json("/api");
    assert_eq!(status, 200);
    assert!(api.is_object(), "/api is not JSON: {api}");
    let version = api["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3."), "openapi: {}", api["openapi"]);
    let paths = &api["paths"];

    // What the server accepts: the parameters the spec names, plus whatever the server
    // lists itself when it refuses an unknown one.
    let spec = "f limit offset bbox bbox-crs datetime near radius nearest k \
                event_type sub_event_type actor1 place_id";
    let mut accepted: BTreeSet<String> = spec.split_whitespace().map(String::from).collect();
    let (_, refusal) = s.get_json(&format!("{ITEMS}?foo=1"));
    let detail = refusal["detail"].as_str().unwrap_or("");
    let listed = detail.split_once("accepts:").map_or("", |(_, l)| l);
    accepted.extend(
        listed
            .split(',')
            .map(|n| n.trim().trim_end_matches('.').to_owned()),
    );
    accepted.remove("");
    for name in &accepted {
        let (status, body) = s.get_json(&format!("{ITEMS}?{name}=x"));
        let unknown = status == 400 && body["detail"].to_string().contains("unknown");
        assert!(!unknown, "{name} is refused: {body}");
    }
    let declared = parameter_names(&api, &paths[ITEMS]["get"]);
    let missing: Vec<&String> = accepted.iter().filter(|n| !declared.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "undeclared: {missing:?}; declared: {declared:?}"
    );

    for (path, method) in [
        ("/geocode", "get"),
        ("/reverse", "get"),
        (ITEMS, "post"),
        ("/collections/incidents/search", "post"),
        ("/collections/incidents/items/{featureId}", "get"),
    ] {
        assert!(paths[path][method].is_object(), "no {method} {path}");
    }
    assert!(parameter_names(&api, &paths["/geocode"]["get"]).contains("q"));
    let reverse = parameter_names(&api, &paths["/reverse"]["get"]);
    assert!(reverse.contains("lon") && reverse.contains("lat"));
}

// --- HTTP: ETag, CORS, HEAD --------------------------------------------------------------

fn conditional_get(s: &Server, path: &str, etag: &str) -> Response {
    let req = s.client().get(s.url(path)).header("If-None-Match", etag);
    req.send().expect("conditional GET")
}

#[test]
fn etag_revalidation_gives_304_without_body() {
    let s = Server::start();
    let mut failures = Vec::new();
    let one = format!("{ITEMS}/1");
    for path in ["/collections", "/collections/incidents", ITEMS, &one] {
        let res = s.get(path);
        assert_eq!(res.status(), 200, "{path}");
        let etag = header(&res, "etag").unwrap_or_else(|| panic!("{path}: no ETag"));
        // A client revalidating a moment later, with nothing changed in between.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let again = conditional_get(&s, path, &etag);
        let (status, new_tag) = (again.status().as_u16(), header(&again, "etag"));
        let body = again.bytes().expect("body");
        if status != 304 || !body.is_empty() {
            failures.push(format!(
                "GET {path} with If-None-Match: {etag} (data unchanged) -> {status}, \
                 ETag {new_tag:?}, {} body bytes; expected 304 with no body",
                body.len()
            ));
        }
    }
    assert_all(failures);
}

#[test]
fn etag_changes_after_a_write() {
    let s = Server::start();
    let old = header(&s.get(ITEMS), "etag").expect("ETag");
    let (status, created) = s.post(ITEMS, &incident("al-Zuhur"));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["properties"]["place_id"], "al-zuhur", "{created}");
    let after = conditional_get(&s, ITEMS, &old);
    assert_eq!(after.status(), 200, "a stale ETag after a write");
    assert_ne!(header(&after, "etag").expect("ETag after write"), old);
    let (_, fc) = json_of(after);
    assert_eq!(fc["numberMatched"], SEEDED_INCIDENTS + 1);
    assert!(ids(&fc).contains(&created["id"]));
}

#[test]
fn cors_on_get_errors_and_preflight() {
    let s = Server::start();
    let origin = "http://example.org";
    let allowed = |v: Option<String>| v.is_some_and(|v| v == "*" || v == origin);
    // A plain GET, and an error (browser clients must be able to read those too).
    for (path, status) in [(ITEMS.to_owned(), 200), (format!("{ITEMS}?foo=1"), 400)] {
        let res = s.client().get(s.url(&path)).header("Origin", origin);
        let res = res.send().expect("GET");
        assert_eq!(res.status(), status);
        let allow = header(&res, "access-control-allow-origin");
        assert!(allowed(allow.clone()), "GET {path}: allow-origin {allow:?}");
    }
    let pre = s
        .client()
        .request(reqwest::Method::OPTIONS, s.url(ITEMS))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .expect("OPTIONS");
    assert!(pre.status().is_success(), "{}", pre.status());
    let allow = header(&pre, "access-control-allow-origin");
    assert!(allowed(allow.clone()), "preflight allow-origin: {allow:?}");
    let methods = header(&pre, "access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("GET") || methods == "*", "{methods}");
}

#[test]
fn head_on_items_is_200_without_body() {
    let s = Server::start();
    let res = s.client().head(s.url(ITEMS)).send().expect("HEAD");
    assert_eq!(res.status(), 200);
    assert_eq!(media_type(&res), "application/geo+json");
    assert!(header(&res, "etag").is_some(), "HEAD carries the ETag");
    assert!(res.bytes().expect("body").is_empty(), "HEAD has no body");
}
