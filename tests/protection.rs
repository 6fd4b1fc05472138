//! Location protection, attacked from outside. An incident written with
//! `location_protection` (`neighbourhood`, `city`, `region` or `grid:KM`) is served to an
//! anonymous caller at a public point computed once at write time (a gazetteer anchor or a grid
//! cell centre); only `editor` and `reader-exact` tokens see the true point. These tests write
//! protected incidents at true points of their own, then act as an attacker without a token on
//! every path that could give the true point away: every format's bytes, the change feed and
//! its live stream, bboxes, radius and nearest queries (trilateration included), CQL2 spatial
//! predicates and filters on `latitude`/`longitude`, vector tiles, clash zones, the collection
//! extent, counts and equality filters, caching headers. Each attack is also run with a token
//! where that shows the attack would have found the true point (so no test passes vacuously).
//!
//! The true points are chosen in al-Zuhur (polygon 40.7655–40.7765 E, 36.4712–36.4802 N, anchor
//! [40.7703, 36.4757]) about 420 m from its anchor, so that the true and the public point fall
//! in different tiles at z16–18, and a 250 m clash-zone buffer around the anchor (or a 200 m
//! radius around the true point) separates them. Seeded incidents 2, 7, 10, 14 and 15 sit on
//! al-Zuhur's anchor: the neighbourhood-protected incident joins them there.
mod common;
use common::*;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use geo::Geometry;
use geozero::mvt::{Message, Tile, TileValue};
use geozero::ToGeo;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

const ITEMS: &str = "/collections/incidents/items";
const SEARCH: &str = "/collections/incidents/search";
const ZONES: &str = "/collections/clash-zones/items";
/// Incidents in the seeded scenario.
const SEEDED: i64 = 16;
/// Seeded incidents on al-Zuhur's anchor.
const ZUHUR_SEEDED: [i64; 5] = [2, 7, 10, 14, 15];

/// The neighbourhood-protected incident's true point: in al-Zuhur, 416 m south-east of its
/// anchor (tiles: x 160762.85 / y 102512.61 at z18 against the anchor's 160760.03 / 102510.74).
const TRUE_N: (f64, f64) = (40.77418, 36.47363);
/// The grid-protected incident's true point: also in al-Zuhur, 426 m from the anchor.
const TRUE_G: (f64, f64) = (40.77346, 36.47283);
/// In al-Hasakah city, in no neighbourhood, village or camp.
const CITY_ONLY: (f64, f64) = (40.7800, 36.5100);
/// In the governorate, in no city or town.
const GOVERNORATE_ONLY: (f64, f64) = (41.0, 36.7);
/// In al-Hol camp (kind camp), 1,023 m from the camp's anchor [41.14861, 36.37556], in no
/// town (al-Hawl lies north of the camp), and 40 km from every seeded incident.
const CAMP: (f64, f64) = (41.1395, 36.3700);
/// In the town of al-Hawl, in no neighbourhood, village or camp.
const TOWN: (f64, f64) = (41.1450, 36.3900);
/// Outside every gazetteer area (a location name is then required).
const OUTSIDE: (f64, f64) = (38.0, 35.0);
/// Far east in the governorate, east of every seeded incident (they end at 40.7781 E).
const FAR_EAST: (f64, f64) = (41.61237, 36.62841);

/// How long a live-stream event may take.
const SSE_WAIT: Duration = Duration::from_secs(20);

// --- Requests ---------------------------------------------------------------------------

