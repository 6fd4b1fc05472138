//! The command line: import (GeoJSON, ACLED CSV), export, and extra gazetteers for any region.
mod common;
use common::*;
use serde_json::{json, Value};
use std::process::Command;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = output_within(
        Command::new(BIN).args(args).env("RUST_LOG", "warn"),
        std::time::Duration::from_secs(300),
    )
    .expect("run incident-atlas");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn imports_acled_csv_and_exports_it_back_in_acled_column_order() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a.sqlite");
    let db_s = db.to_str().unwrap();
    let (ok, _, err) = run(&["import", &fixture("acled-sample.csv"), "--db", db_s]);
    assert!(ok, "{err}");
    assert!(err.contains("imported 3 incidents"), "{err}");

    let (ok, csv, err) = run(&["export", "--format", "csv", "--db", db_s]);
    assert!(ok, "{err}");
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp"), "{header}");
    assert_eq!(lines.count(), 3);

    // Served: coordinates kept, place from the containing gazetteer area, ACLED admin names kept.
    let s = Server::start_on(&db, &["--no-seed"], None);
    let (_, fc) = s.get_json("/collections/incidents/items?event_id_cnty=TEST0001");
    let f = &fc["features"][0];
    assert_eq!(f["geometry"]["coordinates"], json!([40.7703, 36.4757]));
    assert_eq!(f["properties"]["place_id"], "al-zuhur");
    assert_eq!(f["properties"]["placement"], "coordinates");
    let (_, fc) = s.get_json("/collections/incidents/items?event_id_cnty=TEST0003");
    let f = &fc["features"][0];
    assert_eq!(
        f["properties"]["location"], "Ar-Raqqa",
        "outside the gazetteer the given location stays"
    );
    assert_eq!(f["properties"]["place_id"], Value::Null);
    assert_eq!(f["properties"]["admin1"], "Ar-Raqqa");
    let (_, fc) = s.get_json("/collections/incidents/items?event_id_cnty=TEST0002");
    assert_eq!(
        fc["features"][0]["properties"]["tags"],
        json!(["detainees=12"])
    );
}

#[test]
fn geojson_export_reimports_to_the_same_points() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("seeded.sqlite");
    drop(Server::start_on(&db, &[], None)); // seeds the scenario
    let (ok, geojson, err) = run(&["export", "--db", db.to_str().unwrap()]);
    assert!(ok, "{err}");
    let exported: Value = serde_json::from_str(&geojson).unwrap();
    assert_eq!(exported["features"].as_array().unwrap().len(), 16);
    let file = tmp.path().join("export.geojson");
    std::fs::write(&file, &geojson).unwrap();
    let db2 = tmp.path().join("copy.sqlite");
    let (ok, _, err) = run(&[
        "import",
        file.to_str().unwrap(),
        "--db",
        db2.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (_, again, _) = run(&["export", "--db", db2.to_str().unwrap()]);
    let again: Value = serde_json::from_str(&again).unwrap();
    for (a, b) in exported["features"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again["features"].as_array().unwrap())
    {
        assert_eq!(a["geometry"], b["geometry"]);
        for k in [
            "place_id",
            "placement",
            "event_type",
            "fatalities",
            "notes",
            "location",
        ] {
            assert_eq!(a["properties"][k], b["properties"][k], "{k}");
        }
    }
}

#[test]
fn a_bad_import_stores_nothing_and_says_where() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.csv");
    let good = std::fs::read_to_string(fixture("acled-sample.csv")).unwrap();
    std::fs::write(&bad, good.replace("Armed clash", "Armed clashes")).unwrap();
    let db = tmp.path().join("b.sqlite");
    let (ok, _, err) = run(&[
        "import",
        bad.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("line 2/sub_event_type"), "{err}");
    assert!(err.contains("nothing imported"), "{err}");
    // A rejected import into a new file leaves no file behind.
    assert!(!db.exists(), "no database is left by a rejected import");
    let (ok, _, err) = run(&["export", "--db", db.to_str().unwrap()]);
    assert!(!ok && err.contains("no database"), "{err}");
}

#[test]
fn extra_gazetteers_serve_any_region() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("g.sqlite");
    let (geonames, testland) = (fixture("geonames-sample.txt"), fixture("testland.geojson"));
    let s = Server::start_on(
        &db,
        &["--gazetteer", &geonames, "--gazetteer", &testland],
        Some(TOKEN),
    );
    let (_, fc) = s.get_json("/geocode?q=Raqqa");
    assert_eq!(fc["features"][0]["id"], "geonames:163915");
    assert_eq!(
        fc["features"][0]["geometry"]["coordinates"],
        json!([39.00788, 35.95283])
    );
    let (_, fc) = s.get_json("/geocode?q=%D8%AF%D9%8A%D8%B1%20%D8%A7%D9%84%D8%B2%D9%88%D8%B1");
    assert_eq!(fc["features"][0]["id"], "geonames:170794");
    // A point in the custom region is placed in its polygon, with its admin names.
    let mut f = incident("ignored");
    f["geometry"] = json!({"type": "Point", "coordinates": [10.01, 50.01]});
    f["properties"].as_object_mut().unwrap().remove("place");
    let (st, created) = s.post("/collections/incidents/items", &f);
    assert_eq!(st, 201, "{created}");
    assert_eq!(created["properties"]["place_id"], "testland-old-town");
    assert_eq!(created["properties"]["admin1"], "North Province");
    assert_eq!(created["properties"]["country"], "Testland");
    drop(s);

    // Without the embedded gazetteer, nothing is seeded and Hasakah names are unknown.
    let db = tmp.path().join("only.sqlite");
    let s = Server::start_on(
        &db,
        &["--no-default-gazetteer", "--gazetteer", &testland],
        Some(TOKEN),
    );
    let (_, fc) = s.get_json("/collections/incidents/items");
    assert_eq!(fc["numberMatched"], 0);
    let (_, places) = s.get_json("/collections/places/items");
    assert_eq!(places["numberMatched"], 1);
    let (st, body) = s.post("/collections/incidents/items", &incident("Altstadt"));
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["properties"]["location"], "Old Town");
}

