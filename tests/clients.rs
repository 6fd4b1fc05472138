//! Real GIS clients read the running server: OWSLib, geopandas (pyogrio → GDAL's OAPIF
//! driver) and QGIS (its OAPIF data provider, headless). Each test starts the server, runs a
//! Python script from tests/clients/ with the base URL and the questions to ask, and compares
//! what the client saw with what the server itself answers to the same questions.
//!
//! `.ci/run` installs the clients: QGIS from Debian (python3-qgis, run with /usr/bin/python3)
//! and the PyPI ones into a venv (tests/clients/requirements.txt). On a machine without a
//! client its test prints "skipped: …" and passes; under CI (`CI` set) a missing client fails.
//! ATLAS_SKIP_CLIENTS=1 skips them all explicitly.
mod common;
use common::*;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const INSTALL_HINT: &str = "run .ci/run to install the GIS clients";

/// Around the prison, al-Zuhur and the cemetery: most incidents, some places, one zone.
const BBOX: [f64; 4] = [40.755, 36.47, 40.775, 36.48];

/// How long one client script may take before the test gives up on it.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(180);

/// Whether the test for `client` skips: explicitly (ATLAS_SKIP_CLIENTS), or because `python`
/// cannot import `module` (outside CI; see `skip_without`).
fn skipped(client: &str, python: &Path, module: &str) -> bool {
    if std::env::var_os("ATLAS_SKIP_CLIENTS").is_some() {
        say_skipped("ATLAS_SKIP_CLIENTS is set");
        return true;
    }
    let python_path = python.to_string_lossy();
    let importable = runs(&python_path, &["-c", &format!("import {module}")]);
    skip_without(client, importable)
}

/// The clients venv's Python (see `clients_venv`).
fn venv_python() -> PathBuf {
    clients_venv().join("bin/python")
}

/// Debian's Python, which has python3-qgis (ATLAS_QGIS_PYTHON overrides it).
fn qgis_python() -> PathBuf {
    std::env::var_os("ATLAS_QGIS_PYTHON")
        .map_or_else(|| PathBuf::from("/usr/bin/python3"), PathBuf::from)
}

/// Runs tests/clients/`script` with `python`, the base URL and `ask` (JSON), and returns the
/// JSON object the script prints last.
fn run_client(python: &Path, script: &str, base: &str, ask: &Value) -> Value {
    assert!(
        python.exists(),
        "{} not found: {INSTALL_HINT}",
        python.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    // A home of its own: QGIS keeps settings and an HTTP cache there, and Qt wants a private
    // runtime directory.
    let home = tempfile::tempdir().expect("temp home");
    let mut child = Command::new(python)
        .arg(&script)
        .arg(base)
        .arg(ask.to_string())
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.path())
        .env("QT_QPA_PLATFORM", "offscreen")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {INSTALL_HINT}", python.display()));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).ok();
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr piped")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for client") {
            break status;
        }
        if started.elapsed() > SCRIPT_DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!("{} did not finish in {SCRIPT_DEADLINE:?}", script.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    assert!(
        status.success(),
        "{} {}: {status}\n{stderr}\n{stdout}\n(if a module is missing: {INSTALL_HINT})",
        python.display(),
        script.display()
    );
    let last = stdout.lines().rev().find(|l| l.starts_with('{'));
    serde_json::from_str(last.unwrap_or_default()).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON result ({e}):\n{stdout}\n{stderr}",
            script.display()
        )
    })
}

/// A server with the scenario plus one displacement report with a known destination, so that
/// every collection, displacement-flows included, has features.
fn atlas() -> Server {
    let s = Server::start();
    let report = json!({"type": "Feature", "geometry": null, "properties": {
        "date": "2022-01-22", "origin": "al-Zuhur", "destination": "Tal Hajar", "households": 40}});
    let (status, body) = s.post("/collections/displacement-reports/items", &report);
    assert_eq!(status, 201, "{body}");
    s
}

/// The server's own answer: every feature of `collection` matching `query`.
fn answer(s: &Server, collection: &str, query: &str) -> Value {
    let (status, fc) = s.get_json(&format!(
        "/collections/{collection}/items?limit=10000{query}"
    ));
    assert_eq!(status, 200, "{collection}{query}: {fc}");
    fc
}