/// A whole answer: status, headers and the body's bytes.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// Every field name of every `Vary` header, lower-cased.
    fn vary(&self) -> Vec<String> {
        self.headers
            .get_all("vary")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("").split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

fn request(
    s: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = s.client().request(method, s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some((content_type, body)) = body {
        req = req.header("Content-Type", content_type).body(body);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.bytes().expect("body").to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// GET as `token` (None: anonymous); the status must be 200.
fn get_ok(s: &Server, path: &str, token: Option<&str>) -> Reply {
    let r = request(s, Method::GET, path, token, None, &[]);
    assert_eq!(r.status, 200, "GET {path} as {token:?}: {}", r.text());
    r
}

fn get_json_as(s: &Server, path: &str, token: Option<&str>) -> Value {
    get_ok(s, path, token).json()
}

/// POST search as `token`; the FeatureCollection.
fn search_as(s: &Server, body: &Value, token: Option<&str>) -> Value {
    let r = request(
        s,
        Method::POST,
        SEARCH,
        token,
        Some(("application/json", body.to_string())),
        &[],
    );
    assert_eq!(r.status, 200, "search {body} as {token:?}: {}", r.text());
    r.json()
}

/// Percent-encodes a query value.
fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// The change number the server's data are at (from `Atlas-Sync-Cursor`).
fn cursor(s: &Server) -> i64 {
    get_ok(s, "/collections", None)
        .header("atlas-sync-cursor")
        .expect("Atlas-Sync-Cursor")
        .parse()
        .expect("a number")
}

// --- Writing incidents --------------------------------------------------------------------

/// A Battles incident at `p` (placed by coordinates), protected at `level` (None: the
/// property is left out, so the default applies).
fn at(p: (f64, f64), level: Option<&str>) -> Value {
    let mut f = incident("unused");
    let props = f["properties"].as_object_mut().unwrap();
    props.remove("place");
    if let Some(level) = level {
        props.insert("location_protection".into(), json!(level));
    }
    f["geometry"] = json!({"type": "Point", "coordinates": [p.0, p.1]});
    f
}

fn with(mut f: Value, props: Value) -> Value {
    for (k, v) in props.as_object().unwrap() {
        f["properties"][k] = v.clone();
    }
    f
}

/// Creates as the editor (ATLAS_WRITE_TOKEN); the new id.
fn create(s: &Server, f: &Value) -> i64 {
    let (status, body) = s.post(ITEMS, f);
    assert_eq!(status, 201, "create {f}: {body}");
    body["id"].as_i64().expect("an integer id")
}

fn patch(s: &Server, id: i64, body: Value) -> (u16, Value) {
    s.send_json(Method::PATCH, &format!("{ITEMS}/{id}"), &body, Some(TOKEN))
}

/// A new token from `incident-atlas token`: the token and its tokens-file line.
fn new_token(name: &str, role: &str) -> (String, String) {
    let out = output_within(
        Command::new(BIN).args(["token", "--name", name, "--role", role]),
        Duration::from_secs(60),
    )
    .expect("incident-atlas token runs");
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = stderr
        .lines()
        .last()
        .expect("a tokens-file line")
        .to_owned();
    (token, line)
}

/// A tokens file in `dir` holding a `reader-exact` token; the file and the token.
fn reader_tokens(dir: &Path) -> (PathBuf, String) {
    let (token, line) = new_token("rita", "reader-exact");
    let file = dir.join("tokens");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    (file, token)
}

// --- Reading points -------------------------------------------------------------------------

fn coords(v: &Value) -> (f64, f64) {
    (
        v[0].as_f64().unwrap_or_else(|| panic!("a longitude: {v}")),
        v[1].as_f64().unwrap_or_else(|| panic!("a latitude: {v}")),
    )
}

/// A Feature's Point.
fn point_of(f: &Value) -> (f64, f64) {
    assert_eq!(f["geometry"]["type"], "Point", "{f}");
    coords(&f["geometry"]["coordinates"])
}

/// The Feature `id` as `token` sees it.
fn view(s: &Server, id: i64, token: Option<&str>) -> Value {
    get_json_as(s, &format!("{ITEMS}/{id}"), token)
}

/// The point an anonymous caller is shown for `id`; the geometry and the
/// `longitude`/`latitude` properties must agree on it.
fn public_point(s: &Server, id: i64) -> (f64, f64) {
    let f = view(s, id, None);
    let p = point_of(&f);
    let props = (
        f["properties"]["longitude"].as_f64(),
        f["properties"]["latitude"].as_f64(),
    );
    assert_eq!(
        props,
        (Some(p.0), Some(p.1)),
        "geometry and lon/lat disagree: {f}"
    );
    p
}

/// A gazetteer place's anchor, as the server publishes it.
fn anchor(s: &Server, place: &str) -> (f64, f64) {
    let f = get_json_as(s, &format!("/collections/places/items/{place}"), None);
    coords(&f["properties"]["anchor"])
}

fn place(s: &Server, id: &str) -> Value {
    get_json_as(s, &format!("/collections/places/items/{id}"), None)["properties"].clone()
}

/// Ids of the places containing `p`, most specific first.
fn containing(s: &Server, p: (f64, f64)) -> Vec<String> {
    let fc = get_json_as(s, &format!("/reverse?lon={}&lat={}", p.0, p.1), None);
    ids(&fc)
        .iter()
        .map(|v| v.as_str().unwrap_or("?").to_owned())
        .collect()
}

fn id_list(fc: &Value) -> Vec<i64> {
    ids(fc)
        .iter()
        .map(|v| v.as_i64().unwrap_or_else(|| panic!("integer id: {v}")))
        .collect()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

fn feature_by_id(fc: &Value, id: i64) -> Option<&Value> {
    fc["features"].as_array()?.iter().find(|f| f["id"] == id)
}

/// Haversine distance in metres (see `common::haversine`).
fn hav(a: (f64, f64), b: (f64, f64)) -> f64 {
    haversine(a, b)
}

fn assert_at(what: &str, got: (f64, f64), want: (f64, f64)) {
    assert!(
        (got.0 - want.0).abs() < 1e-9 && (got.1 - want.1).abs() < 1e-9,
        "{what}: at {got:?}, expected {want:?}"
    );
}

/// Web Mercator (EPSG:3857), spherical formulas on the WGS84 semi-major axis.
const R_MERC: f64 = 6_378_137.0;

fn to_3857(p: (f64, f64)) -> (f64, f64) {
    let x = R_MERC * p.0.to_radians();
    let y = R_MERC
        * (std::f64::consts::FRAC_PI_4 + p.1.to_radians() / 2.0)
            .tan()
            .ln();
    (x, y)
}

fn from_3857(m: (f64, f64)) -> (f64, f64) {
    let lon = (m.0 / R_MERC).to_degrees();
    let lat = (2.0 * (m.1 / R_MERC).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
    (lon, lat)
}

/// A `lon,lat,lon,lat` box of half-width `half` degrees around `p`.
fn bbox_around(p: (f64, f64), half: f64) -> [f64; 4] {
    [p.0 - half, p.1 - half, p.0 + half, p.1 + half]
}

fn in_box(p: (f64, f64), b: [f64; 4]) -> bool {
    p.0 >= b[0] && p.0 <= b[2] && p.1 >= b[1] && p.1 <= b[3]
}

fn bbox_param(b: [f64; 4]) -> String {
    format!("{},{},{},{}", b[0], b[1], b[2], b[3])
}

fn square_wkt(p: (f64, f64), half: f64) -> String {
    let [x0, y0, x1, y1] = bbox_around(p, half);
    format!("POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))")
}

fn square_geojson(p: (f64, f64), half: f64) -> Value {
    let [x0, y0, x1, y1] = bbox_around(p, half);
    json!({"type": "Polygon",
           "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

// --- Looking for leaks ---------------------------------------------------------------------

/// The texts by which a true point could be read back from a body: each coordinate as
/// serde_json, ryu and the CSV writer print it, and to four decimals, rounded and truncated.
/// Forms that occur inside a legitimately public coordinate's text (`public`: every point an
/// anonymous caller is shown in that server) are dropped, so a coincidence cannot fail a
/// test; the full forms always stay (asserted).
fn leak_forms(truth: (f64, f64), public: &[(f64, f64)]) -> Vec<String> {
    let mut forms = Vec::new();
    for v in [truth.0, truth.1] {
        forms.push(format!("{v}"));
        forms.push(format!("{v:.4}"));
        forms.push(format!("{:.4}", (v * 1e4).trunc() / 1e4));
    }
    let shown: Vec<String> = public
        .iter()
        .flat_map(|p| [format!("{}", p.0), format!("{}", p.1)])
        .collect();
    forms.retain(|f| !shown.iter().any(|t| t.contains(f.as_str())));
    forms.sort();
    forms.dedup();
    for full in [format!("{}", truth.0), format!("{}", truth.1)] {
        assert!(
            forms.contains(&full),
            "the true point's text {full} is also a public point's"
        );
    }
    forms
}

/// The first occurrence of a form in `body` that reads as a number of its own: one not
/// preceded by a digit (a longer number) or a colon (the seconds of a timestamp).
fn find_leak(body: &str, forms: &[String]) -> Option<String> {
    for form in forms {
        for (at, _) in body.match_indices(form.as_str()) {
            let before = body[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_digit() || c == ':') {
                continue;
            }
            let from = body[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            let to = (at + form.len() + 60).min(body.len());
            let to = (to..=body.len())
                .find(|&i| body.is_char_boundary(i))
                .unwrap_or(body.len());
            return Some(format!("{form:?} in …{}…", &body[from..to]));
        }
    }
    None
}

fn assert_no_leak(what: &str, body: &str, forms: &[String]) {
    if let Some(found) = find_leak(body, forms) {
        panic!("{what} shows the true point to an anonymous caller: {found}");
    }
}

/// `assert_no_leak` on bytes (read as text), and the true coordinates as little-endian f64,
/// as FlatGeobuf and MVT (fixed64 doubles) store them.
fn assert_no_leak_bytes(what: &str, bytes: &[u8], truth: (f64, f64), forms: &[String]) {
    assert_no_leak(what, &String::from_utf8_lossy(bytes), forms);
    for (name, v) in [("longitude", truth.0), ("latitude", truth.1)] {
        assert!(
            !holds(bytes, &v.to_le_bytes()),
            "{what} holds the true {name} {v} as a little-endian f64"
        );
    }
}

/// The data rows of a CSV download (quoted fields may hold line breaks).
fn csv_rows(text: &str) -> usize {
    let mut rows = 0;
    for record in csv::Reader::from_reader(text.as_bytes()).records() {
        record.expect("a CSV record");
        rows += 1;
    }
    rows
}

fn holds(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

// --- The change feed and its live stream -----------------------------------------------

/// Every change after `after` as `token` sees them (all pages), and the pages' raw text.
fn feed(s: &Server, token: Option<&str>, after: i64) -> (Vec<Value>, String) {
    let (mut after, mut all, mut raw) = (after, Vec::new(), String::new());
    for _ in 0..1000 {
        let r = get_ok(s, &format!("/changes?after={after}&limit=1000"), token);
        raw.push_str(&r.text());
        let page = r.json();
        all.extend(page["changes"].as_array().expect("changes").iter().cloned());
        if page["more"] != true {
            return (all, raw);
        }
        after = page["nextAfter"].as_i64().expect("nextAfter");
    }
    panic!("/changes never ended");
}

/// A live stream (`GET /changes` as text/event-stream) read on a thread of its own; events
/// come as (event, raw data). The thread ends when the server goes.
struct Stream {
    events: Receiver<(String, String)>,
}

fn subscribe(s: &Server, query: &str, token: Option<&str>) -> Stream {
    let client = reqwest::blocking::Client::builder()
        .timeout(None)
        .build()
        .expect("client");
    let mut req = client
        .get(s.url(&format!("/changes?{query}")))
        .header("Accept", "text/event-stream");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().expect("subscribe");
    assert_eq!(res.status(), 200, "subscribe to /changes?{query}");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let (mut event, mut data) = (String::from("message"), String::new());
        for line in BufReader::new(res).lines() {
            let Ok(line) = line else { return };
            if line.is_empty() {
                if !data.is_empty() && tx.send((event.clone(), data.clone())).is_err() {
                    return;
                }
                (event, data) = (String::from("message"), String::new());
            } else if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
    });
    Stream { events: rx }
}

impl Stream {
    /// Events up to and including the first for which `done` holds; fails at the deadline.
    fn until(
        &self,
        what: &str,
        mut done: impl FnMut(&str, &Value) -> bool,
    ) -> Vec<(String, String)> {
        let deadline = Instant::now() + SSE_WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok((event, data)) => {
                    let parsed = serde_json::from_str(&data).unwrap_or(Value::Null);
                    let stop = done(&event, &parsed);
                    seen.push((event, data));
                    if stop {
                        return seen;
                    }
                }
                Err(_) => panic!(
                    "{what}: not seen within {SSE_WAIT:?}; {} events before",
                    seen.len()
                ),
            }
        }
    }
}

// --- Vector tiles ---------------------------------------------------------------------------

/// An incident point of a tile: its MVT id, grid position (0..4096, y down) and tags.
struct TilePoint {
    id: Option<u64>,
    grid: (f64, f64),
    tags: BTreeMap<String, TileValue>,
}

impl TilePoint {
    fn number(&self, key: &str) -> Option<f64> {
        match self.tags.get(key)? {
            TileValue::Uint(u) => Some(*u as f64),
            TileValue::Sint(i) | TileValue::Int(i) => Some(*i as f64),
            TileValue::Double(d) => Some(*d),
            TileValue::Float(f) => Some(f64::from(*f)),
            _ => None,
        }
    }
}

/// The `incidents` layer's points of tile `z/y/x` as `token` sees it (204: none), and the
/// raw reply.
fn tile(s: &Server, z: u32, x: u32, y: u32, token: Option<&str>) -> (Vec<TilePoint>, Reply) {
    let path = format!("/collections/incidents/tiles/WebMercatorQuad/{z}/{y}/{x}");
    let r = request(s, Method::GET, &path, token, None, &[]);
    match r.status {
        204 => (Vec::new(), r),
        200 => (decode_points(&r.body), r),
        other => panic!("{path} as {token:?}: {other} {}", r.text()),
    }
}

fn decode_points(bytes: &[u8]) -> Vec<TilePoint> {
    let tile = Tile::decode(bytes).expect("a protobuf vector tile");
    let mut out = Vec::new();
    for layer in tile.layers.iter().filter(|l| l.name == "incidents") {
        for f in &layer.features {
            let tags = f
                .tags
                .chunks(2)
                .map(|kv| {
                    let key = layer.keys[kv[0] as usize].clone();
                    let value = TileValue::try_from(layer.values[kv[1] as usize].clone())
                        .expect("a typed value");
                    (key, value)
                })
                .collect();
            let grid = match f.to_geo().expect("valid MVT geometry") {
                Geometry::Point(p) => (p.x(), p.y()),
                Geometry::MultiPoint(m) => (m.0[0].x(), m.0[0].y()),
                g => panic!("an incident drawn as {g:?}"),
            };
            out.push(TilePoint {
                id: f.id,
                grid,
                tags,
            });
        }
    }
    out
}

/// The fractional tile coordinates of `p` at zoom `z` (WebMercatorQuad, y down).
fn tile_xy(p: (f64, f64), z: u32) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let phi = p.1.to_radians();
    let x = (p.0 + 180.0) / 360.0 * n;
    let y = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

/// `p` in the grid units of tile z/x/y (extent 4096).
fn to_grid(p: (f64, f64), z: u32, x: u32, y: u32) -> (f64, f64) {
    let (tx, ty) = tile_xy(p, z);
    ((tx - f64::from(x)) * 4096.0, (ty - f64::from(y)) * 4096.0)
}

/// Whether `p` is drawn in tile z/x/y: inside it or in its 64-unit buffer.
fn drawn_in(p: (f64, f64), z: u32, x: u32, y: u32) -> bool {
    let (gx, gy) = to_grid(p, z, x, y);
    (-64.0..=4160.0).contains(&gx) && (-64.0..=4160.0).contains(&gy)
}

fn tile_of(p: (f64, f64), z: u32) -> (u32, u32) {
    let (x, y) = tile_xy(p, z);
    (x.floor() as u32, y.floor() as u32)
}

// --- Zones ----------------------------------------------------------------------------------

/// The outer rings of a Polygon or MultiPolygon (zones are buffered hulls: no holes).
fn outer_rings(g: &Value) -> Vec<Vec<(f64, f64)>> {
    let ring = |r: &Value| -> Vec<(f64, f64)> {
        r.as_array().expect("a ring").iter().map(coords).collect()
    };
    match g["type"].as_str() {
        Some("Polygon") => vec![ring(&g["coordinates"][0])],
        Some("MultiPolygon") => g["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| ring(&p[0]))
            .collect(),
        _ => panic!("a zone drawn as {g}"),
    }
}

fn in_ring(p: (f64, f64), ring: &[(f64, f64)]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let ((x1, y1), (x2, y2)) = (w[0], w[1]);
        if (y1 > p.1) != (y2 > p.1) && p.0 < (x2 - x1) * (p.1 - y1) / (y2 - y1) + x1 {
            inside = !inside;
        }
    }
    inside
}

fn zone_contains(g: &Value, p: (f64, f64)) -> bool {
    outer_rings(g).iter().any(|r| in_ring(p, r))
}

/// The zones (`?query`) as `token` sees them, without their links (per-request URLs).
fn zones(s: &Server, query: &str, token: Option<&str>) -> Vec<Value> {
    let fc = get_json_as(s, &format!("{ZONES}?limit=1000{query}"), token);
    assert_eq!(
        fc["numberMatched"].as_u64(),
        fc["numberReturned"].as_u64(),
        "every zone on one page: {fc}"
    );
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| {
            let mut z = z.clone();
            z.as_object_mut().unwrap().remove("links");
            z
        })
        .collect()
}

fn zone_ids(z: &Value) -> Vec<i64> {
    z["properties"]["incident_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

// --- Trilateration --------------------------------------------------------------------------

/// The point at distances `d` from `centres`: what an attacker computes from three
/// `distance_m` answers. Solved exactly on a local plane around the first centre, scaled in
/// metres per degree of the WGS84 ellipsoid there (the server's distances are geodesic on
/// it; over a few kilometres the plane is within a metre or two).
fn trilaterate(centres: &[(f64, f64); 3], d: &[f64; 3]) -> (f64, f64) {
    let o = centres[0];
    let phi = o.1.to_radians();
    let m_lat = 111_132.954 - 559.822 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
    let m_lon = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos();
    let xy = |p: (f64, f64)| ((p.0 - o.0) * m_lon, (p.1 - o.1) * m_lat);
    let c: Vec<(f64, f64)> = centres.iter().map(|p| xy(*p)).collect();
    // Subtracting the first circle's equation from the others leaves two linear ones.
    let row = |i: usize| {
        let a = 2.0 * (c[i].0 - c[0].0);
        let b = 2.0 * (c[i].1 - c[0].1);
        let r = d[0].powi(2) - d[i].powi(2) + c[i].0.powi(2) - c[0].0.powi(2) + c[i].1.powi(2)
            - c[0].1.powi(2);
        (a, b, r)
    };
    let ((a1, b1, r1), (a2, b2, r2)) = (row(1), row(2));
    let det = a1 * b2 - a2 * b1;
    assert!(det.abs() > 1.0, "the centres are not collinear");
    let x = (r1 * b2 - r2 * b1) / det;
    let y = (a1 * r2 - a2 * r1) / det;
    (o.0 + x / m_lon, o.1 + y / m_lat)
}

/// `distance_m` of incident `id` from a `near` query centred on `c`, as `token` sees it.
fn distance_from(s: &Server, c: (f64, f64), id: i64, token: Option<&str>) -> f64 {
    let fc = get_json_as(
        s,
        &format!("{ITEMS}?near={},{}&radius=20000&limit=1000", c.0, c.1),
        token,
    );
    let f = feature_by_id(&fc, id).unwrap_or_else(|| panic!("{id} not within 20 km of {c:?}"));
    f["properties"]["distance_m"]
        .as_f64()
        .unwrap_or_else(|| panic!("no distance_m: {f}"))
}

// === 1. Nothing shows the true point ========================================================

/// Every format, feed and query an anonymous caller can read is searched for the true
/// coordinates, as text and (for FlatGeobuf and tiles) as little-endian doubles; the same
/// searches on the editor's answers find them, so the search itself is sound. No query here
/// names a true coordinate: links echo the query, and would be found.
#[test]
fn no_format_feed_or_query_shows_an_anonymous_caller_the_true_point() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let g = create(&s, &at(TRUE_G, Some("grid:5")));
    // A third, protected and then deleted: for the deletions feed and the delete in /changes.
    let gone = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let r = request(
        &s,
        Method::DELETE,
        &format!("{ITEMS}/{gone}"),
        Some(TOKEN),
        None,
        &[],
    );
    assert_eq!(r.status, 204, "{}", r.text());

    let pn = public_point(&s, n);
    let pg = public_point(&s, g);
    assert_at(
        "the neighbourhood-protected point",
        pn,
        anchor(&s, "al-zuhur"),
    );
    // A grid centre within 50 m of the true point (a 1 in 3,000 chance for a 5 km cell) would
    // make this test blind: the test says so rather than passing.
    assert!(hav(pg, TRUE_G) > 50.0, "grid:5 shows {pg:?} for {TRUE_G:?}");
    let public = [pn, pg];
    let mut forms = leak_forms(TRUE_N, &public);
    forms.extend(leak_forms(TRUE_G, &public));

    // The method finds the true point where it is meant to be shown.
    let editor_item = get_ok(&s, &format!("{ITEMS}/{n}"), Some(TOKEN)).text();
    assert!(find_leak(&editor_item, &forms).is_some(), "{editor_item}");
    let editor_csv = get_ok(&s, &format!("{ITEMS}?f=csv"), Some(TOKEN)).text();
    assert!(find_leak(&editor_csv, &forms).is_some(), "the editor's CSV");
    let editor_fgb = get_ok(&s, &format!("{ITEMS}?f=fgb"), Some(TOKEN)).body;
    assert!(
        holds(&editor_fgb, &TRUE_N.0.to_le_bytes()),
        "the editor's FlatGeobuf"
    );

    let cql = enc("place_id = 'al-zuhur' OR admin1 = 'Al-Hasakeh'");
    let mut paths: Vec<String> = Vec::new();
    for id in [n, g] {
        for q in [
            "",
            "?f=json",
            "?f=html",
            "?f=csv",
            "?f=fgb",
            "?crs=EPSG:4326",
            "?crs=EPSG:3857",
            "?properties=latitude,longitude,location,geo_precision",
        ] {
            paths.push(format!("{ITEMS}/{id}{q}"));
        }
    }
    for q in [
        "limit=1000".to_owned(),
        "limit=1000&f=html".into(),
        "f=csv".into(),
        "f=geojsonseq".into(),
        "f=fgb".into(),
        "crs=EPSG:3857&limit=1000".into(),
        "bbox=40.76,36.47,40.78,36.48&limit=1000".into(),
        format!("filter={cql}&limit=1000"),
        format!("filter={cql}&f=csv"),
        "sortby=-latitude&limit=1000".into(),
        "sortby=longitude&f=geojsonseq".into(),
        // Centres other than the true points: links echo the query.
        "near=40.7625,36.4775&radius=5000&limit=1000".into(),
        "nearest=40.7700,36.4720&k=30".into(),
        "updated_after=0&limit=1000".into(),
        "place_id=al-zuhur&limit=1000".into(),
        "properties=latitude,longitude&limit=1000".into(),
    ] {
        paths.push(format!("{ITEMS}?{q}"));
    }
    for p in [
        "/collections",
        "/collections/incidents",
        "/collections/incidents?f=html",
        "/collections/incidents/deletions",
        "/collections/incidents/deletions?deleted_after=0",
        "/collections/incidents/tiles/WebMercatorQuad",
        "/collections/incidents/tiles/WebMercatorQuad?f=tilejson",
        "/changes?after=0&limit=10000",
        "/changes?after=0&collection=incidents&bbox=40.6,36.4,40.9,36.6",
    ] {
        paths.push(p.to_owned());
    }
    for path in &paths {
        let r = get_ok(&s, path, None);
        assert_no_leak_bytes(path, &r.body, TRUE_N, &forms);
        assert_no_leak_bytes(path, &r.body, TRUE_G, &forms);
    }
    // Every page of the change feed.
    let (changes, raw) = feed(&s, None, 0);
    assert_no_leak("/changes (all pages)", &raw, &forms);
    assert!(
        changes.iter().any(|c| c["id"] == n) && changes.iter().any(|c| c["id"] == g),
        "the feed lists the protected incidents"
    );
    // POST search, whole and by a polygon holding both true and public points.
    for body in [
        json!({"limit": 1000}),
        json!({"intersects": square_geojson((40.77, 36.48), 0.02), "limit": 1000}),
        json!({"filter": "S_DWITHIN(geometry, POINT(40.7703 36.4757), 3, 'kilometers')",
               "sortby": "-latitude", "limit": 1000}),
    ] {
        let r = request(
            &s,
            Method::POST,
            SEARCH,
            None,
            Some(("application/json", body.to_string())),
            &[],
        );
        assert_eq!(r.status, 200, "{body}: {}", r.text());
        assert_no_leak(&format!("search {body}"), &r.text(), &forms);
    }
    // The coordinates in other CRSs go back to the public point.
    let f = get_json_as(&s, &format!("{ITEMS}/{n}?crs=EPSG:3857"), None);
    let back = from_3857(point_of(&f));
    assert!(hav(back, pn) < 0.01, "3857 shows {back:?}, not {pn:?}");
    let f = get_json_as(&s, &format!("{ITEMS}/{n}?crs=EPSG:4326"), None);
    let (lat, lon) = point_of(&f);
    assert_at("EPSG:4326 (lat, lon)", (lon, lat), pn);
    // Vector tiles at every zoom from 10 to 18 over the true point.
    for z in 10..=18 {
        let (x, y) = tile_of(TRUE_N, z);
        let (_, r) = tile(&s, z, x, y, None);
        assert_no_leak_bytes(&format!("tile {z}/{y}/{x}"), &r.body, TRUE_N, &forms);
        let (x, y) = tile_of(TRUE_G, z);
        let (_, r) = tile(&s, z, x, y, None);
        assert_no_leak_bytes(&format!("tile {z}/{y}/{x}"), &r.body, TRUE_G, &forms);
    }
    // The live stream's replay, up to the last of the three writes (the delete).
    let stream = subscribe(&s, "after=0", None);
    let events = stream.until("the delete of the third incident", |event, data| {
        event == "delete" && data["id"] == gone
    });
    for (event, data) in &events {
        assert_no_leak(&format!("the live stream's {event} event"), data, &forms);
    }
    for id in [n, g] {
        let (_, data) = events
            .iter()
            .find(|(_, d)| serde_json::from_str::<Value>(d).is_ok_and(|v| v["id"] == id))
            .unwrap_or_else(|| panic!("the stream replays {id}"));
        let change: Value = serde_json::from_str(data).unwrap();
        let want = if id == n { pn } else { pg };
        assert_at("the streamed feature", point_of(&change["feature"]), want);
    }
}

// === 2. Shrinking bboxes ======================================================================

/// Boxes shrinking onto the true point find nothing (in every format and through POST
/// search and a Web Mercator bbox); a box on the public point finds it with the five seeded
/// incidents there. The editor's boxes find it at the true point.
#[test]
fn bboxes_on_the_true_point_miss_and_on_the_public_point_hit() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let pn = public_point(&s, n);
    assert_at("public point", pn, anchor(&s, "al-zuhur"));
    for half in [0.0015, 0.0005, 0.0001, 0.00001] {
        let b = bbox_around(TRUE_N, half);
        assert!(
            !in_box(pn, b),
            "the box {b:?} must not hold the public point"
        );
        let q = bbox_param(b);
        let fc = get_json_as(&s, &format!("{ITEMS}?bbox={q}"), None);
        assert_eq!(fc["numberMatched"], 0, "anonymous bbox {q}: {fc}");
        assert_eq!(id_list(&fc), Vec::<i64>::new(), "anonymous bbox {q}");
        let fc = get_json_as(&s, &format!("{ITEMS}?bbox={q}"), Some(TOKEN));
        assert_eq!(id_list(&fc), vec![n], "the editor's bbox {q}");
        // The downloads run the same query.
        let csv = get_ok(&s, &format!("{ITEMS}?bbox={q}&f=csv"), None).text();
        assert_eq!(csv_rows(&csv), 0, "only a header: {csv}");
        let seq = get_ok(&s, &format!("{ITEMS}?bbox={q}&f=geojsonseq"), None).body;
        assert!(!seq.contains(&0x1E), "no text-sequence record for bbox {q}");
        // POST search and a bbox in Web Mercator metres.
        let fc = search_as(&s, &json!({"bbox": b}), None);
        assert_eq!(fc["numberMatched"], 0, "search bbox {b:?}: {fc}");
        let (x0, y0) = to_3857((b[0], b[1]));
        let (x1, y1) = to_3857((b[2], b[3]));
        let fc = get_json_as(
            &s,
            &format!("{ITEMS}?bbox={x0},{y0},{x1},{y1}&bbox-crs=EPSG:3857"),
            None,
        );
        assert_eq!(
            fc["numberMatched"], 0,
            "3857 bbox around the true point: {fc}"
        );
    }
    // On the public point: the seeded five and the protected one.
    let q = bbox_param(bbox_around(pn, 0.0001));
    let fc = get_json_as(&s, &format!("{ITEMS}?bbox={q}"), None);
    let mut want = ZUHUR_SEEDED.to_vec();
    want.push(n);
    assert_eq!(
        sorted(id_list(&fc)),
        want,
        "anonymous bbox on the public point"
    );
    assert_eq!(fc["numberMatched"], 6);
    let fc = get_json_as(&s, &format!("{ITEMS}?bbox={q}"), Some(TOKEN));
    assert_eq!(sorted(id_list(&fc)), ZUHUR_SEEDED.to_vec(), "the editor's");
    assert_eq!(fc["numberMatched"], 5);
    let csv = get_ok(&s, &format!("{ITEMS}?bbox={q}&f=csv"), None).text();
    assert_eq!(csv_rows(&csv), 6, "six rows: {csv}");
}

// === 3. Distances =============================================================================

/// Every `distance_m` is measured from the public point: a radius just around the true point
/// finds nothing, and three distances trilaterate to the public point (the editor's to the
/// true one), for the neighbourhood and the grid level alike.
#[test]
fn distances_trilaterate_to_the_public_point() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let g = create(&s, &at(TRUE_G, Some("grid:5")));
    let pn = public_point(&s, n);
    let pg = public_point(&s, g);
    assert_at("public point", pn, anchor(&s, "al-zuhur"));
    assert!(hav(pg, TRUE_G) > 50.0, "grid:5 shows {pg:?} for {TRUE_G:?}");

    // 200 m around the true point: nothing anonymous (the anchor is 416 m away).
    let near = format!("{ITEMS}?near={},{}&radius=200", TRUE_N.0, TRUE_N.1);
    let fc = get_json_as(&s, &near, None);
    assert!(!id_list(&fc).contains(&n), "{fc}");
    assert!(
        !id_list(&fc).contains(&g) || hav(pg, TRUE_N) <= 200.0,
        "{fc}"
    );
    let fc = get_json_as(&s, &near, Some(TOKEN));
    let f = feature_by_id(&fc, n).expect("the editor finds it");
    assert_eq!(f["properties"]["distance_m"].as_f64(), Some(0.0));
    // 600 m: found, at the public point's distance, the same as the seeded five there.
    let fc = get_json_as(
        &s,
        &format!("{ITEMS}?near={},{}&radius=600", TRUE_N.0, TRUE_N.1),
        None,
    );
    let d = |id: i64| {
        feature_by_id(&fc, id).unwrap_or_else(|| panic!("{id} within 600 m: {fc}"))["properties"]
            ["distance_m"]
            .as_f64()
            .unwrap()
    };
    let want = hav(TRUE_N, pn);
    assert!(
        (d(n) - want).abs() <= want * 0.006 + 0.01,
        "{} vs {want}",
        d(n)
    );
    assert_eq!(d(n), d(2), "the same point, the same distance");

    let centres = [(40.7790, 36.4700), (40.7660, 36.4710), (40.7720, 36.4800)];
    for (id, truth, public) in [(n, TRUE_N, pn), (g, TRUE_G, pg)] {
        let mut anon = [0.0; 3];
        let mut exact = [0.0; 3];
        for (i, c) in centres.iter().enumerate() {
            anon[i] = distance_from(&s, *c, id, None);
            exact[i] = distance_from(&s, *c, id, Some(TOKEN));
            let want = hav(*c, public);
            assert!(
                (anon[i] - want).abs() <= want * 0.006 + 0.02,
                "{id} from {c:?}: distance_m {} but the public point is {want} m away",
                anon[i]
            );
            let truth_d = hav(*c, truth);
            assert!(
                (exact[i] - truth_d).abs() <= truth_d * 0.006 + 0.02,
                "the editor's distance_m {} vs {truth_d}",
                exact[i]
            );
        }
        let guess = trilaterate(&centres, &anon);
        assert!(
            hav(guess, public) < 40.0 && hav(guess, public) < hav(guess, truth),
            "trilateration of {id} gives {guess:?}: {} m from the public {public:?}, {} m from the true {truth:?}",
            hav(guess, public),
            hav(guess, truth)
        );
        let guess = trilaterate(&centres, &exact);
        assert!(
            hav(guess, truth) < 40.0,
            "the method works: {guess:?} vs {truth:?}"
        );
    }
}

// === 4. Nearest ===============================================================================

/// Nearest to a point beside the true one ranks the incident as if it were at the public
/// point: tied with the seeded five on al-Zuhur's anchor (ties by id), never first at 0 m.
#[test]
fn nearest_ranks_by_the_public_point() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let pn = public_point(&s, n);
    assert_at("public point", pn, anchor(&s, "al-zuhur"));
    let q = (TRUE_N.0 + 0.00002, TRUE_N.1 - 0.00001);

    let fc = get_json_as(&s, &format!("{ITEMS}?nearest={},{}&k=6", q.0, q.1), None);
    let mut want = ZUHUR_SEEDED.to_vec();
    want.push(n);
    assert_eq!(id_list(&fc), want, "anonymous nearest: {fc}");
    let ds: Vec<f64> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(
        ds.windows(2).all(|w| w[0] == w[1]),
        "one point, one distance: {ds:?}"
    );
    let expect = hav(q, pn);
    assert!(
        (ds[0] - expect).abs() <= expect * 0.006,
        "{} vs {expect}",
        ds[0]
    );

    let fc = get_json_as(&s, &format!("{ITEMS}?nearest={},{}&k=1", q.0, q.1), None);
    assert_eq!(
        id_list(&fc),
        vec![2],
        "the lowest id of the tie, not the protected one"
    );

    let fc = get_json_as(
        &s,
        &format!("{ITEMS}?nearest={},{}&k=1", q.0, q.1),
        Some(TOKEN),
    );
    assert_eq!(
        id_list(&fc),
        vec![n],
        "the editor's nearest is the true point"
    );
    assert!(
        fc["features"][0]["properties"]["distance_m"]
            .as_f64()
            .unwrap()
            < 5.0
    );

    // From the public point, it is at 0 m for the anonymous caller only.
    let fc = get_json_as(&s, &format!("{ITEMS}?nearest={},{}&k=6", pn.0, pn.1), None);
    assert_eq!(sorted(id_list(&fc)), want);
    assert_eq!(
        feature_by_id(&fc, n).unwrap()["properties"]["distance_m"].as_f64(),
        Some(0.0)
    );
    let fc = get_json_as(
        &s,
        &format!("{ITEMS}?nearest={},{}&k=5", pn.0, pn.1),
        Some(TOKEN),
    );
    assert_eq!(sorted(id_list(&fc)), ZUHUR_SEEDED.to_vec());
}

// === 5. CQL2 and queryables ===================================================================

/// Spatial predicates (cql2-text and cql2-json, GET and POST search) and filters or sorts on
/// `latitude` / `longitude` probe the true point and find nothing anonymously; the same
/// probes find it for the editor. Predicates on the public point do match.
#[test]
fn cql2_predicates_and_coordinate_filters_see_only_the_public_point() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let pn = public_point(&s, n);
    assert_at("public point", pn, anchor(&s, "al-zuhur"));
    let (lon, lat) = TRUE_N;
    let poly = square_wkt(TRUE_N, 0.0003);
    let [bx0, by0, bx1, by1] = bbox_around(TRUE_N, 0.0003);
    let text_probes = [
        format!("S_INTERSECTS(geometry, {poly})"),
        format!("S_WITHIN(geometry, {poly})"),
        format!("NOT S_DISJOINT(geometry, {poly})"),
        format!("S_INTERSECTS(geometry, BBOX({bx0}, {by0}, {bx1}, {by1}))"),
        format!("S_DWITHIN(geometry, POINT({lon} {lat}), 50, 'meters')"),
        format!("S_DWITHIN(geometry, POINT({lon} {lat}), 0.2, 'kilometers')"),
        format!("S_EQUALS(geometry, POINT({lon} {lat}))"),
        format!("S_INTERSECTS(geometry, POINT({lon} {lat}))"),
        format!("latitude = {lat}"),
        format!("longitude = {lon}"),
        format!("latitude BETWEEN {} AND {}", lat - 0.0002, lat + 0.0002),
        format!(
            "longitude > {} AND longitude < {}",
            lon - 0.0002,
            lon + 0.0002
        ),
        format!("latitude < {}", lat + 0.0005),
    ];
    for probe in &text_probes {
        let path = format!("{ITEMS}?filter={}&limit=1000", enc(probe));
        let fc = get_json_as(&s, &path, None);
        assert_eq!(
            fc["numberMatched"], 0,
            "anonymous {probe}: {}",
            fc["features"]
        );
        let fc = get_json_as(&s, &path, Some(TOKEN));
        assert_eq!(id_list(&fc), vec![n], "the editor's {probe}");
        // The same filter in a POST search.
        let fc = search_as(&s, &json!({"filter": probe, "limit": 1000}), None);
        assert_eq!(fc["numberMatched"], 0, "anonymous search {probe}");
    }
    // cql2-json, and search's intersects.
    let json_probes = [
        json!({"op": "s_intersects", "args": [{"property": "geometry"}, square_geojson(TRUE_N, 0.0003)]}),
        json!({"op": "s_dwithin", "args": [{"property": "geometry"},
               {"type": "Point", "coordinates": [lon, lat]}, 50, "meters"]}),
        json!({"op": "between", "args": [{"property": "latitude"}, lat - 0.0002, lat + 0.0002]}),
    ];
    for probe in &json_probes {
        let path = format!(
            "{ITEMS}?filter-lang=cql2-json&filter={}",
            enc(&probe.to_string())
        );
        let fc = get_json_as(&s, &path, None);
        assert_eq!(fc["numberMatched"], 0, "anonymous {probe}");
        let fc = get_json_as(&s, &path, Some(TOKEN));
        assert_eq!(id_list(&fc), vec![n], "the editor's {probe}");
        let fc = search_as(
            &s,
            &json!({"filter": probe, "filter-lang": "cql2-json"}),
            None,
        );
        assert_eq!(fc["numberMatched"], 0, "anonymous search {probe}");
    }
    let body = json!({"intersects": square_geojson(TRUE_N, 0.0003)});
    assert_eq!(search_as(&s, &body, None)["numberMatched"], 0);
    assert_eq!(id_list(&search_as(&s, &body, Some(TOKEN))), vec![n]);
    // Equality parameters on the coordinates.
    for q in [format!("latitude={lat}"), format!("longitude={lon}")] {
        let fc = get_json_as(&s, &format!("{ITEMS}?{q}"), None);
        assert_eq!(fc["numberMatched"], 0, "anonymous {q}");
        let fc = get_json_as(&s, &format!("{ITEMS}?{q}"), Some(TOKEN));
        assert_eq!(id_list(&fc), vec![n], "the editor's {q}");
    }
    // On the public point they match, as for the seeded five there.
    let mut at_anchor = ZUHUR_SEEDED.to_vec();
    at_anchor.push(n);
    for probe in [
        format!("S_EQUALS(geometry, POINT({} {}))", pn.0, pn.1),
        format!("S_DWITHIN(geometry, POINT({} {}), 1, 'meters')", pn.0, pn.1),
        format!("latitude = {} AND longitude = {}", pn.1, pn.0),
    ] {
        let fc = get_json_as(&s, &format!("{ITEMS}?filter={}", enc(&probe)), None);
        assert_eq!(sorted(id_list(&fc)), at_anchor, "anonymous {probe}");
    }
    // Sorting by a coordinate orders by the public one (ties by id): a binary search on the
    // order cannot place the true point.
    for (key, desc) in [("latitude", true), ("longitude", false)] {
        let sign = if desc { "-" } else { "" };
        let fc = get_json_as(&s, &format!("{ITEMS}?sortby={sign}{key}&limit=1000"), None);
        let mut rows: Vec<(f64, i64)> = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["properties"][key].as_f64().unwrap(),
                    f["id"].as_i64().unwrap(),
                )
            })
            .collect();
        let got: Vec<i64> = rows.iter().map(|r| r.1).collect();
        rows.sort_by(|a, b| {
            let by = if desc {
                b.0.total_cmp(&a.0)
            } else {
                a.0.total_cmp(&b.0)
            };
            by.then(a.1.cmp(&b.1))
        });
        let want: Vec<i64> = rows.iter().map(|r| r.1).collect();
        assert_eq!(got, want, "sortby={sign}{key} follows the shown values");
        let shown = feature_by_id(&fc, n).unwrap()["properties"][key]
            .as_f64()
            .unwrap();
        let public = if key == "latitude" { pn.1 } else { pn.0 };
        assert_eq!(shown, public, "{key} of {n}");
    }
}

// === 6. Tiles =================================================================================

/// At z16–18 the tile holding the true point (and not the public one) has no feature for the
/// incident anonymously, while the editor's same tile has it at the true point; the tile of
/// the public point draws it there, with public tags.
#[test]
fn tiles_draw_the_incident_at_its_public_point_only() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let pn = public_point(&s, n);
    assert_at("public point", pn, anchor(&s, "al-zuhur"));
    let n_u = n as u64;
    for z in 16..=18 {
        let (x, y) = tile_of(TRUE_N, z);
        assert!(
            !drawn_in(pn, z, x, y),
            "z{z}: the public point is in the true point's tile"
        );
        let (anon, r) = tile(&s, z, x, y, None);
        assert!(
            anon.iter().all(|f| f.id != Some(n_u)),
            "z{z}/{y}/{x}: the anonymous tile draws {n} (status {})",
            r.status
        );
        let (editor, _) = tile(&s, z, x, y, Some(TOKEN));
        assert_eq!(
            editor.len(),
            anon.len() + 1,
            "z{z}: the editor's tile has exactly one more point"
        );
        let f = editor
            .iter()
            .find(|f| f.id == Some(n_u))
            .unwrap_or_else(|| panic!("z{z}: the editor's tile draws {n}"));
        let want = to_grid(TRUE_N, z, x, y);
        assert!(
            (f.grid.0 - want.0).abs() <= 1.0 && (f.grid.1 - want.1).abs() <= 1.0,
            "z{z}: the editor's point at {:?}, not {want:?}",
            f.grid
        );
        // The public point's tile.
        let (px, py) = tile_of(pn, z);
        let (anon, _) = tile(&s, z, px, py, None);
        let f = anon
            .iter()
            .find(|f| f.id == Some(n_u))
            .unwrap_or_else(|| panic!("z{z}: the public point's tile draws {n}"));
        let want = to_grid(pn, z, px, py);
        assert!(
            (f.grid.0 - want.0).abs() <= 1.0 && (f.grid.1 - want.1).abs() <= 1.0,
            "z{z}: drawn at {:?}, the public point is at {want:?}",
            f.grid
        );
        for (key, v) in [("longitude", pn.0), ("latitude", pn.1)] {
            if let Some(tagged) = f.number(key) {
                assert_eq!(tagged, v, "z{z}: the {key} tag");
            }
        }
        if let Some(p) = f.number("geo_precision") {
            assert_eq!(p, 2.0, "z{z}: geo_precision tag");
        }
    }
    // At lower zooms one tile holds both points: the incident is drawn at the public one, and
    // no point of the tile is tagged with a true coordinate.
    for z in [10, 12, 13] {
        let (x, y) = tile_of(pn, z);
        assert!(drawn_in(TRUE_N, z, x, y), "z{z}: both points in one tile");
        let (anon, _) = tile(&s, z, x, y, None);
        let f = anon
            .iter()
            .find(|f| f.id == Some(n_u))
            .unwrap_or_else(|| panic!("z{z}: the tile draws {n}"));
        let want = to_grid(pn, z, x, y);
        assert!(
            (f.grid.0 - want.0).abs() <= 0.5 && (f.grid.1 - want.1).abs() <= 0.5,
            "z{z}: drawn at {:?}, the public point is at {want:?} (the true one at {:?})",
            f.grid,
            to_grid(TRUE_N, z, x, y)
        );
        for g in &anon {
            for key in ["longitude", "latitude"] {
                let v = g.number(key);
                assert!(
                    v != Some(TRUE_N.0) && v != Some(TRUE_N.1),
                    "z{z}: feature {:?} tags the true {key}",
                    g.id
                );
            }
        }
    }
}