#[test]
fn a_broken_gazetteer_stops_start_up_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.geojson");
    std::fs::write(&bad, r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"X","kind":"castle"}}]}"#).unwrap();
    let (ok, _, err) = run(&[
        "serve",
        "--gazetteer",
        bad.to_str().unwrap(),
        "--db",
        tmp.path().join("c.sqlite").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("unknown kind 'castle'"), "{err}");
}

#[test]
fn generated_incidents_are_deterministic_and_import_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, a, err) = run(&["generate", "--count", "300", "--seed", "9"]);
    assert!(ok, "{err}");
    let (_, b, _) = run(&["generate", "--count", "300", "--seed", "9"]);
    assert!(a == b, "same seed, same output");
    let file = tmp.path().join("gen.geojson");
    std::fs::write(&file, &a).unwrap();
    let db = tmp.path().join("gen.sqlite");
    let (ok, _, err) = run(&[
        "import",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let s = Server::start_on(&db, &["--no-seed"], None);
    let (_, fc) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(fc["numberMatched"], 300);
    let (ok, csv, _) = run(&["generate", "--count", "5", "--format", "csv"]);
    assert!(ok);
    assert_eq!(csv.lines().count(), 6, "header and five rows");
}

/// Large imports are converted on several threads in chunks: ids still follow the file's
/// order, and a problem in a late chunk rolls every earlier chunk back.
#[test]
fn chunked_imports_keep_file_order_and_stay_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, csv, _) = run(&[
        "generate", "--count", "10000", "--format", "csv", "--seed", "5",
    ]);
    assert!(ok);
    let good = tmp.path().join("good.csv");
    std::fs::write(&good, &csv).unwrap();
    let db = tmp.path().join("c.sqlite");
    let (ok, _, err) = run(&[
        "import",
        good.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("imported 10000 incidents"), "{err}");
    let (ok, exported, _) = run(&["export", "--db", db.to_str().unwrap(), "--format", "csv"]);
    assert!(ok);
    let read = |text: &str| -> Vec<(String, String)> {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let h = r.headers().unwrap().clone();
        let col = |name: &str| h.iter().position(|c| c == name).unwrap();
        let (notes, date) = (col("notes"), col("event_date"));
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (rec[date].to_owned(), rec[notes].to_owned())
            })
            .collect()
    };
    assert_eq!(read(&exported), read(&csv), "ids follow the file's order");

    // A bad row near the end of a second file: nothing of it is stored.
    let mut lines: Vec<&str> = csv.lines().collect();
    let n = (0..lines.len())
        .rev()
        .find(|&n| lines[n].contains(",Explosions/Remote violence,"))
        .unwrap();
    assert!(n > 9000, "a row in the last chunk: {n}");
    let broken = lines[n].replacen(",Explosions/Remote violence,", ",Explosions,", 1);
    lines[n] = &broken;
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, _, err) = run(&[
        "import",
        bad.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("nothing imported"), "{err}");
    assert!(err.contains("event_type"), "{err}");
    let (_, after, _) = run(&["export", "--db", db.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(
        read(&after).len(),
        10000,
        "the rejected file left nothing behind"
    );
}

/// The self link of the landing page: where `public-url` shows.
fn landing_self(s: &Server) -> String {
    let (status, landing) = s.get_json("/");
    assert_eq!(status, 200);
    landing["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["rel"] == "self"))
        .and_then(|l| l["href"].as_str())
        .expect("a self link")
        .to_owned()
}

#[test]
fn a_config_file_sets_flags_and_flags_and_environment_win_over_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("atlas.toml");
    // `bind` would make the server unreachable: the harness's own --bind must win over it.
    // The [import] table is import's alone.
    std::fs::write(
        &config,
        "bind = \"127.0.0.1:1\"\npublic-url = \"https://file.example.org\"\n\
         max-exports = 3\n\n[import]\nformat = \"csv\"\n",
    )
    .expect("config written");
    let config = config.to_str().expect("UTF-8 path");
    let db = dir.path().join("atlas.sqlite");

    let s = Server::start_on(&db, &["--config", config], None);
    assert_eq!(landing_self(&s), "https://file.example.org/");
    drop(s);

    let env = [("ATLAS_PUBLIC_URL", "https://env.example.org")];
    let s = Server::start_with_env(&db, &["--config", config], None, &env);
    assert_eq!(landing_self(&s), "https://env.example.org/");
    drop(s);

    let flags = [
        "--config",
        config,
        "--public-url",
        "https://flag.example.org",
    ];
    let s = Server::start_with_env(&db, &flags, None, &env);
    assert_eq!(landing_self(&s), "https://flag.example.org/");
    drop(s);

    // ATLAS_CONFIG names the file as --config does.
    let env = [("ATLAS_CONFIG", config)];
    let s = Server::start_with_env(&db, &[], None, &env);
    assert_eq!(landing_self(&s), "https://file.example.org/");
}

#[test]
fn a_config_file_with_an_unknown_setting_or_a_bad_value_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "max-exports = 2\nbogus = true\n").expect("written");
    let (ok, _, err) = run(&["serve", "--config", unknown.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("'bogus' is not a setting of `serve`"), "{err}");

    // A key of another command, in this command's table.
    let misplaced = dir.path().join("misplaced.toml");
    std::fs::write(&misplaced, "[serve]\nformat = \"csv\"\n").expect("written");
    let (ok, _, err) = run(&["serve", "--config", misplaced.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("'format' is not a setting of `serve`"),
        "{err}"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "max-exports = \"many\"\n").expect("written");
    let (ok, _, err) = run(&["serve", "--config", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("'many'") && err.contains("--max-exports"),
        "{err}"
    );
    assert!(err.contains(bad.to_str().unwrap()), "names the file: {err}");

    let (ok, _, err) = run(&["serve", "--config", "/nonexistent/atlas.toml"]);
    assert!(!ok);
    assert!(err.contains("cannot read /nonexistent/atlas.toml"), "{err}");
}

/// GeoJSON is streamed feature by feature, as a FeatureCollection (its members in any order)
/// or a GeoJSON text sequence, in chunks on every core: ids follow the file, and a bad
/// feature in a late chunk, named by its place in the file, rolls everything back.
#[test]
fn geojson_imports_stream_collections_and_text_sequences() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, geojson, _) = run(&[
        "generate", "--count", "10000", "--format", "geojson", "--seed", "9",
    ]);
    assert!(ok);
    let fc: serde_json::Value = serde_json::from_str(&geojson).unwrap();
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 10000);
    let import = |name: &str, text: &str, db: &str| {
        let file = tmp.path().join(name);
        std::fs::write(&file, text).unwrap();
        let db = tmp.path().join(db);
        let (ok, _, err) = run(&[
            "import",
            file.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ]);
        (ok, err, db)
    };
    let notes = |db: &std::path::Path| -> Vec<String> {
        let (ok, out, _) = run(&["export", "--db", db.to_str().unwrap()]);
        assert!(ok);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["notes"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let wanted: Vec<String> = features
        .iter()
        .map(|f| f["properties"]["notes"].as_str().unwrap_or("").to_owned())
        .collect();

    // The features array first, the type after it: read all the same.
    let reordered = format!(
        r#"{{"features": {}, "name": "generated", "type": "FeatureCollection"}}"#,
        fc["features"]
    );
    let (ok, err, db) = import("reordered.json", &reordered, "a.sqlite");
    assert!(ok && err.contains("imported 10000 incidents"), "{err}");
    assert_eq!(notes(&db), wanted, "ids follow the file's order");

    // RFC 8142: each Feature after a record separator, detected from the first byte.
    let seq: String = features.iter().map(|f| format!("\u{1e}{f}\n")).collect();
    let (ok, err, db) = import("features.txt", &seq, "b.sqlite");
    assert!(ok && err.contains("imported 10000 incidents"), "{err}");
    assert_eq!(notes(&db), wanted);

    // One bad feature near the end: named, and nothing is stored.
    let mut broken = features.clone();
    broken[9876]["properties"]["event_type"] = "Explosions".into();
    let bad = serde_json::json!({"type": "FeatureCollection", "features": broken}).to_string();
    let (ok, err, db) = import("bad.geojson", &bad, "c.sqlite");
    assert!(!ok && err.contains("nothing imported"), "{err}");
    assert!(
        err.contains("/features/9876/properties/event_type"),
        "{err}"
    );
    assert!(!db.exists(), "a rejected import leaves no database");
    // A file cut short is refused the same way.
    let (ok, err, _) = import("cut.geojson", &geojson[..geojson.len() / 2], "d.sqlite");
    assert!(!ok && err.contains("not JSON"), "{err}");
}