fn bbox_query() -> String {
    let [a, b, c, d] = BBOX;
    format!("&bbox={a},{b},{c},{d}")
}

fn features(fc: &Value) -> &Vec<Value> {
    fc["features"].as_array().expect("features array")
}

fn geometry_types(fc: &Value) -> Vec<String> {
    let mut types: Vec<String> = features(fc)
        .iter()
        .map(|f| {
            f["geometry"]["type"]
                .as_str()
                .expect("geometry type")
                .to_owned()
        })
        .collect();
    types.sort();
    types.dedup();
    types
}

fn coordinates(feature: &Value) -> Value {
    feature["geometry"]["coordinates"].clone()
}

#[test]
fn owslib_reads_landing_conformance_collections_items_and_features() {
    if skipped("OWSLib (in the clients venv)", &venv_python(), "owslib") {
        return;
    }
    let s = atlas();
    let zone = ids(&answer(&s, "clash-zones", ""))[0]
        .as_str()
        .expect("zone ids are strings")
        .to_owned();
    let zone_key = format!("clash-zones/{zone}");
    let ask = json!({
        "items": {"collection": "incidents", "bbox": BBOX, "datetime": "2022-01-21", "limit": 2},
        "features": [["incidents", "10"], ["places", "al-zuhur"], ["clash-zones", zone],
                     ["displacement-origins", "al-zuhur"]],
        "properties": ["place_id", "name", "incident_count"],
    });
    let got = run_client(&venv_python(), "owslib_client.py", &s.base, &ask);
    eprintln!("OWSLib {}", got["version"]);

    let (_, landing) = s.get_json("/");
    let rels: Vec<&Value> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["rel"])
        .collect();
    assert_eq!(got["landing_rels"], json!(rels));
    assert_eq!(
        got["landing_rels"],
        json!([
            "self",
            "alternate",
            "service-desc",
            "conformance",
            "data",
            "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
            // The map viewer.
            "related"
        ])
    );
    let (_, api) = s.get_json("/api");
    assert_eq!(got["openapi"], api["openapi"]);
    assert_eq!(got["openapi"], "3.0.3");
    let (_, conformance) = s.get_json("/conformance");
    assert_eq!(got["conformsTo"], conformance["conformsTo"]);
    assert_eq!(got["collections"], json!(COLLECTIONS));
    assert_eq!(got["feature_collections"], json!(COLLECTIONS));
    let (_, incidents) = s.get_json("/collections/incidents");
    assert_eq!(got["collection"]["id"], "incidents");
    assert_eq!(got["collection"]["itemType"], "feature");
    assert_eq!(got["collection"]["extent"], incidents["extent"]);

    // Two pages of incidents in the box on 21 January, as the server pages them.
    let [a, b, c, d] = BBOX;
    let query = format!("bbox={a},{b},{c},{d}&datetime=2022-01-21&limit=2");
    let (_, first) = s.get_json(&format!("/collections/incidents/items?{query}"));
    let (_, second) = s.get_json(&format!("/collections/incidents/items?{query}&offset=2"));
    let matched = first["numberMatched"].as_u64().unwrap();
    assert!(matched > 2, "the box should need a second page: {first}");
    for (page, server) in [("items", &first), ("items_second_page", &second)] {
        let seen = &got[page];
        assert_eq!(seen["numberMatched"], matched, "{page}");
        assert_eq!(seen["numberReturned"], server["numberReturned"], "{page}");
        assert_eq!(seen["ids"], json!(ids(server)), "{page}");
        assert_eq!(seen["geometry_types"], json!(["Point"]), "{page}");
    }
    assert_eq!(
        got["items"]["rels"],
        json!([
            "self",
            "alternate",
            "alternate",
            "alternate",
            "alternate",
            "collection",
            "next"
        ])
    );
    assert_ne!(got["items"]["ids"], got["items_second_page"]["ids"]);

    // Features by id, plain and derived, exactly as the server serves them.
    let f = &got["features"]["incidents/10"];
    assert_eq!(f["id"], 10);
    assert_eq!(
        f["geometry"],
        json!({"type": "Point", "coordinates": [40.7703, 36.4757]})
    );
    assert_eq!(f["properties"]["place_id"], "al-zuhur");
    for key in [
        "places/al-zuhur",
        zone_key.as_str(),
        "displacement-origins/al-zuhur",
    ] {
        // "places/al-zuhur" is /collections/places/items/al-zuhur.
        let path = format!("/collections/{}", key.replacen('/', "/items/", 1));
        let (status, server) = s.get_json(&path);
        assert_eq!(status, 200, "{path}: {server}");
        let seen = &got["features"][key];
        assert_eq!(seen["id"], server["id"], "{key}");
        assert_eq!(seen["geometry"], server["geometry"], "{key}");
    }
    assert_eq!(
        got["features"]["places/al-zuhur"]["properties"]["name"],
        "al-Zuhur"
    );
    let zone_incidents = &got["features"][&zone_key]["properties"]["incident_count"];
    assert!(
        zone_incidents.as_u64().is_some_and(|n| n > 0),
        "{zone_incidents}"
    );
}