// === 7. Clash zones ===========================================================================

/// The anonymous zones over a protected incident are exactly the zones of a second server
/// holding, instead, an unprotected copy of it at its public point with its public
/// precision; no anonymous zone reaches the true point, while the editor's does.
#[test]
fn clash_zones_are_built_from_public_points() {
    let a = Server::start();
    let n = create(&a, &at(TRUE_N, Some("neighbourhood")));
    let pn = public_point(&a, n);
    assert_at("public point", pn, anchor(&a, "al-zuhur"));
    let shown = view(&a, n, None);
    let precision = shown["properties"]["geo_precision"].clone();
    assert_eq!(precision, 2);
    // The twin: the same incident, exact, where the public sees the protected one.
    let b = Server::start();
    let twin = create(&b, &with(at(pn, None), json!({"geo_precision": precision})));
    assert_eq!(
        twin, n,
        "the same id on both servers (zone ids derive from member ids)"
    );

    for query in [
        "",
        "&low_precision=include",
        "&low_precision=include&cluster_distance_m=800&buffer_m=150",
    ] {
        // The editor asks first: a zone cache shared between views would show here.
        let editor = zones(&a, query, Some(TOKEN));
        let anon = zones(&a, query, None);
        let twin_zones = zones(&b, query, None);
        assert_eq!(
            anon, twin_zones,
            "{query}: anonymous zones differ from the zones of the public point"
        );
        for z in &anon {
            assert!(
                !zone_contains(&z["geometry"], TRUE_N),
                "{query}: anonymous zone {} covers the true point",
                z["id"]
            );
        }
        if query.contains("include") {
            let z = editor
                .iter()
                .find(|z| zone_ids(z).contains(&n))
                .unwrap_or_else(|| panic!("{query}: the editor's zones hold {n}"));
            assert!(
                zone_contains(&z["geometry"], TRUE_N),
                "{query}: the editor's zone is built on the true point"
            );
        }
    }
}

