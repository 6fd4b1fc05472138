//! Clash zones and displacement layers: on the shipped scenario and on synthetic data with
//! known answers.
mod common;
use common::*;
use serde_json::{json, Value};

/// Signed shoelace area of a ring (positive = counter-clockwise in lon/lat).
fn signed_area(ring: &[Value]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum::<f64>()
        / 2.0
}

/// Polygons of a Polygon or MultiPolygon geometry, checked closed and RFC 7946-wound.
fn polygons(g: &Value) -> Vec<Vec<Vec<Value>>> {
    let polys: Vec<Value> = match g["type"].as_str().unwrap() {
        "Polygon" => vec![g["coordinates"].clone()],
        "MultiPolygon" => g["coordinates"].as_array().unwrap().clone(),
        other => panic!("not a polygon: {other}"),
    };
    polys
        .iter()
        .map(|p| {
            let rings: Vec<Vec<Value>> = p
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_array().unwrap().clone())
                .collect();
            for (n, ring) in rings.iter().enumerate() {
                assert!(ring.len() >= 4, "ring too short");
                assert_eq!(ring.first(), ring.last(), "ring not closed");
                let area = signed_area(ring);
                if n == 0 {
                    assert!(area > 0.0, "exterior ring must be counter-clockwise");
                } else {
                    assert!(area < 0.0, "holes must be clockwise");
                }
            }
            rings
        })
        .collect()
}

/// Point-in-polygon (ray casting) on the exterior rings.
fn inside(polys: &[Vec<Vec<Value>>], lon: f64, lat: f64) -> bool {
    polys.iter().any(|rings| {
        let ring = &rings[0];
        let mut inside = false;
        for w in ring.windows(2) {
            let (x1, y1) = (w[0][0].as_f64().unwrap(), w[0][1].as_f64().unwrap());
            let (x2, y2) = (w[1][0].as_f64().unwrap(), w[1][1].as_f64().unwrap());
            if (y1 > lat) != (y2 > lat) && lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1 {
                inside = !inside;
            }
        }
        inside
    })
}

fn clash(place: &str, date: &str, fatalities: u32) -> Value {
    let mut f = incident(place);
    f["properties"]["event_date"] = json!(date);
    f["properties"]["fatalities"] = json!(fatalities);
    f
}

fn at(lon: f64, lat: f64, date: &str) -> Value {
    let mut f = clash("x", date, 1);
    f["properties"].as_object_mut().unwrap().remove("place");
    f["geometry"] = json!({"type": "Point", "coordinates": [lon, lat]});
    f
}