#[test]
fn geopandas_reads_every_collection_through_pyogrio() {
    if skipped(
        "geopandas/pyogrio (in the clients venv)",
        &venv_python(),
        "geopandas, pyogrio",
    ) {
        return;
    }
    let s = atlas();
    let ask = json!({
        "collections": COLLECTIONS,
        "bbox": COLLECTIONS.iter().map(|c| json!([c, BBOX])).collect::<Vec<_>>(),
        "geometries": [["incidents", 10], ["displacement-reports", 1], ["places", "al-zuhur"]],
    });
    let got = run_client(&venv_python(), "geopandas_client.py", &s.base, &ask);
    eprintln!(
        "geopandas {}, pyogrio {}, GDAL {}",
        got["version"], got["pyogrio"], got["gdal"]
    );

    for collection in COLLECTIONS {
        let all = answer(&s, collection, "");
        let layer = &got["layers"][collection];
        assert!(
            !features(&all).is_empty(),
            "{collection} should have features"
        );
        assert_eq!(layer["rows"], all["numberMatched"], "{collection}");
        assert_eq!(layer["ids"], json!(ids(&all)), "{collection}");
        assert_eq!(
            layer["geometry_types"],
            json!(geometry_types(&all)),
            "{collection}"
        );
        assert_eq!(layer["crs"], "OGC:CRS84", "{collection}");
        let in_box = answer(&s, collection, &bbox_query());
        assert_eq!(
            got["bbox"][collection]["rows"], in_box["numberMatched"],
            "{collection} bbox"
        );
        assert_eq!(
            got["bbox"][collection]["ids"],
            json!(ids(&in_box)),
            "{collection} bbox"
        );
    }
    // The box keeps some incidents out, so the bbox really reached the server.
    let in_box = got["bbox"]["incidents"]["rows"].as_u64().unwrap();
    assert!(0 < in_box && in_box < 16, "{in_box}");
    assert_eq!(
        got["layers"]["incidents"]["geometry_types"],
        json!(["Point"])
    );
    assert_eq!(
        got["layers"]["places"]["geometry_types"],
        json!(["Polygon"])
    );
    assert_eq!(
        got["layers"]["displacement-flows"]["geometry_types"],
        json!(["LineString"])
    );

    // Geometries arrive exactly as served.
    assert_eq!(
        got["geometries"]["incidents/10"],
        json!({"type": "Point", "coordinates": [40.7703, 36.4757]})
    );
    for (key, path) in [
        (
            "displacement-reports/1",
            "/collections/displacement-reports/items/1",
        ),
        ("places/al-zuhur", "/collections/places/items/al-zuhur"),
    ] {
        let (_, feature) = s.get_json(path);
        assert_eq!(got["geometries"][key], feature["geometry"], "{key}");
    }
}