/// A lone protected incident in al-Hol camp, a kilometre from the camp's anchor: its
/// anonymous zone is drawn around the anchor, and no anonymous zone comes near the true
/// point; the editor's zone is drawn around the true point.
#[test]
fn a_lone_protected_incident_zones_around_its_public_point() {
    let s = Server::start();
    assert_eq!(
        containing(&s, CAMP),
        ["al-hol-camp", "al-hasakah-governorate"]
    );
    let camp = anchor(&s, "al-hol-camp");
    let id = create(&s, &at(CAMP, Some("neighbourhood")));
    assert_at("public point", public_point(&s, id), camp);
    assert!(hav(CAMP, camp) > 1000.0);

    let editor = zones(&s, "&low_precision=include", Some(TOKEN));
    let mine = editor
        .iter()
        .find(|z| zone_ids(z) == vec![id])
        .expect("the editor's zone of the lone incident");
    assert!(
        zone_contains(&mine["geometry"], CAMP),
        "the editor's zone is on the truth"
    );

    for query in [
        "",
        "&low_precision=include",
        "&low_precision=include&buffer_m=600",
    ] {
        let anon = zones(&s, query, None);
        for z in &anon {
            assert!(
                !zone_contains(&z["geometry"], CAMP),
                "{query}: {} covers it",
                z["id"]
            );
            for v in outer_rings(&z["geometry"]).concat() {
                assert!(
                    hav(v, CAMP) > 300.0,
                    "{query}: zone {} has a vertex {v:?} {} m from the true point",
                    z["id"],
                    hav(v, CAMP)
                );
            }
        }
        if query.contains("include") {
            let z = anon
                .iter()
                .find(|z| zone_ids(z) == vec![id])
                .unwrap_or_else(|| panic!("{query}: an anonymous zone of the lone incident"));
            assert!(
                zone_contains(&z["geometry"], camp),
                "{query}: around the anchor"
            );
            let ring = outer_rings(&z["geometry"]).concat();
            let (sx, sy) = ring.iter().fold((0.0, 0.0), |a, v| (a.0 + v.0, a.1 + v.1));
            let centre = (sx / ring.len() as f64, sy / ring.len() as f64);
            assert!(
                hav(centre, camp) < 60.0,
                "{query}: centred on {centre:?}, not {camp:?}"
            );
        }
    }
}

