//! Radius, nearest-k, polygon search and reverse geocoding against independently computed
//! answers.
mod common;
use common::*;
use serde_json::{json, Value};

fn all_incidents(s: &Server) -> Vec<(i64, (f64, f64), Value)> {
    let (_, fc) = s.get_json("/collections/incidents/items?limit=10000");
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                f["id"].as_i64().unwrap(),
                (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()),
                f["properties"].clone(),
            )
        })
        .collect()
}

const PRISON: (f64, f64) = (40.7625, 36.4775);

#[test]
fn near_returns_everything_within_the_radius_nearest_first() {
    let s = Server::start();
    let all = all_incidents(&s);
    for radius in [300.0, 900.0, 5_000.0] {
        let expected: Vec<i64> = all
            .iter()
            .filter(|(_, p, _)| haversine(PRISON, *p) <= radius)
            .map(|(id, _, _)| *id)
            .collect();
        // No scenario point sits within 1% of these radii, so haversine and geodesic agree.
        assert!(all
            .iter()
            .all(|(_, p, _)| (haversine(PRISON, *p) - radius).abs() > radius * 0.01));
        let (status, fc) = s.get_json(&format!(
            "/collections/incidents/items?near=40.7625,36.4775&radius={radius}"
        ));
        assert_eq!(status, 200);
        assert_eq!(fc["numberMatched"], expected.len(), "radius {radius}");
        let mut got: Vec<i64> = ids(&fc).iter().map(|v| v.as_i64().unwrap()).collect();
        let distances: Vec<f64> = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
            .collect();
        assert!(
            distances.windows(2).all(|w| w[0] <= w[1]),
            "nearest first: {distances:?}"
        );
        for f in fc["features"].as_array().unwrap() {
            let c = &f["geometry"]["coordinates"];
            let d = haversine(PRISON, (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()));
            let served = f["properties"]["distance_m"].as_f64().unwrap();
            assert!(
                (served - d).abs() <= d * 0.006 + 0.01,
                "distance_m {served} vs haversine {d}"
            );
        }
        got.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(got, expected);
    }
    // Al-Zuhur's anchor is about 730 m from the prison.
    let (_, fc) = s.get_json(
        "/collections/incidents/items?near=40.7625,36.4775&radius=900&place_id=al-zuhur&limit=1",
    );
    let d = fc["features"][0]["properties"]["distance_m"]
        .as_f64()
        .unwrap();
    assert!((700.0..760.0).contains(&d), "{d}");
}

#[test]
fn nearest_k_matches_a_brute_force_ranking() {
    let s = Server::start();
    let all = all_incidents(&s);
    let from = (40.775, 36.47);
    let mut ranked: Vec<(f64, i64)> = all
        .iter()
        .map(|(id, p, _)| (haversine(from, *p), *id))
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (_, fc) = s.get_json("/collections/incidents/items?nearest=40.775,36.47&k=5");
    let got: Vec<i64> = ids(&fc).iter().map(|v| v.as_i64().unwrap()).collect();
    let expected: Vec<i64> = ranked.iter().take(5).map(|r| r.1).collect();
    assert_eq!(got, expected);
    assert_eq!(fc["numberReturned"], 5);
    // With a filter, nearest counts only matching incidents.
    let (_, fc) = s.get_json(
        "/collections/incidents/items?nearest=40.775,36.47&k=2&event_type=Strategic%20developments",
    );
    assert_eq!(fc["numberReturned"], 2);
    for f in fc["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["event_type"], "Strategic developments");
    }
    // Bad combinations name the parameter.
    let (st, body) = s.get_json("/collections/incidents/items?near=40.7,36.4");
    assert_problem(st, &body, 400, "radius");
    let (st, body) = s.get_json("/collections/incidents/items?nearest=40.7,36.4&k=0");
    assert_problem(st, &body, 400, "k");
    let (st, body) = s.get_json("/collections/incidents/items?nearest=400,36.4");
    assert_problem(st, &body, 400, "nearest");
}