#[test]
fn shipped_fighting_forms_one_zone_around_the_prison() {
    let s = Server::start();
    let (st, fc) = s.get_json("/collections/clash-zones/items");
    assert_eq!(st, 200, "{fc}");
    assert_eq!(fc["numberMatched"], 1, "{fc}");
    let zone = &fc["features"][0];
    let polys = polygons(&zone["geometry"]);
    assert!(inside(&polys, 40.7625, 36.4775), "prison inside the zone");
    let p = &zone["properties"];
    // Every Battles / Explosions incident of the scenario: none is coded to a city centroid.
    let (_, fighting) = s.get_json("/collections/incidents/items?limit=100");
    let members: Vec<&Value> = fighting["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            ["Battles", "Explosions/Remote violence"]
                .contains(&f["properties"]["event_type"].as_str().unwrap())
        })
        .collect();
    assert_eq!(p["incident_count"], members.len());
    let deaths: u64 = members
        .iter()
        .map(|f| f["properties"]["fatalities"].as_u64().unwrap())
        .sum();
    assert_eq!(p["fatalities"], deaths);
    assert_eq!(p["intensity"], "severe");
    assert_eq!(p["first_event_date"], "2022-01-20");
    assert_eq!(p["last_event_date"], "2022-01-21");
    let places: Vec<&str> = p["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    for id in [
        "al-sinaa-prison",
        "ghweiran",
        "al-zuhur",
        "ghweiran-cemetery",
    ] {
        assert!(places.contains(&id), "{id} in {places:?}");
    }
    assert!(
        !places.contains(&"al-hasakah"),
        "coarse containers are not listed"
    );
    let mut ids: Vec<i64> = p["incident_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let mut expected: Vec<i64> = members.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);

    // The same zone by id, and the same id on every request.
    let id = zone["id"].as_str().unwrap();
    let (st, one) = s.get_json(&format!("/collections/clash-zones/items/{id}"));
    assert_eq!(st, 200);
    assert_eq!(one["properties"]["incident_count"], p["incident_count"]);

    // Outside those days there is nothing; on the first day only its incidents.
    let (_, later) = s.get_json("/collections/clash-zones/items?datetime=2022-02-01/..");
    assert_eq!(later["numberMatched"], 0);
    let (_, first_day) = s.get_json("/collections/clash-zones/items?datetime=2022-01-20");
    let n: u64 = first_day["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["incident_count"].as_u64().unwrap())
        .sum();
    let on_20th = members
        .iter()
        .filter(|f| f["properties"]["event_date"] == "2022-01-20")
        .count() as u64;
    assert_eq!(n, on_20th);
    // A smaller distance splits off Villat al-Humr (about 1.2 km from its nearest neighbour).
    let (_, fine) = s.get_json("/collections/clash-zones/items?cluster_distance_m=800");
    assert!(
        fine["numberMatched"].as_u64().unwrap() >= 2,
        "{}",
        fine["numberMatched"]
    );
}

#[test]
fn synthetic_groups_low_precision_and_cache_invalidation() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_on(&tmp.path().join("z.sqlite"), &["--no-seed"], Some(TOKEN));
    // Two groups 40 km apart (Hasakah prison area and al-Hol camp), 3 incidents each.
    let batch = json!({"type": "FeatureCollection", "features": [
        at(40.7625, 36.4775, "2023-05-01"), at(40.7650, 36.4780, "2023-05-01"), at(40.7600, 36.4790, "2023-05-02"),
        at(41.1486, 36.3756, "2023-05-01"), at(41.1500, 36.3760, "2023-05-01"), at(41.1470, 36.3750, "2023-05-03"),
    ]});
    let (st, body) = s.post("/collections/incidents/items", &batch);
    assert_eq!(st, 201, "{body}");
    let (_, fc) = s.get_json("/collections/clash-zones/items");
    assert_eq!(fc["numberMatched"], 2);
    for f in fc["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["incident_count"], 3);
        assert_eq!(f["properties"]["intensity"], "moderate");
        polygons(&f["geometry"]);
    }
    let before: Vec<Value> = ids(&fc);

    // A clash coded only to the city centroid does not make or grow a zone by default.
    let (st, body) = s.post(
        "/collections/incidents/items",
        &clash("al-Hasakah", "2023-05-01", 5),
    );
    assert_eq!(st, 201, "{body}");
    let (_, fc) = s.get_json("/collections/clash-zones/items");
    assert_eq!(ids(&fc), before, "low-precision incident excluded");
    let (_, inc) =
        s.get_json("/collections/clash-zones/items?low_precision=include&cluster_distance_m=5000");
    let total: u64 = inc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["incident_count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 7, "included on request");

    // A new member changes the zone's id (the cache is dropped with the old snapshot).
    let (st, body) = s.post(
        "/collections/incidents/items",
        &at(41.1490, 36.3755, "2023-05-04"),
    );
    assert_eq!(st, 201, "{body}");
    let (_, fc) = s.get_json("/collections/clash-zones/items");
    let after = ids(&fc);
    assert_eq!(after.len(), 2);
    assert_eq!(
        after.iter().filter(|id| before.contains(id)).count(),
        1,
        "one zone unchanged, one new"
    );

    // min_incidents drops a lone incident; bbox selects zones.
    let mut lone = at(40.0, 36.0, "2023-05-01");
    lone["properties"]["location"] = json!("Desert point"); // outside every gazetteer area
    let (st, body) = s.post("/collections/incidents/items", &lone);
    assert_eq!(st, 201, "{body}");
    let (_, fc) = s.get_json("/collections/clash-zones/items");
    assert_eq!(
        fc["numberMatched"], 3,
        "a single incident still makes a small zone"
    );
    let (_, fc) = s.get_json("/collections/clash-zones/items?min_incidents=2");
    assert_eq!(fc["numberMatched"], 2);
    let (_, fc) = s.get_json("/collections/clash-zones/items?bbox=41.0,36.3,41.3,36.5");
    assert_eq!(fc["numberMatched"], 1);
    assert_eq!(fc["features"][0]["properties"]["incident_count"], 4);
    let (_, fc) = s.get_json("/collections/clash-zones/items?event_types=Protests");
    assert_eq!(fc["numberMatched"], 0);
}

#[test]
fn clash_zone_parameters_are_checked() {
    let s = Server::start();
    for (query, field) in [
        ("cluster_distance_m=abc", "cluster_distance_m"),
        ("cluster_distance_m=0", "cluster_distance_m"),
        ("min_incidents=0", "min_incidents"),
        ("buffer_m=-5", "buffer_m"),
        ("event_types=Fights", "event_types"),
        ("low_precision=maybe", "low_precision"),
        ("near=40.7,36.4&radius=100", "near"),
        ("frobnicate=1", "frobnicate"),
    ] {
        let (st, body) = s.get_json(&format!("/collections/clash-zones/items?{query}"));
        assert_problem(st, &body, 400, field);
    }
    let (_, api) = s.get_json("/api");
    let params: Vec<&str> = api["paths"]["/collections/clash-zones/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "cluster_distance_m",
        "min_incidents",
        "buffer_m",
        "event_types",
        "low_precision",
        "datetime",
        "bbox",
        "intensity",
    ] {
        assert!(params.contains(&p), "{p} not declared: {params:?}");
    }
}

fn report(origin: &str, destination: Option<&str>, date: &str, households: u32) -> Value {
    json!({"type": "Feature", "geometry": null, "properties": {
        "date": date, "origin": origin, "destination": destination, "households": households,
        "individuals": households * 5, "source": "Test"}})
}

#[test]
fn shipped_displacement_is_by_origin_with_unknown_destination() {
    let s = Server::start();
    let (_, origins) = s.get_json("/collections/displacement-origins/items");
    let zuhur = origins["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "al-zuhur")
        .expect("al-Zuhur origin");
    assert_eq!(zuhur["properties"]["households"], 300);
    assert_eq!(zuhur["properties"]["households_low"], 200);
    assert_eq!(zuhur["properties"]["unknown_destination_reports"], 1);
    assert_eq!(zuhur["properties"]["destinations"], json!([]));
    polygons(&zuhur["geometry"]);
    let (_, flows) = s.get_json("/collections/displacement-flows/items");
    assert_eq!(
        flows["numberMatched"], 0,
        "no destination was reported, so no line is drawn"
    );
    let (_, reports) = s.get_json("/collections/displacement-reports/items?datetime=2022-01-21");
    assert_eq!(reports["numberMatched"], 2, "both overlap 21 January");
    let (_, reports) = s.get_json("/collections/displacement-reports/items?datetime=2022-01-20");
    assert_eq!(reports["numberMatched"], 1);
}

#[test]
fn flows_run_from_origin_anchor_to_destination_anchor_with_sums() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_on(&tmp.path().join("d.sqlite"), &["--no-seed"], Some(TOKEN));
    let batch = json!({"type": "FeatureCollection", "features": [
        report("al-Zuhour", Some("Tal Hajar"), "2022-01-22", 40),
        report("حي الزهور", Some("tal hajar"), "2022-01-23/2022-01-24", 60),
        report("Ghweiran", Some("al-Hol camp"), "2022-01-25", 10),
        report("Ghweiran", None, "2022-01-25", 7),
    ]});
    let (st, body) = s.post("/collections/displacement-reports/items", &batch);
    assert_eq!(st, 201, "{body}");
    let (_, flows) = s.get_json("/collections/displacement-flows/items");
    assert_eq!(flows["numberMatched"], 2);
    let f = flows["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "al-zuhur~tal-hajar")
        .unwrap();
    assert_eq!(
        f["geometry"],
        json!({"type": "LineString", "coordinates": [[40.7703, 36.4757], [40.7477, 36.5159]]})
    );
    assert_eq!(f["properties"]["households"], 100);
    assert_eq!(f["properties"]["individuals"], 500);
    assert_eq!(f["properties"]["report_count"], 2);
    assert_eq!(f["properties"]["first_date"], "2022-01-22");
    assert_eq!(f["properties"]["last_date"], "2022-01-24");
    assert_eq!(f["properties"]["destination_name"], "Tal Hajar");
    // A window holding only the first report.
    let (_, flows) = s.get_json("/collections/displacement-flows/items?datetime=2022-01-22");
    assert_eq!(flows["numberMatched"], 1);
    assert_eq!(flows["features"][0]["properties"]["households"], 40);

    let (_, origins) = s.get_json("/collections/displacement-origins/items?origin_id=ghweiran");
    let g = &origins["features"][0]["properties"];
    assert_eq!(g["households"], 17);
    assert_eq!(g["unknown_destination_reports"], 1);
    assert_eq!(g["destinations"][0]["id"], "al-hol-camp");
    assert_eq!(g["destinations"][0]["households"], 10);
}

#[test]
fn displacement_reports_are_validated_and_written_like_incidents() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("w.sqlite");
    let s = Server::start_on(&db, &["--no-seed"], Some(TOKEN));
    let path = "/collections/displacement-reports/items";
    let (st, body) = s.post(path, &report("Atlantis", None, "2022-01-22", 3));
    assert_problem(st, &body, 422, "/properties/origin");
    assert!(body["candidates"].is_array());
    let (st, body) = s.post(path, &report("the villas", None, "2022-01-22", 3));
    assert_problem(st, &body, 422, "/properties/origin");
    assert_eq!(body["candidates"].as_array().unwrap().len(), 2);
    let mut negative = report("al-Zuhur", None, "2022-01-22", 3);
    negative["properties"]["households"] = json!(-3);
    let (st, body) = s.post(path, &negative);
    assert_problem(st, &body, 422, "/properties/households");
    let mut range = report("al-Zuhur", None, "2022-01-22", 3);
    range["properties"]["households_low"] = json!(10);
    let (st, body) = s.post(path, &range);
    assert_problem(st, &body, 422, "/properties/households_low");
    let (st, body) = s.post(path, &report("al-Zuhur", None, "2022-01-24/2022-01-22", 3));
    assert_problem(st, &body, 422, "/properties/date_end");
    let (st, body) = s.send_json(
        reqwest::Method::POST,
        path,
        &report("al-Zuhur", None, "2022-01-22", 3),
        Some("wrong"),
    );
    assert_problem(st, &body, 401, "");
    let (_, all) = s.get_json(path);
    assert_eq!(all["numberMatched"], 0, "nothing stored by rejected writes");

    let (st, created) = s.post(path, &report("al-Zuhur", None, "2022-01-22", 3));
    assert_eq!(st, 201, "{created}");
    let id = created["id"]
        .as_i64()
        .expect("report ids are numbers, as incident ids are");
    assert_eq!(
        created["geometry"]["coordinates"],
        json!([40.7703, 36.4757])
    );
    let (st, patched) = s.send_json(
        reqwest::Method::PATCH,
        &format!("{path}/{id}"),
        &json!({"properties": {"destination_id": "tal-hajar"}}),
        Some(TOKEN),
    );
    assert_eq!(st, 200, "{patched}");
    assert_eq!(patched["properties"]["destination_name"], "Tal Hajar");
    assert_eq!(
        patched["properties"]["households"], 3,
        "untouched by the patch"
    );
    s.kill9();

    let s = Server::start_on(&db, &["--no-seed"], Some(TOKEN));
    let (st, again) = s.get_json(&format!("{path}/{id}"));
    assert_eq!(st, 200, "report survives kill -9");
    assert_eq!(again["properties"]["destination_id"], "tal-hajar");
    let (st, _) = s.send_json(
        reqwest::Method::DELETE,
        &format!("{path}/{id}"),
        &json!({}),
        Some(TOKEN),
    );
    assert_eq!(st, 204);
    let (st, body) = s.get_json(&format!("{path}/{id}"));
    assert_problem(st, &body, 404, "");
    let (st, body) = s.send_json(
        reqwest::Method::POST,
        "/collections/displacement-flows/items",
        &report("al-Zuhur", None, "2022-01-22", 3),
        Some(TOKEN),
    );
    assert_problem(st, &body, 405, "");
}