// === 8. Extent ================================================================================

/// A grid:50 incident far east of everything would widen the collection's extent to its true
/// longitude: the anonymous extent (collection, collections list, TileJSON bounds) is the
/// extent of the public points, while the editor's reaches the true point.
#[test]
fn the_extent_covers_public_points_only() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("atlas.sqlite");
    let s = Server::start_on(&db, &[], Some(TOKEN));
    assert_eq!(containing(&s, FAR_EAST), ["al-hasakah-governorate"]);
    let e = create(&s, &at(FAR_EAST, Some("grid:50")));
    let pe = public_point(&s, e);
    assert!(
        hav(pe, FAR_EAST) > 50.0,
        "grid:50 shows {pe:?} for {FAR_EAST:?}"
    );
    assert!(
        hav(pe, FAR_EAST) <= 50_000.0 * 0.75,
        "the centre of its 50 km cell: {pe:?}"
    );

    let fc = get_json_as(&s, &format!("{ITEMS}?limit=10000"), None);
    assert_eq!(fc["numberMatched"], SEEDED + 1);
    let mut want = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for f in fc["features"].as_array().unwrap() {
        let p = point_of(f);
        want = [
            want[0].min(p.0),
            want[1].min(p.1),
            want[2].max(p.0),
            want[3].max(p.1),
        ];
    }
    let bbox_of = |c: &Value| -> Vec<f64> {
        c["extent"]["spatial"]["bbox"][0]
            .as_array()
            .unwrap_or_else(|| panic!("a spatial extent: {c}"))
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let close = |got: &[f64], what: &str| {
        assert_eq!(got.len(), 4, "{what}: {got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() < 1e-6,
                "{what}: {got:?}, the public points span {want:?}"
            );
        }
        for g in got {
            assert!(
                (g - FAR_EAST.0).abs() > 1e-6 && (g - FAR_EAST.1).abs() > 1e-6,
                "{what} holds a true coordinate: {got:?}"
            );
        }
    };
    let collection = get_json_as(&s, "/collections/incidents", None);
    close(&bbox_of(&collection), "/collections/incidents extent");
    let list = get_json_as(&s, "/collections", None);
    let entry = list["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "incidents")
        .expect("incidents in /collections");
    close(&bbox_of(entry), "/collections extent");
    let tj = get_json_as(
        &s,
        "/collections/incidents/tiles/WebMercatorQuad?f=tilejson",
        None,
    );
    let bounds: Vec<f64> = tj["bounds"]
        .as_array()
        .expect("bounds")
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    close(&bounds, "TileJSON bounds");
    let forms = leak_forms(FAR_EAST, &[pe]);
    for path in [
        "/collections/incidents/tiles/WebMercatorQuad",
        "/collections/incidents?f=html",
        "/collections?f=html",
    ] {
        assert_no_leak(path, &get_ok(&s, path, None).text(), &forms);
    }
    // The editor's extent reaches the true point.
    let collection = get_json_as(&s, "/collections/incidents", Some(TOKEN));
    let b = bbox_of(&collection);
    assert!(
        (b[2] - FAR_EAST.0).abs() < 1e-9,
        "the editor's extent: {b:?}"
    );
    // After a restart the public view is rebuilt from the stored records: its extent still
    // covers the public points only.
    s.kill9();
    let s = Server::start_on(&db, &[], Some(TOKEN));
    let collection = get_json_as(&s, "/collections/incidents", None);
    close(
        &bbox_of(&collection),
        "/collections/incidents extent after a restart",
    );
    let collection = get_json_as(&s, "/collections/incidents", Some(TOKEN));
    assert!((bbox_of(&collection)[2] - FAR_EAST.0).abs() < 1e-9);
}