#[test]
fn qgis_loads_every_collection_and_requests_by_bbox() {
    if skipped("QGIS (python3-qgis)", &qgis_python(), "qgis.core") {
        return;
    }
    let s = atlas();
    let fields = ["id", "event_date", "sub_event_type", "fatalities"];
    let ask = json!({
        "collections": COLLECTIONS,
        "bbox": [["incidents", BBOX], ["places", BBOX]],
        "paged": "incidents",
        "page_size": 5,
        "fields": fields,
    });
    let got = run_client(&qgis_python(), "qgis_client.py", &s.base, &ask);
    eprintln!("QGIS {}", got["version"]);

    for (collection, wkb_type) in [
        ("incidents", "Point"),
        ("places", "Polygon"),
        ("clash-zones", "Polygon"),
        ("displacement-reports", "Point"),
        ("displacement-flows", "LineString"),
        ("displacement-origins", "Polygon"),
    ] {
        let all = answer(&s, collection, "");
        let layer = &got["layers"][collection];
        assert_eq!(layer["valid"], true, "{collection}: {layer}");
        assert_eq!(layer["featureCount"], all["numberMatched"], "{collection}");
        assert_eq!(layer["features_read"], all["numberMatched"], "{collection}");
        assert_eq!(layer["wkbType"], wkb_type, "{collection}");
        assert_eq!(layer["crs"], "EPSG:4326", "{collection}");
        // String ids are also a property, so QGIS shows them as a field.
        if all["features"][0]["id"].is_string() {
            assert_eq!(layer["ids"], json!(ids(&all)), "{collection}");
        }
    }

    // QGIS sent the box and got exactly the server's incidents in it, at their coordinates.
    let describe = |fc: &Value| -> Value {
        features(fc)
            .iter()
            .map(|f| {
                json!({
                    "event_date": f["properties"]["event_date"],
                    "sub_event_type": f["properties"]["sub_event_type"],
                    "fatalities": f["properties"]["fatalities"],
                    "point": coordinates(f),
                })
            })
            .collect()
    };
    let seen = |features: &Value| -> Value {
        features
            .as_array()
            .expect("feature list")
            .iter()
            .map(|f| {
                let mut d = f["fields"].clone();
                d["point"] = f["point"].clone();
                d
            })
            .collect()
    };
    let in_box = answer(&s, "incidents", &bbox_query());
    assert!(features(&in_box).len() < 16);
    assert_eq!(seen(&got["bbox"]["incidents"]), describe(&in_box));
    let places: Vec<Value> = got["bbox"]["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fields"]["id"].clone())
        .collect();
    assert_eq!(
        json!(places),
        json!(ids(&answer(&s, "places", &bbox_query())))
    );

    // Pages of 5 (QGIS follows the next links): all 16 incidents, in the server's order.
    assert_eq!(seen(&got["paged"]), describe(&answer(&s, "incidents", "")));
}

/// OGC API – Features Part 2's `crs` parameter naming the one CRS served is accepted (GDAL ≥
/// 3.7 sends it, as pyogrio's bundled GDAL does), any other is a 400 naming `crs`.
#[test]
fn items_accept_crs_naming_crs84() {
    // EPSG has no code 999999: refused however many CRSs the server comes to support.
    const NO_SUCH_CRS: &str = "http://www.opengis.net/def/crs/EPSG/0/999999";
    let s = Server::start();
    let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    let (status, fc) = s.get_json(&format!(
        "/collections/incidents/items?limit=1000&crs={crs84}"
    ));
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["numberMatched"], 16);
    let next = format!(
        "/collections/incidents/items?limit=3&crs={crs84}&bbox-crs={crs84}{}",
        bbox_query()
    );
    let (status, fc) = s.get_json(&next);
    assert_eq!(status, 200, "{fc}");
    let next_link = fc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link");
    assert!(
        next_link["href"].as_str().unwrap().contains("crs="),
        "{next_link}"
    );
    let (status, body) = s.get_json(&format!("/collections/incidents/items?crs={NO_SUCH_CRS}"));
    assert_problem(status, &body, 400, "crs");
    // A single feature too.
    let (status, f) = s.get_json(&format!("/collections/incidents/items/10?crs={crs84}"));
    assert_eq!(status, 200, "{f}");
    assert_eq!(coordinates(&f), json!([40.7703, 36.4757]));
    let (status, body) = s.get_json(&format!(
        "/collections/places/items/al-zuhur?crs={NO_SUCH_CRS}"
    ));
    assert_problem(status, &body, 400, "crs");
    let (_, api) = s.get_json("/api");
    for path in [
        "/collections/incidents/items",
        "/collections/incidents/items/{featureId}",
    ] {
        let crs = api["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "crs")
            .unwrap_or_else(|| panic!("crs should be declared for {path} in /api"));
        let choices = crs["schema"]["enum"].as_array().expect("crs enum");
        assert!(choices.contains(&json!(crs84)), "{path}: {crs}");
    }
}