#[test]
fn search_by_polygon_with_datetime_and_paging() {
    let s = Server::start();
    let all = all_incidents(&s);
    // A box around al-Zuhur's anchor (40.7703, 36.4757), counter-clockwise.
    let zuhur = json!({"type": "Polygon", "coordinates": [[[40.768, 36.474], [40.772, 36.474], [40.772, 36.478], [40.768, 36.478], [40.768, 36.474]]]});
    let expected: Vec<&(i64, (f64, f64), Value)> = all
        .iter()
        .filter(|(_, p, _)| (40.768..=40.772).contains(&p.0) && (36.474..=36.478).contains(&p.1))
        .collect();
    assert!(
        expected.len() >= 3,
        "scenario has several al-Zuhur incidents"
    );
    let res = s
        .client()
        .post(s.url("/collections/incidents/search"))
        .json(&json!({"intersects": zuhur}))
        .send()
        .unwrap();
    let (st, fc) = json_of(res);
    assert_eq!(st, 200, "{fc}");
    assert_eq!(fc["numberMatched"], expected.len());
    assert!(fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["place_id"] == "al-zuhur"));

    let on_21st = expected
        .iter()
        .filter(|(_, _, p)| p["event_date"] == "2022-01-21")
        .count();
    let body = json!({"intersects": zuhur, "datetime": "2022-01-21", "limit": 1});
    let (st, fc) = json_of(
        s.client()
            .post(s.url("/collections/incidents/search"))
            .json(&body)
            .send()
            .unwrap(),
    );
    assert_eq!(st, 200);
    assert_eq!(fc["numberMatched"], on_21st);
    assert_eq!(fc["numberReturned"], 1);
    let next = fc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link");
    assert_eq!(next["method"], "POST");
    assert_eq!(next["body"]["offset"], 1);
    assert_eq!(
        next["body"]["datetime"], "2022-01-21",
        "next keeps the request"
    );

    // A self-intersecting polygon and out-of-range positions are 400s naming intersects.
    let bowtie = json!({"intersects": {"type": "Polygon", "coordinates": [[[40.0, 36.0], [41.0, 37.0], [41.0, 36.0], [40.0, 37.0], [40.0, 36.0]]]}});
    let (st, body) = json_of(
        s.client()
            .post(s.url("/collections/incidents/search"))
            .json(&bowtie)
            .send()
            .unwrap(),
    );
    assert_problem(st, &body, 400, "intersects");
    let swapped = json!({"intersects": {"type": "Point", "coordinates": [36.4, 140.7]}});
    let (st, body) = json_of(
        s.client()
            .post(s.url("/collections/incidents/search"))
            .json(&swapped)
            .send()
            .unwrap(),
    );
    assert_problem(st, &body, 400, "intersects");
    let (st, body) = json_of(
        s.client()
            .post(s.url("/collections/incidents/search"))
            .json(&json!({"within": 1}))
            .send()
            .unwrap(),
    );
    assert_problem(st, &body, 400, "within");
}

#[test]
fn places_answer_which_district_contains_a_point() {
    let s = Server::start();
    let (_, fc) = s.get_json("/reverse?lon=40.7703&lat=36.4757");
    let got: Vec<Value> = ids(&fc);
    assert_eq!(
        got,
        vec![
            json!("al-zuhur"),
            json!("al-hasakah"),
            json!("al-hasakah-governorate")
        ]
    );
    // Places intersecting a bbox around the prison include the prison and Ghweiran, and not Qamishli.
    let (_, fc) = s.get_json("/collections/places/items?bbox=40.761,36.477,40.763,36.478");
    let got = ids(&fc);
    assert!(got.contains(&json!("al-sinaa-prison")) && got.contains(&json!("ghweiran")));
    assert!(!got.contains(&json!("qamishli")));
    // The roundabout is a point in its source; it is served as a 50 m footprint polygon.
    let (_, p) = s.get_json("/collections/places/items/panorama-roundabout");
    assert_eq!(p["geometry"]["type"], "Polygon");
    assert_eq!(p["properties"]["footprint_m"], 50.0);
    assert_eq!(p["properties"]["anchor"], json!([40.7603, 36.4712]));
}