// === 9. Counts and equality filters ===========================================================

/// Protection hides nothing but the point: every incident is counted for everyone, and
/// counts and equality filters (`geo_precision`, `place_id`, `admin3`, `location`) follow the
/// public record, with numberMatched agreeing with the features delivered and the CSV rows.
#[test]
fn counts_and_equality_filters_follow_the_public_record() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let g = create(&s, &at(TRUE_G, Some("grid:5")));
    for token in [None, Some(TOKEN)] {
        let fc = get_json_as(&s, &format!("{ITEMS}?limit=1"), token);
        assert_eq!(fc["numberMatched"], SEEDED + 2, "as {token:?}");
    }
    let editor_n = view(&s, n, Some(TOKEN));
    assert_eq!(editor_n["properties"]["geo_precision"], 1);
    assert_eq!(editor_n["properties"]["place_id"], "al-zuhur");

    // (query, holds n, holds g) for the anonymous caller; whether the editor's holds both
    // (it sees the true records: precision 1, in al-Zuhur).
    let cases = [
        ("geo_precision=1", false, false, true),
        ("geo_precision=2", true, true, false),
        ("place_id=al-zuhur", true, false, true),
        ("location=al-Zuhur", true, false, true),
        ("admin3=Markaz%20Al-Hasakeh", true, false, true),
        ("admin2=Al-Hasakeh", true, false, true),
        ("admin1=Al-Hasakeh", true, true, true),
    ];
    for (q, has_n, has_g, editor_has) in cases {
        let fc = get_json_as(&s, &format!("{ITEMS}?{q}&limit=1000"), None);
        let got = id_list(&fc);
        assert_eq!(
            (got.contains(&n), got.contains(&g)),
            (has_n, has_g),
            "anonymous {q}: {got:?}"
        );
        assert_eq!(
            fc["numberMatched"],
            got.len(),
            "anonymous {q}: numberMatched"
        );
        let csv = get_ok(&s, &format!("{ITEMS}?{q}&f=csv"), None).text();
        assert_eq!(csv_rows(&csv), got.len(), "anonymous {q}: CSV rows");
        let fc = get_json_as(&s, &format!("{ITEMS}?{q}&limit=1000"), Some(TOKEN));
        let got = id_list(&fc);
        assert_eq!(
            (got.contains(&n), got.contains(&g)),
            (editor_has, editor_has),
            "the editor's {q}: {got:?}"
        );
    }
    // And through CQL2 on the coarsened fields.
    for (probe, has_n, has_g) in [
        ("admin3 IS NULL", false, true),
        ("geo_precision > 1", true, true),
        ("place_id IS NULL", false, true),
    ] {
        let fc = get_json_as(
            &s,
            &format!("{ITEMS}?filter={}&limit=1000", enc(probe)),
            None,
        );
        let got = id_list(&fc);
        assert_eq!(
            (got.contains(&n), got.contains(&g)),
            (has_n, has_g),
            "{probe}: {got:?}"
        );
    }
}

// === 10. Determinism and who sees what ========================================================

/// The public point is the same on every request and after a kill -9 and restart; the editor
/// and a reader-exact token see the true record, before and after.
#[test]
fn public_points_are_stable_across_restarts_and_tokens_see_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("atlas.sqlite");
    let (file, reader) = reader_tokens(tmp.path());
    let file = file.to_str().unwrap().to_owned();
    let args = ["--tokens", file.as_str()];
    let s = Server::start_on(&db, &args, Some(TOKEN));
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let g = create(&s, &at(TRUE_G, Some("grid:5")));
    let first_n = view(&s, n, None);
    let first_g = view(&s, g, None);
    for _ in 0..3 {
        assert_eq!(
            view(&s, n, None),
            first_n,
            "the same anonymous Feature every time"
        );
        assert_eq!(
            view(&s, g, None),
            first_g,
            "the same anonymous Feature every time"
        );
    }
    let pn = point_of(&first_n);
    let pg = point_of(&first_g);
    assert_at("neighbourhood", pn, anchor(&s, "al-zuhur"));
    assert!(hav(pg, TRUE_G) > 50.0, "grid:5 shows {pg:?}");
    assert_eq!(
        first_n["properties"]["location_protection"],
        "neighbourhood"
    );
    assert_eq!(first_g["properties"]["location_protection"], "grid:5");

    let check_truth = |s: &Server, when: &str| {
        for token in [TOKEN, reader.as_str()] {
            for (id, truth) in [(n, TRUE_N), (g, TRUE_G)] {
                let f = view(s, id, Some(token));
                assert_at(
                    &format!("{when}: the true point of {id}"),
                    point_of(&f),
                    truth,
                );
                assert_eq!(f["properties"]["longitude"].as_f64(), Some(truth.0));
                assert_eq!(f["properties"]["latitude"].as_f64(), Some(truth.1));
                assert_eq!(f["properties"]["geo_precision"], 1, "{when}");
                assert_eq!(f["properties"]["place_id"], "al-zuhur", "{when}");
            }
            let q = bbox_param(bbox_around(TRUE_N, 0.0001));
            let fc = get_json_as(s, &format!("{ITEMS}?bbox={q}"), Some(token));
            assert_eq!(id_list(&fc), vec![n], "{when}: a reader's bbox");
        }
        let q = bbox_param(bbox_around(TRUE_N, 0.0001));
        let fc = get_json_as(s, &format!("{ITEMS}?bbox={q}"), None);
        assert_eq!(fc["numberMatched"], 0, "{when}: anonymous bbox");
    };
    check_truth(&s, "before the restart");

    s.kill9();
    let s = Server::start_on(&db, &args, Some(TOKEN));
    let again_n = view(&s, n, None);
    let again_g = view(&s, g, None);
    assert_eq!(
        point_of(&again_n),
        pn,
        "the same public point after a restart"
    );
    assert_eq!(
        point_of(&again_g),
        pg,
        "the same grid point after a restart"
    );
    assert_eq!(again_n["properties"], first_n["properties"]);
    assert_eq!(again_g["properties"], first_g["properties"]);
    check_truth(&s, "after the restart");
}

// === 11. Changing protection ==================================================================

