//! Cases found in review: overflow, lost updates, antimeridian zones, contradictory input,
//! decomposed Unicode, computed-item links, 405s, and durability under load.
mod common;
use common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

#[test]
fn huge_offsets_neither_wrap_nor_crash() {
    let s = Server::start();
    let (st, fc) = s.get_json("/collections/incidents/items?offset=18446744073709551615&limit=10");
    assert_eq!(st, 200, "{fc}");
    assert_eq!(fc["numberReturned"], 0);
    assert!(
        !fc["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next"),
        "no next link back to the start"
    );
    let res = s
        .client()
        .post(s.url("/collections/incidents/search"))
        .json(&json!({"offset": u64::MAX, "limit": 10}))
        .send()
        .unwrap();
    let (st, fc) = json_of(res);
    assert_eq!(st, 200);
    assert!(!fc["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "next"));
    let (st, _) = s.get_json("/conformance");
    assert_eq!(st, 200, "server still up");
}

#[test]
fn concurrent_patches_of_different_fields_are_all_kept() {
    let s = Arc::new(Server::start());
    for round in 0..4 {
        let fields = [
            "notes",
            "source",
            "actor2",
            "assoc_actor_1",
            "source_url",
            "location",
        ];
        let handles: Vec<_> = fields
            .iter()
            .map(|f| {
                let s = s.clone();
                let value = if *f == "source_url" {
                    format!("https://example.org/{round}")
                } else {
                    format!("{f}-{round}")
                };
                let f = f.to_string();
                std::thread::spawn(move || {
                    let (st, body) = s.send_json(
                        reqwest::Method::PATCH,
                        "/collections/incidents/items/5",
                        &json!({"properties": {f.clone(): value}}),
                        Some(TOKEN),
                    );
                    assert_eq!(st, 200, "{body}");
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        let (_, f) = s.get_json("/collections/incidents/items/5");
        for field in fields {
            let expected = if field == "source_url" {
                format!("https://example.org/{round}")
            } else {
                format!("{field}-{round}")
            };
            assert_eq!(
                f["properties"][field], expected,
                "round {round}: {field} lost"
            );
        }
    }
}

fn battle_at(lon: f64, lat: f64) -> Value {
    let mut f = incident("x");
    f["properties"].as_object_mut().unwrap().remove("place");
    f["properties"]["location"] = json!("Open sea");
    f["geometry"] = json!({"type": "Point", "coordinates": [lon, lat]});
    f
}

#[test]
fn a_clash_zone_across_the_antimeridian_is_two_small_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_on(&tmp.path().join("a.sqlite"), &["--no-seed"], Some(TOKEN));
    let batch = json!({"type": "FeatureCollection", "features": [battle_at(179.999, 0.5), battle_at(-179.999, 0.5)]});
    let (st, body) = s.post("/collections/incidents/items", &batch);
    assert_eq!(st, 201, "{body}");
    let (_, fc) = s.get_json("/collections/clash-zones/items?bbox=179,0,-179,1");
    assert_eq!(fc["numberMatched"], 1);
    let zone = &fc["features"][0];
    assert_eq!(zone["geometry"]["type"], "MultiPolygon");
    for polygon in zone["geometry"]["coordinates"].as_array().unwrap() {
        let xs: Vec<f64> = polygon[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[0].as_f64().unwrap())
            .collect();
        let width = xs.iter().cloned().fold(f64::MIN, f64::max)
            - xs.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            width < 0.01,
            "a sliver at ±180, not a band round the world ({width}°)"
        );
    }
    let area = zone["properties"]["area_km2"].as_f64().unwrap();
    assert!((0.2..0.4).contains(&area), "{area}");
    let (_, atlantic) = s.get_json("/collections/clash-zones/items?bbox=0,0,1,1");
    assert_eq!(atlantic["numberMatched"], 0);
    // A search polygon drawn the long way round is refused, not misread.
    let wrap = json!({"intersects": {"type": "Polygon", "coordinates": [[[170, 0], [-170, 0], [-170, 1], [170, 1], [170, 0]]]}});
    let (st, body) = json_of(
        s.client()
            .post(s.url("/collections/incidents/search"))
            .json(&wrap)
            .send()
            .unwrap(),
    );
    assert_problem(st, &body, 400, "intersects");
}

#[test]
fn contradictory_or_incomplete_incidents_are_refused() {
    let s = Server::start();
    let (_, before) = s.get_json("/collections/incidents/items?limit=1");
    let mut ny = battle_at(-74.0, 40.7);
    ny["properties"]["place_id"] = json!("al-zuhur");
    let (st, body) = s.post("/collections/incidents/items", &ny);
    assert_problem(st, &body, 422, "/properties/place_id");
    let mut no_deaths = incident("al-Zuhur");
    no_deaths["properties"]
        .as_object_mut()
        .unwrap()
        .remove("fatalities");
    let (st, body) = s.post("/collections/incidents/items", &no_deaths);
    assert_problem(st, &body, 422, "/properties/fatalities");
    for date in ["0000-01-01", "-0001-01-01", "2022-1-2", "2999-01-01"] {
        let mut f = incident("al-Zuhur");
        f["properties"]["event_date"] = json!(date);
        let (st, body) = s.post("/collections/incidents/items", &f);
        assert_problem(st, &body, 422, "/properties/event_date");
    }
    let (st, body) = s.send_json(
        reqwest::Method::PATCH,
        "/collections/incidents/items/10",
        &json!({"properties": {"fatalities": null}}),
        Some(TOKEN),
    );
    assert_problem(st, &body, 422, "/properties/fatalities");
    let (_, after) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(after["numberMatched"], before["numberMatched"]);
}

#[test]
fn decomposed_accents_fold_like_composed_ones() {
    let s = Server::start();
    let (st, body) = s.post(
        "/collections/incidents/items",
        &incident("Ghwayra\u{0304}n"),
    );
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["properties"]["place_id"], "ghweiran");
    let (_, fc) = s.get_json("/geocode?q=al-Zuhu%CC%84r");
    assert_eq!(fc["features"][0]["id"], "al-zuhur");
    assert_eq!(fc["features"][0]["properties"]["score"], 1.0);
}

#[test]
fn report_patches_may_rename_places_and_dates() {
    let s = Server::start();
    let path = "/collections/displacement-reports/items/1";
    let (st, body) = s.send_json(reqwest::Method::PATCH, path, &json!({"properties": {"origin": "Ghweiran", "destination": "Qamishli", "date": "2022-01-25"}}), Some(TOKEN));
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["properties"]["origin_id"], "ghweiran");
    assert_eq!(body["properties"]["destination_id"], "qamishli");
    assert_eq!(body["properties"]["date_start"], "2022-01-25");
    assert_eq!(body["properties"]["date_end"], "2022-01-25");
    assert_eq!(body["properties"]["households"], 300, "untouched");
}

#[test]
fn computed_items_keep_their_parameters_and_405s_say_what_is_allowed() {
    let s = Server::start();
    let q = "cluster_distance_m=800&datetime=2022-01-20";
    let (_, fc) = s.get_json(&format!("/collections/clash-zones/items?{q}"));
    let zone = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|f| f["properties"]["incident_count"].as_u64())
        .unwrap();
    let (st, one) = s.get_json(&format!(
        "/collections/clash-zones/items/{}?{q}",
        zone["id"].as_str().unwrap()
    ));
    assert_eq!(st, 200, "{one}");
    let self_link = one["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, again) = json_of(s.client().get(&self_link).send().unwrap());
    assert_eq!(st, 200, "self link {self_link} must find the zone again");
    assert_eq!(again["properties"], one["properties"]);
    let (st, _) =
        s.get_json("/collections/displacement-origins/items/al-zuhur?datetime=2022-01-20");
    assert_eq!(st, 200);

    let res = s.get("/collections/incidents/search");
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = s.client().delete(s.url("/collections")).send().unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD");
}

#[test]
fn every_acknowledged_write_survives_kill_9_under_load() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("load.sqlite");
    let s = Arc::new(Server::start_on(&db, &["--no-seed"], Some(TOKEN)));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    // Sixteen writers: creates are committed in groups (one fsync for many).
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let (s, acked) = (s.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                for _ in 0..100 {
                    let req = s
                        .client()
                        .post(s.url("/collections/incidents/items"))
                        .bearer_auth(TOKEN)
                        .header("Content-Type", "application/geo+json")
                        .body(incident("al-Zuhur").to_string());
                    match req.send() {
                        Ok(res) if res.status() == 201 => {
                            let id = res.json::<Value>().ok().and_then(|b| b["id"].as_i64());
                            acked.lock().unwrap().extend(id);
                        }
                        _ => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "200 writes were not acknowledged within 2 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Other threads still hold the server: SIGKILL it by the pid it was started with.
    kill9_pid(s.pid());
    writers.into_iter().for_each(|w| w.join().unwrap());
    drop(s);
    let acked = acknowledged.lock().unwrap().clone();
    let s = Server::start_on(&db, &["--no-seed"], Some(TOKEN));
    let (_, all) = s.get_json("/collections/incidents/items?limit=10000");
    let stored: Vec<i64> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    for id in &acked {
        assert!(stored.contains(id), "acknowledged incident {id} lost");
    }
    assert!(acked.len() >= 200);
    let mut unique = acked.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        acked.len(),
        "two writes were given the same id"
    );
}

/// SIGKILL one process, by the pid the test started it with.
fn kill9_pid(pid: u32) {
    let status = std::process::Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -9 {pid} failed");
}

/// Served features are cached as bytes; an edit or a deletion must show at once in every
/// form a map reads (pages, bbox, a single item).
#[test]
fn edited_and_deleted_incidents_are_never_served_stale() {
    let s = Server::start();
    let page = "/collections/incidents/items?bbox=40.70,36.40,40.80,36.55&limit=100";
    // Serve everything twice, so the cache holds every feature.
    for _ in 0..2 {
        let (st, fc) = s.get_json(page);
        assert_eq!(st, 200);
        assert_eq!(fc["numberMatched"], 16);
    }
    let (st, body) = s.send_json(
        reqwest::Method::PATCH,
        "/collections/incidents/items/10",
        &json!({"properties": {"notes": "Edited after it was served", "fatalities": 5}}),
        Some(TOKEN),
    );
    assert_eq!(st, 200, "{body}");
    let (_, fc) = s.get_json(page);
    let ten = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == 10)
        .expect("incident 10");
    assert_eq!(ten["properties"]["notes"], "Edited after it was served");
    assert_eq!(ten["properties"]["fatalities"], 5);
    let (_, one) = s.get_json("/collections/incidents/items/10");
    assert_eq!(one["properties"]["fatalities"], 5);

    let res = s
        .client()
        .delete(s.url("/collections/incidents/items/10"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, fc) = s.get_json(page);
    assert_eq!(fc["numberMatched"], 15);
    assert!(!ids(&fc).contains(&json!(10)));
    assert_eq!(s.get("/collections/incidents/items/10").status(), 404);
}