/// A PATCH from exact to neighbourhood reaches the change feed (JSON and live) as an update
/// whose anonymous feature is at the public point, and no page of the feed keeps the earlier
/// exact point; moving a protected incident recomputes its public point.
#[test]
fn protecting_an_incident_reaches_the_change_feed_as_its_public_point() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, None));
    let f = view(&s, n, None);
    assert_at("an exact incident is shown exactly", point_of(&f), TRUE_N);
    assert_eq!(f["properties"]["location_protection"], "exact");
    let zuhur = anchor(&s, "al-zuhur");
    let before = cursor(&s);
    let stream = subscribe(&s, &format!("after={before}"), None);

    let (status, patched) = patch(
        &s,
        n,
        json!({"properties": {"location_protection": "neighbourhood"}}),
    );
    assert_eq!(status, 200, "{patched}");
    assert_at("the editor's answer", point_of(&patched), TRUE_N);
    assert_eq!(
        patched["properties"]["location_protection"],
        "neighbourhood"
    );

    // The live stream pushes the update, public.
    let events = stream.until("the update", |event, data| {
        event == "update" && data["id"] == n
    });
    let (_, data) = events.last().unwrap();
    let forms = leak_forms(TRUE_N, &[zuhur]);
    assert_no_leak("the live update", data, &forms);
    let change: Value = serde_json::from_str(data).unwrap();
    assert_at(
        "the live update's feature",
        point_of(&change["feature"]),
        zuhur,
    );

    // The JSON feed: one update, public anonymously, true for the editor.
    let (changes, raw) = feed(&s, None, before);
    assert_eq!(changes.len(), 1, "{raw}");
    let c = &changes[0];
    assert_eq!(
        (c["op"].as_str(), c["id"].as_i64()),
        (Some("update"), Some(n))
    );
    let p = &c["feature"]["properties"];
    assert_at("the update's feature", point_of(&c["feature"]), zuhur);
    assert_eq!(p["longitude"].as_f64(), Some(zuhur.0));
    assert_eq!(p["latitude"].as_f64(), Some(zuhur.1));
    assert_eq!(p["geo_precision"], 2);
    assert_eq!(p["location_protection"], "neighbourhood");
    let (changes, _) = feed(&s, Some(TOKEN), before);
    assert_at(
        "the editor's update",
        point_of(&changes[0]["feature"]),
        TRUE_N,
    );
    // The whole feed from 0 keeps the record's latest change only: no trace of the exact point.
    let (_, raw) = feed(&s, None, 0);
    assert_no_leak("/changes?after=0 after protecting", &raw, &forms);
    // updated_after, as a mirror syncs.
    let fc = get_json_as(&s, &format!("{ITEMS}?updated_after={before}"), None);
    assert_eq!(id_list(&fc), vec![n]);
    assert_at("updated_after", point_of(&fc["features"][0]), zuhur);

    // Moved into Villat al-Humr: the public point follows, from the new true point.
    let villat = anchor(&s, "villat-al-humr");
    let moved = (40.7800, 36.4850);
    assert_eq!(containing(&s, moved)[0], "villat-al-humr");
    let (status, body) = patch(
        &s,
        n,
        json!({"geometry": {"type": "Point", "coordinates": [moved.0, moved.1]}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_at("moved", public_point(&s, n), villat);
    assert_eq!(
        view(&s, n, None)["properties"]["place_id"],
        "villat-al-humr"
    );
    let (changes, raw) = feed(&s, None, before);
    assert_at(
        "the feed after the move",
        point_of(&changes[0]["feature"]),
        villat,
    );
    assert_no_leak(
        "the feed after the move",
        &raw,
        &leak_forms(moved, &[villat]),
    );
    // A patch that does not move it keeps the public point.
    let (status, body) = patch(&s, n, json!({"properties": {"fatalities": 7}}));
    assert_eq!(status, 200, "{body}");
    assert_at("after a fatalities patch", public_point(&s, n), villat);
}

// === 12. HTTP caching =========================================================================

/// The anonymous and the exact views of one URL are different representations: different
/// ETags, neither validating the other, and `Vary: Authorization` on both so no shared cache
/// hands the exact one to the public.
#[test]
fn etags_and_vary_keep_the_public_and_exact_views_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, reader) = reader_tokens(tmp.path());
    let s = Server::start_on(
        &tmp.path().join("atlas.sqlite"),
        &["--tokens", file.to_str().unwrap()],
        Some(TOKEN),
    );
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    // The z14 tile of the public point: it draws the incident there anonymously, and not at
    // all for a token (the true point lies 4,260 grid units south, past the buffer).
    let (x, y) = tile_of(anchor(&s, "al-zuhur"), 14);
    let paths = [
        format!("{ITEMS}/{n}"),
        format!("{ITEMS}?limit=100"),
        format!("{ITEMS}?bbox=40.76,36.47,40.78,36.48"),
        "/collections/incidents".to_owned(),
        format!("/collections/incidents/tiles/WebMercatorQuad/14/{y}/{x}"),
        format!("{ZONES}?low_precision=include"),
    ];
    for path in &paths {
        let anon = get_ok(&s, path, None);
        for token in [TOKEN, reader.as_str()] {
            let exact = get_ok(&s, path, Some(token));
            assert!(
                anon.body != exact.body,
                "{path}: the anonymous and exact views are the same"
            );
            let (a, e) = (anon.header("etag"), exact.header("etag"));
            assert!(a.is_some() && e.is_some(), "{path}: ETags {a:?} {e:?}");
            assert_ne!(a, e, "{path}: one ETag for two bodies");
            // Neither ETag validates the other view.
            let r = request(
                &s,
                Method::GET,
                path,
                None,
                None,
                &[("If-None-Match", e.as_deref().unwrap())],
            );
            assert_eq!(
                r.status, 200,
                "{path}: the exact ETag revalidated the anonymous view"
            );
            assert!(
                r.body == anon.body,
                "{path}: another body for the anonymous caller"
            );
            let r = request(
                &s,
                Method::GET,
                path,
                Some(token),
                None,
                &[("If-None-Match", a.as_deref().unwrap())],
            );
            assert_eq!(
                r.status, 200,
                "{path}: the anonymous ETag revalidated the exact view"
            );
            // Each still revalidates itself.
            let r = request(
                &s,
                Method::GET,
                path,
                Some(token),
                None,
                &[("If-None-Match", e.as_deref().unwrap())],
            );
            assert_eq!(r.status, 304, "{path}: the exact view's own ETag");
            assert!(
                exact.vary().iter().any(|v| v == "authorization"),
                "{path}: the exact view's Vary {:?}",
                exact.vary()
            );
        }
        let r = request(
            &s,
            Method::GET,
            path,
            None,
            None,
            &[("If-None-Match", anon.header("etag").as_deref().unwrap())],
        );
        assert_eq!(r.status, 304, "{path}: the anonymous view's own ETag");
        assert!(
            anon.vary().iter().any(|v| v == "authorization"),
            "{path}: Vary {:?}",
            anon.vary()
        );
    }
    // Streamed downloads and the feed carry no ETag, but vary all the same.
    for path in [
        format!("{ITEMS}?f=csv"),
        format!("{ITEMS}?f=geojsonseq"),
        format!("{ITEMS}/{n}?f=html"),
        "/changes?after=0".to_owned(),
    ] {
        for token in [None, Some(TOKEN)] {
            let r = get_ok(&s, &path, token);
            assert!(
                r.vary().iter().any(|v| v == "authorization"),
                "{path} as {token:?}: Vary {:?}",
                r.vary()
            );
        }
    }
}

// === 13. Bad values ===========================================================================

/// A protection level that is not one is a 422 problem naming `location_protection` (as every
/// invalid field of a record is), on create, replace and patch, and stores nothing; the bounds
/// of `grid:KM` are accepted.
#[test]
fn bad_protection_levels_are_422_naming_the_field() {
    let s = Server::start();
    let n = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let zuhur = anchor(&s, "al-zuhur");
    let bad = [
        "grid:0",
        "grid:abc",
        "street",
        "grid:",
        "grid:-5",
        "grid:0.09",
        "grid:1000.5",
        "grid:NaN",
        "grid:inf",
        "",
    ];
    for level in bad {
        let f = at(TRUE_N, Some(level));
        let r = request(
            &s,
            Method::POST,
            ITEMS,
            Some(TOKEN),
            Some(("application/geo+json", f.to_string())),
            &[],
        );
        let body = r.json();
        assert_problem(r.status, &body, 422, "location_protection");
        let ct = r.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/problem+json"),
            "{level:?}: {ct}"
        );
        let r = request(
            &s,
            Method::PUT,
            &format!("{ITEMS}/{n}"),
            Some(TOKEN),
            Some(("application/geo+json", f.to_string())),
            &[],
        );
        assert_problem(r.status, &r.json(), 422, "location_protection");
        let (status, body) = patch(&s, n, json!({"properties": {"location_protection": level}}));
        assert_problem(status, &body, 422, "location_protection");
    }
    // Not text at all.
    let (status, body) = s.post(
        ITEMS,
        &with(at(TRUE_N, None), json!({"location_protection": 5})),
    );
    assert!((400..=422).contains(&status), "{body}");
    assert_problem(status, &body, status, "location_protection");
    // Nothing was stored or changed.
    let fc = get_json_as(&s, &format!("{ITEMS}?limit=1"), None);
    assert_eq!(fc["numberMatched"], SEEDED + 1);
    assert_at("unchanged", public_point(&s, n), zuhur);
    assert_eq!(
        view(&s, n, Some(TOKEN))["properties"]["location_protection"],
        "neighbourhood"
    );
    // The ends of the range are levels.
    for level in ["grid:0.1", "grid:1000"] {
        let id = create(&s, &at(TRUE_G, Some(level)));
        assert_eq!(
            view(&s, id, None)["properties"]["location_protection"],
            level
        );
    }
}

// === 14. What each level shows ================================================================

/// What an anonymous caller is shown for an incident protected at a level.
enum Shown {
    /// The true point, as written.
    Exact,
    /// This place's anchor, with this precision; admin fields kept to this depth (3: all,
    /// 2: admin1 and admin2, 1: admin1 only, the others null).
    Place(&'static str, u64, usize),
    /// The centre of a grid cell of this many km, with this precision.
    Grid(f64, u64),
}

/// A level case: what it is, the true point, the level written, what is shown.
type Case = (&'static str, (f64, f64), Option<&'static str>, Shown);

/// Each level snaps to the anchor of the smallest place of its kind containing the true
/// point, falling back neighbourhood → city → region → a 50 km grid; precision, place and
/// admin fields follow the level, the level itself is shown; grid points are cell centres.
#[test]
fn each_level_shows_its_place_or_cell_and_falls_back_to_coarser_ones() {
    let s = Server::start();
    // The points' places, as the gazetteer has them (the cases below rest on these).
    assert_eq!(
        containing(&s, TRUE_N),
        ["al-zuhur", "al-hasakah", "al-hasakah-governorate"]
    );
    assert_eq!(
        containing(&s, TRUE_G),
        ["al-zuhur", "al-hasakah", "al-hasakah-governorate"]
    );
    assert_eq!(
        containing(&s, CITY_ONLY),
        ["al-hasakah", "al-hasakah-governorate"]
    );
    assert_eq!(containing(&s, GOVERNORATE_ONLY), ["al-hasakah-governorate"]);
    assert_eq!(
        containing(&s, CAMP),
        ["al-hol-camp", "al-hasakah-governorate"]
    );
    assert_eq!(containing(&s, TOWN), ["al-hawl", "al-hasakah-governorate"]);
    assert!(containing(&s, OUTSIDE).is_empty());

    use Shown::*;
    let cases: Vec<Case> = vec![
        ("absent", TRUE_N, None, Exact),
        ("exact", TRUE_N, Some("exact"), Exact),
        (
            "neighbourhood",
            TRUE_N,
            Some("neighbourhood"),
            Place("al-zuhur", 2, 3),
        ),
        ("city", TRUE_N, Some("city"), Place("al-hasakah", 2, 2)),
        (
            "region",
            TRUE_N,
            Some("region"),
            Place("al-hasakah-governorate", 3, 1),
        ),
        (
            "neighbourhood → city",
            CITY_ONLY,
            Some("neighbourhood"),
            Place("al-hasakah", 2, 2),
        ),
        (
            "neighbourhood → region",
            GOVERNORATE_ONLY,
            Some("neighbourhood"),
            Place("al-hasakah-governorate", 3, 1),
        ),
        (
            "city → region",
            GOVERNORATE_ONLY,
            Some("city"),
            Place("al-hasakah-governorate", 3, 1),
        ),
        (
            "neighbourhood in a camp",
            CAMP,
            Some("neighbourhood"),
            Place("al-hol-camp", 2, 3),
        ),
        (
            "city from a camp → region",
            CAMP,
            Some("city"),
            Place("al-hasakah-governorate", 3, 1),
        ),
        (
            "neighbourhood in a town → city",
            TOWN,
            Some("neighbourhood"),
            Place("al-hawl", 2, 2),
        ),
        ("grid:5", TRUE_G, Some("grid:5"), Grid(5.0, 2)),
        ("grid:25", TRUE_G, Some("grid:25"), Grid(25.0, 2)),
        ("grid:26", TRUE_G, Some("grid:26"), Grid(26.0, 3)),
        ("grid:50", TRUE_G, Some("grid:50"), Grid(50.0, 3)),
        ("grid:0.5", TRUE_G, Some("grid:0.5"), Grid(0.5, 2)),
        (
            "region outside → grid",
            OUTSIDE,
            Some("region"),
            Grid(50.0, 3),
        ),
        (
            "neighbourhood outside → grid",
            OUTSIDE,
            Some("neighbourhood"),
            Grid(50.0, 3),
        ),
    ];
    let mut bad = Vec::new();
    for (what, p, level, shown) in cases {
        let mut f = at(p, level);
        if p == OUTSIDE {
            f = with(f, json!({"location": "Farmhouse of the witness"}));
        }
        let id = create(&s, &f);
        let truth = view(&s, id, Some(TOKEN));
        let anon = view(&s, id, None);
        let (t, a) = (&truth["properties"], &anon["properties"]);
        let mut check = |ok: bool, msg: String| {
            if !ok {
                bad.push(format!("{what}: {msg}"));
            }
        };
        check(
            point_of(&truth) == p,
            format!("the editor sees {:?}", point_of(&truth)),
        );
        let shown_p = point_of(&anon);
        check(
            (a["longitude"].as_f64(), a["latitude"].as_f64()) == (Some(shown_p.0), Some(shown_p.1)),
            format!("lon/lat properties disagree with the geometry: {a}"),
        );
        let level_shown = level.unwrap_or("exact");
        check(
            a["location_protection"] == level_shown,
            format!("location_protection {}", a["location_protection"]),
        );
        match shown {
            Exact => {
                check(shown_p == p, format!("shown at {shown_p:?}"));
                check(a == t, "the exact record differs from the editor's".into());
            }
            Place(id_, precision, depth) => {
                let pl = place(&s, id_);
                let anchor = coords(&pl["anchor"]);
                check(
                    shown_p == anchor,
                    format!("shown at {shown_p:?}, {id_}'s anchor is {anchor:?}"),
                );
                check(a["place_id"] == id_, format!("place_id {}", a["place_id"]));
                check(
                    a["location"] == pl["name"],
                    format!("location {}", a["location"]),
                );
                check(
                    a["geo_precision"] == precision,
                    format!("geo_precision {}", a["geo_precision"]),
                );
                // Kept down to `depth`; at the city level admin3 (the sub-district around
                // the city) is left to the implementation; at the region level admin2 and
                // admin3 are finer than the level, so null.
                for (i, k) in ["admin1", "admin2", "admin3"].iter().enumerate() {
                    if i < depth {
                        check(
                            a[k] == pl[k],
                            format!("{k} {} (the place's {})", a[k], pl[k]),
                        );
                    } else if depth == 1 {
                        check(a[k].is_null(), format!("{k} {} finer than the level", a[k]));
                    }
                }
            }
            Grid(km, precision) => {
                let d = hav(shown_p, p);
                check(d > 1.0, format!("grid:{km} shows the true point"));
                check(
                    d <= km * 1000.0 * 0.75,
                    format!("grid:{km} shows a point {d} m away: not its cell's centre"),
                );
                check(
                    a["place_id"].is_null(),
                    format!("place_id {}", a["place_id"]),
                );
                check(
                    a["geo_precision"] == precision,
                    format!("geo_precision {}", a["geo_precision"]),
                );
                check(
                    a["admin1"] == t["admin1"],
                    format!("admin1 {}", a["admin1"]),
                );
                check(a["admin2"].is_null(), format!("admin2 {}", a["admin2"]));
                check(a["admin3"].is_null(), format!("admin3 {}", a["admin3"]));
                check(
                    t["location"].is_null() || a["location"] != t["location"],
                    format!("location {} names the true place", a["location"]),
                );
            }
        }
    }
    assert!(bad.is_empty(), "\n  {}", bad.join("\n  "));

    // A grid point is the centre of a fixed cell, not an offset of the true point: points a
    // couple of metres apart get the same centre (or, on a cell edge, centres a cell apart),
    // and the same point written twice gets the same one.
    for km in [5.0, 0.5] {
        let level = format!("grid:{km}");
        let a = public_point(&s, create(&s, &at(TRUE_G, Some(&level))));
        let again = public_point(&s, create(&s, &at(TRUE_G, Some(&level))));
        assert_eq!(a, again, "{level}: one true point, one public point");
        let nudged = (TRUE_G.0 + 0.00002, TRUE_G.1 + 0.00002);
        let b = public_point(&s, create(&s, &at(nudged, Some(&level))));
        let apart = hav(a, b);
        assert!(
            apart == 0.0 || apart >= km * 1000.0 * 0.4,
            "{level}: moving the true point 2.5 m moved the public one {apart} m"
        );
    }
}

// === 15. Protecting what was public, replacing, and what the public record says =============

/// An incident shown exactly and then protected leaves the public view everywhere: the
/// extent no longer covers its old point (extents otherwise only widen), and page sequences
/// pinned before the change, which still hold the old point, are refused (410).
#[test]
fn protecting_a_public_incident_forgets_its_old_point() {
    let s = Server::start();
    let id = create(&s, &at(FAR_EAST, None));
    // A page sequence begins while the point is public.
    let first = get_json_as(&s, &format!("{ITEMS}?limit=1"), None);
    let next = first["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .and_then(|l| l["href"].as_str())
        .expect("a next link")
        .to_owned();
    let token = next
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("snapshot="))
        .expect("a snapshot token")
        .to_owned();
    let (status, body) = patch(
        &s,
        id,
        json!({"properties": {"location_protection": "region"}}),
    );
    assert_eq!(status, 200, "{body}");
    let public = public_point(&s, id);
    assert!(hav(public, FAR_EAST) > 1_000.0, "{public:?}");
    let collection = get_json_as(&s, "/collections/incidents", None);
    let bbox: Vec<f64> = collection["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for v in &bbox {
        assert!(
            (v - FAR_EAST.0).abs() > 1e-6 && (v - FAR_EAST.1).abs() > 1e-6,
            "the public extent holds the old point: {bbox:?}"
        );
    }
    assert!(!get_ok(&s, "/map", None).text().contains("41.61237"));
    // The old page sequence is gone, for the public and token holders alike.
    let box_ = bbox_param(bbox_around(FAR_EAST, 0.001));
    for who in [None, Some(TOKEN)] {
        let r = request(
            &s,
            Method::GET,
            &format!("{ITEMS}?snapshot={token}&bbox={box_}"),
            who,
            None,
            &[],
        );
        assert_eq!(r.status, 410, "{who:?}: {}", r.text());
    }
}

/// A PUT that leaves `location_protection` out keeps the level (only an explicit "exact"
/// lifts it), so a client rebuilding a Feature from scratch cannot make it public by
/// accident.
#[test]
fn a_replacement_keeps_the_level_unless_it_says_exact() {
    let s = Server::start();
    let id = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let put = |f: &Value| s.send_json(Method::PUT, &format!("{ITEMS}/{id}"), f, Some(TOKEN));
    let (status, body) = put(&with(at(TRUE_N, None), json!({"fatalities": 3})));
    assert_eq!(status, 200, "{body}");
    let anonymous = view(&s, id, None);
    assert_eq!(
        anonymous["properties"]["location_protection"],
        "neighbourhood"
    );
    assert_eq!(anonymous["properties"]["fatalities"], 3);
    assert_at(
        "after a PUT without the level",
        point_of(&anonymous),
        anchor(&s, "al-zuhur"),
    );
    let (status, body) = put(&at(TRUE_N, Some("exact")));
    assert_eq!(status, 200, "{body}");
    assert_at(
        "after a PUT with exact",
        point_of(&view(&s, id, None)),
        TRUE_N,
    );
}

/// The public record's `placement` says how its public point was made, not the true one:
/// "gazetteer" on the truth would tell that it is one of the few anchors in the area.
#[test]
fn placement_describes_the_public_point() {
    let s = Server::start();
    let prison = with(
        at(TRUE_N, Some("neighbourhood")),
        json!({"place_id": "al-sinaa-prison"}),
    );
    let mut prison = prison;
    prison["geometry"] = Value::Null;
    let by_place = create(&s, &prison);
    let by_point = create(&s, &at(TRUE_N, Some("neighbourhood")));
    let gridded = create(&s, &at(TRUE_G, Some("grid:5")));
    for (id, placement) in [
        (by_place, "gazetteer"),
        (by_point, "gazetteer"),
        (gridded, "coordinates"),
    ] {
        assert_eq!(
            view(&s, id, None)["properties"]["placement"],
            placement,
            "{id}"
        );
    }
    // The editor sees how the true point was placed.
    assert_eq!(
        view(&s, by_place, Some(TOKEN))["properties"]["placement"],
        "gazetteer"
    );
    assert_eq!(
        view(&s, by_point, Some(TOKEN))["properties"]["placement"],
        "coordinates"
    );
}
