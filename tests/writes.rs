mod common;
use common::*;

use reqwest::Method;
use serde_json::{json, Value};

const GAZETTEER: &str = include_str!("../data/gazetteer/hasakah.geojson");
const ITEMS: &str = "/collections/incidents/items";
const GEOJSON: Option<&str> = Some("application/geo+json");

/// The gazetteer file's feature for `id`.
fn gaz(id: &str) -> Value {
    let all: Value = serde_json::from_str(GAZETTEER).expect("gazetteer parses");
    let found = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id);
    found
        .unwrap_or_else(|| panic!("no place {id} in the gazetteer file"))
        .clone()
}

fn count(s: &Server) -> i64 {
    let (status, fc) = s.get_json(&format!("{ITEMS}?limit=1"));
    assert_eq!(status, 200, "{fc}");
    fc["numberMatched"].as_i64().expect("numberMatched")
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

struct Reply {
    status: u16,
    content_type: String,
    www_authenticate: bool,
    location: Option<String>,
    body: Value,
}

/// Sends any request; content type and Authorization exactly as given.
fn call(
    s: &Server,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl ToString,
    auth: Option<&str>,
) -> Reply {
    let mut req = s
        .client()
        .request(method, s.url(path))
        .body(body.to_string());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let res = req.send().expect("send");
    let header = |n: &str| res.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
    let content_type = header("content-type").unwrap_or_default();
    let www_authenticate = header("www-authenticate").is_some();
    let location = header("location");
    let (status, body) = json_of(res);
    Reply {
        status,
        content_type,
        www_authenticate,
        location,
        body,
    }
}

/// `assert_problem`, and the media type is application/problem+json.
fn assert_problem_reply(r: &Reply, expected: u16, field: &str) {
    assert_problem(r.status, &r.body, expected, field);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "Content-Type {:?}: {}",
        r.content_type,
        r.body
    );
}

fn delete(s: &Server, path: &str) -> Reply {
    call(s, Method::DELETE, path, None, "", Some(&bearer()))
}

fn patch(s: &Server, id: &Value, body: Value) -> (u16, Value) {
    s.send_json(Method::PATCH, &format!("{ITEMS}/{id}"), &body, Some(TOKEN))
}

/// `f` with these properties set, or removed where the value is null.
fn with_props(mut f: Value, props: Value) -> Value {
    for (k, v) in props.as_object().unwrap() {
        if v.is_null() {
            f["properties"].as_object_mut().unwrap().remove(k);
        } else {
            f["properties"][k] = v.clone();
        }
    }
    f
}

fn at_point(lon: f64, lat: f64) -> Value {
    let mut f = with_props(incident("unused"), json!({"place": null}));
    f["geometry"] = json!({"type": "Point", "coordinates": [lon, lat]});
    f
}

fn create(s: &Server, f: &Value) -> Value {
    let (status, body) = s.post(ITEMS, f);
    assert_eq!(status, 201, "create: {body}");
    body
}

fn candidate_ids(problem: &Value) -> Vec<String> {
    let cands = problem["candidates"].as_array();
    let cands = cands.unwrap_or_else(|| panic!("no candidates array: {problem}"));
    cands
        .iter()
        .map(|c| c["id"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// The Feature's placement and admin fields match gazetteer place `id`.
fn assert_placed_on(feature: &Value, id: &str, placement: &str) {
    let place = gaz(id);
    let (pp, p) = (&place["properties"], &feature["properties"]);
    assert_eq!(p["place_id"], id, "{feature}");
    assert_eq!(p["placement"], placement, "{feature}");
    assert_eq!(p["location"], pp["name"], "{feature}");
    for k in ["country", "admin1", "admin2", "admin3"] {
        assert_eq!(p[k], pp[k], "{k} of {feature}");
    }
    assert_eq!(p["iso"], 760, "{feature}");
}

#[test]
fn writes_without_a_valid_token_are_401_and_store_nothing() {
    let s = Server::start();
    let before = count(&s);
    let one = format!("{ITEMS}/1");
    let one = one.as_str();
    let patch_body = json!({"properties": {"fatalities": 99}});
    for auth in [
        None,
        Some("Bearer wrong-token".to_owned()),
        Some(format!("Basic {TOKEN}")),
        Some("Bearer ".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
    ] {
        for (method, path, ct, body) in [
            (Method::POST, ITEMS, GEOJSON, incident("Ghweiran")),
            (Method::PUT, one, GEOJSON, incident("Ghweiran")),
            (
                Method::PATCH,
                one,
                Some("application/merge-patch+json"),
                patch_body.clone(),
            ),
            (Method::DELETE, one, None, Value::Null),
        ] {
            let what = format!("{method} {path} with {auth:?}");
            let r = call(&s, method, path, ct, body, auth.as_deref());
            assert_problem_reply(&r, 401, "");
            assert!(r.www_authenticate, "{what}: no WWW-Authenticate");
        }
    }
    assert_eq!(count(&s), before);
    let (status, first) = s.get_json(one);
    assert_eq!(status, 200);
    assert_eq!(
        first["properties"]["fatalities"], 4,
        "PATCH without token changed it"
    );
}

#[test]
fn server_without_token_refuses_writes_with_403() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_on(&tmp.path().join("atlas.sqlite"), &[], None);
    assert_eq!(count(&s), 16);
    let r = call(
        &s,
        Method::POST,
        ITEMS,
        GEOJSON,
        incident("Ghweiran"),
        Some(&bearer()),
    );
    assert_problem_reply(&r, 403, "");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("ATLAS_WRITE_TOKEN"),
        "{}",
        r.body
    );
    assert_problem_reply(&delete(&s, &format!("{ITEMS}/1")), 403, "");
    let (status, body) = patch(&s, &json!(1), json!({"properties": {"fatalities": 1}}));
    assert_problem(status, &body, 403, "");
    assert_eq!(count(&s), 16);
    assert_eq!(s.get_json(&format!("{ITEMS}/1")).0, 200);
}

#[test]
fn create_by_place_name_puts_the_incident_on_the_place_anchor() {
    let s = Server::start();
    let mut n = count(&s);
    for (name, id, precision) in [
        ("al-Zuhour", "al-zuhur", 1),
        ("حي الزهور", "al-zuhur", 1),
        ("Ghweiran", "ghweiran", 1),
        ("Sina'a prison", "al-sinaa-prison", 1),
        ("al-Hasakah Governorate", "al-hasakah-governorate", 3),
    ] {
        let r = call(
            &s,
            Method::POST,
            ITEMS,
            GEOJSON,
            incident(name),
            Some(&bearer()),
        );
        let f = &r.body;
        assert_eq!(r.status, 201, "{name}: {f}");
        let fid = f["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("integer id: {f}"));
        let location = r
            .location
            .clone()
            .unwrap_or_else(|| panic!("{name}: no Location"));
        assert!(
            location.ends_with(&format!("{ITEMS}/{fid}")),
            "{location} for {fid}"
        );
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "Point");
        assert_eq!(
            f["geometry"]["coordinates"],
            gaz(id)["properties"]["anchor"],
            "{name}"
        );
        assert_placed_on(f, id, "gazetteer");
        assert_eq!(f["properties"]["geo_precision"], precision, "{name}");
        assert_eq!(f["properties"]["fatalities"], 2);
        assert_eq!(f["properties"]["actor1"], "Islamic State (Syria)");
        assert_eq!(f["properties"]["event_date"], "2022-01-22");
        n += 1;
        assert_eq!(count(&s), n);
        let (status, got) = json_of(s.client().get(&location).send().unwrap());
        assert_eq!(status, 200, "GET {location}");
        assert_eq!(got["id"], f["id"]);
        assert_eq!(got["geometry"], f["geometry"]);
        assert_eq!(got["properties"], f["properties"]);
    }
}

#[test]
fn create_by_place_id_and_unknown_place_id_lists_candidates() {
    let s = Server::start();
    let f = with_props(
        incident("x"),
        json!({"place": null, "place_id": "ghweiran-cemetery"}),
    );
    let body = create(&s, &f);
    assert_placed_on(&body, "ghweiran-cemetery", "gazetteer");
    assert_eq!(body["geometry"]["coordinates"], json!([40.758, 36.48]));
    assert_eq!(body["properties"]["geo_precision"], 1);

    let before = count(&s);
    // A near-miss id: the intended place should be offered.
    let (status, p) = s.post(
        ITEMS,
        &with_props(f.clone(), json!({"place_id": "al-zuhour"})),
    );
    assert_problem(status, &p, 422, "/properties/place_id");
    assert!(candidate_ids(&p).contains(&"al-zuhur".to_owned()), "{p}");
    // A far miss still answers with a candidates array (possibly empty).
    let (status, p) = s.post(ITEMS, &with_props(f, json!({"place_id": "nowhere-at-all"})));
    assert_problem(status, &p, 422, "/properties/place_id");
    assert!(p["candidates"].is_array(), "candidates array missing: {p}");
    assert_eq!(count(&s), before);
}

#[test]
fn create_by_coordinates_finds_the_most_specific_containing_place() {
    let s = Server::start();
    for (lon, lat, id) in [
        (40.7703, 36.4757, "al-zuhur"),
        (40.7711, 36.4731, "al-zuhur"),
        (40.7625, 36.4775, "al-sinaa-prison"),
        (40.758, 36.48, "ghweiran-cemetery"),
        (40.7700, 36.4900, "ghweiran"),
        (40.7400, 36.5100, "al-hasakah"),
        (41.0, 36.7, "al-hasakah-governorate"),
    ] {
        let f = create(&s, &at_point(lon, lat));
        assert_eq!(f["geometry"]["coordinates"], json!([lon, lat]), "{f}");
        assert_placed_on(&f, id, "coordinates");
        let (_, got) = s.get_json(&format!("{ITEMS}/{}", f["id"]));
        assert_eq!(got["geometry"]["coordinates"], json!([lon, lat]));
        assert_eq!(got["properties"]["place_id"], id);
    }
    // Outside every area: a location name is required, then it is stored as given.
    let (status, p) = s.post(ITEMS, &at_point(38.0, 35.0));
    assert_problem(status, &p, 422, "/properties/location");
    let f = create(
        &s,
        &with_props(at_point(38.0, 35.0), json!({"location": "Somewhere"})),
    );
    assert_eq!(f["properties"]["location"], "Somewhere");
    assert_eq!(f["properties"]["place_id"], Value::Null);
    assert_eq!(f["geometry"]["coordinates"], json!([38.0, 35.0]));
}

#[test]
fn unknown_and_ambiguous_names_are_422_with_candidates() {
    let s = Server::start();
    let before = count(&s);
    let (status, p) = s.post(ITEMS, &incident("the villas"));
    assert_problem(status, &p, 422, "/properties/place");
    let cands = candidate_ids(&p);
    assert!(cands.contains(&"villat-al-humr".to_owned()), "{p}");
    assert!(cands.contains(&"nashwa-villas".to_owned()), "{p}");

    let (status, p) = s.post(ITEMS, &incident("Atlantis"));
    assert_problem(status, &p, 422, "/properties/place");
    assert_eq!(count(&s), before);
    assert!(p["candidates"].is_array(), "candidates array missing: {p}");
}

#[test]
#[rustfmt::skip]
fn each_invalid_field_is_a_problem_naming_it() {
    let s = Server::start();
    let base = || incident("Ghweiran");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("bad event_type", with_props(base(), json!({"event_type": "Picnic"})), "/properties/event_type"),
        ("sub_event_type of another type", with_props(base(), json!({"sub_event_type": "Peaceful protest"})), "/properties/sub_event_type"),
        ("missing actor1", with_props(base(), json!({"actor1": null})), "/properties/actor1"),
        ("missing event_date", with_props(base(), json!({"event_date": null})), "/properties/event_date"),
        ("bad event_date", with_props(base(), json!({"event_date": "2022-13-45"})), "/properties/event_date"),
        ("negative fatalities", with_props(base(), json!({"fatalities": -1})), "/properties/fatalities"),
        ("fatalities_low > fatalities", with_props(base(), json!({"fatalities_low": 5})), "/properties/fatalities_low"),
        ("unknown property", with_props(base(), json!({"colour": "red"})), "/properties/colour"),
        ("longitude 200", at_point(200.0, 36.4), "/geometry/coordinates"),
        ("latitude 91", at_point(40.77, 91.0), "/geometry/coordinates"),
        ("swapped axes", at_point(36.4775, 40.7625), "/geometry/coordinates"),
    ];
    for (what, f, field) in cases {
        let r = call(&s, Method::POST, ITEMS, GEOJSON, f, Some(&bearer()));
        assert!((400..500).contains(&r.status), "{what}: status {}: {}", r.status, r.body);
        assert_problem_reply(&r, r.status, field);
    }
    assert_eq!(count(&s), 16);
}

#[test]
fn latitude_longitude_properties_errors_name_those_properties() {
    let s = Server::start();
    let point = |lon: f64, lat: f64| {
        with_props(
            incident("x"),
            json!({"place": null, "latitude": lat, "longitude": lon}),
        )
    };
    // Given as properties, a good pair places the incident like a geometry does.
    let f = create(&s, &point(40.7703, 36.4757));
    assert_eq!(f["geometry"]["coordinates"], json!([40.7703, 36.4757]));
    assert_placed_on(&f, "al-zuhur", "coordinates");
    let mut bad = Vec::new();
    for (lon, lat, field) in [
        (200.0, 36.4, "/properties/longitude"),
        (40.77, 91.0, "/properties/latitude"),
        // Swapped: the error should point at what the client sent, not at a geometry.
        (36.4775, 40.7625, "/properties/l"),
    ] {
        let (status, p) = s.post(ITEMS, &point(lon, lat));
        assert_eq!(status, 422, "{p}");
        let errors = p["errors"].as_array().unwrap().iter();
        let named: Vec<&str> = errors.filter_map(|e| e["field"].as_str()).collect();
        let pointers = named
            .iter()
            .all(|n| !n.contains('[') && !n.starts_with("/geometry"));
        if !pointers || !named.iter().any(|n| n.starts_with(field)) {
            bad.push(format!("[{lon}, {lat}]: expected {field}…, got {named:?}"));
        }
    }
    assert!(bad.is_empty(), "\n  {}", bad.join("\n  "));
    assert_eq!(count(&s), 17);
}

#[test]
fn bearer_scheme_is_case_insensitive() {
    // Beyond the brief: RFC 9110 §11.1 makes the auth scheme case-insensitive.
    let s = Server::start();
    let auth = format!("bearer {TOKEN}");
    let r = call(
        &s,
        Method::POST,
        ITEMS,
        GEOJSON,
        incident("Ghweiran"),
        Some(&auth),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn several_bad_fields_are_all_reported() {
    let s = Server::start();
    let mut f = with_props(
        incident("x"),
        json!({"event_type": "Picnic", "fatalities": -3, "colour": "red", "actor1": null}),
    );
    f["geometry"] = json!({"type": "Point", "coordinates": [200.0, 36.4]});
    let (status, p) = s.post(ITEMS, &f);
    for field in [
        "/properties/event_type",
        "/properties/fatalities",
        "/properties/colour",
        "/properties/actor1",
        "/geometry/coordinates",
    ] {
        assert_problem(status, &p, 422, field);
    }
    assert_eq!(count(&s), 16);
}

#[test]
fn malformed_bodies_get_400_415_413_and_the_server_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("atlas.sqlite");
    let s = Server::start_on(&db, &["--max-body-bytes", "2000"], Some(TOKEN));
    let auth = Some(bearer());
    let post =
        |ct: Option<&str>, body: String| call(&s, Method::POST, ITEMS, ct, body, auth.as_deref());
    assert_problem_reply(&post(GEOJSON, "{\"type\": \"Feature\", ".into()), 400, "");
    let good = incident("Ghweiran").to_string();
    assert_problem_reply(&post(Some("text/plain"), good.clone()), 415, "");
    assert_problem_reply(&post(None, good), 415, "");
    let big = with_props(incident("Ghweiran"), json!({"notes": "x".repeat(5000)}));
    assert_problem_reply(&post(GEOJSON, big.to_string()), 413, "");
    // PATCH too is bounded.
    let big_patch = json!({"properties": {"notes": "y".repeat(5000)}});
    let ct = Some("application/merge-patch+json");
    let r = call(
        &s,
        Method::PATCH,
        &format!("{ITEMS}/1"),
        ct,
        big_patch,
        auth.as_deref(),
    );
    assert_problem_reply(&r, 413, "");
    assert_eq!(count(&s), 16);
    assert_eq!(s.get("/").status().as_u16(), 200);
    let (status, f) = s.post(ITEMS, &incident("Ghweiran"));
    assert_eq!(status, 201, "{f}");
    assert_eq!(count(&s), 17);
}

#[test]
fn feature_collection_posts_are_all_or_nothing() {
    let s = Server::start();
    let fc = |features: Vec<Value>| json!({"type": "FeatureCollection", "features": features});
    let good = vec![
        incident("al-Zuhur"),
        incident("Ghweiran"),
        incident("Sina'a prison"),
    ];
    let mut bad = good.clone();
    bad.push(with_props(
        incident("Ghweiran"),
        json!({"event_type": "Picnic"}),
    ));
    let (status, p) = s.post(ITEMS, &fc(bad));
    assert_problem(status, &p, 422, "/features/3/properties/event_type");
    assert_eq!(count(&s), 16);
    // A feature that parses but cannot be placed also sinks the whole batch.
    let mut unplaceable = good.clone();
    unplaceable.push(incident("Atlantis"));
    let (status, p) = s.post(ITEMS, &fc(unplaceable));
    assert_problem(status, &p, 422, "/features/3/properties/place");
    assert_eq!(count(&s), 16);

    let (status, out) = s.post(ITEMS, &fc(good));
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["type"], "FeatureCollection");
    let features = out["features"].as_array().unwrap();
    let placed: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["place_id"].as_str().unwrap())
        .collect();
    assert_eq!(placed, ["al-zuhur", "ghweiran", "al-sinaa-prison"]);
    let mut new_ids: Vec<i64> = ids(&out).iter().map(|v| v.as_i64().unwrap()).collect();
    new_ids.sort();
    new_ids.dedup();
    assert_eq!(new_ids.len(), 3);
    assert!(new_ids.iter().all(|&i| i > 16), "{new_ids:?}");
    assert_eq!(count(&s), 19);
}

#[test]
fn put_replaces_keeping_created_at() {
    let s = Server::start();
    let old = create(
        &s,
        &with_props(incident("al-Zuhur"), json!({"notes": "first"})),
    );
    let id = old["id"].as_i64().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let new = with_props(
        incident("Ghweiran"),
        json!({"fatalities": 9, "actor1": "QSD: Syrian Democratic Forces", "actor2": null,
               "event_type": "Explosions/Remote violence",
               "sub_event_type": "Shelling/artillery/missile attack"}),
    );
    let path = format!("{ITEMS}/{id}");
    let (status, f) = s.send_json(Method::PUT, &path, &new, Some(TOKEN));
    assert_eq!(status, 200, "{f}");
    let (_, got) = s.get_json(&path);
    for body in [&f, &got] {
        let p = &body["properties"];
        assert_eq!(body["id"], id);
        assert_eq!(p["created_at"], old["properties"]["created_at"]);
        assert_ne!(p["updated_at"], old["properties"]["updated_at"]);
        assert_eq!(p["fatalities"], 9);
        assert_eq!(p["actor1"], "QSD: Syrian Democratic Forces");
        assert_eq!(p["actor2"], Value::Null, "PUT replaces: actor2 not given");
        assert_eq!(p["notes"], Value::Null, "PUT replaces: notes not given");
        assert_eq!(p["event_type"], "Explosions/Remote violence");
        assert_eq!(body["geometry"]["coordinates"], json!([40.7625, 36.4865]));
        assert_placed_on(body, "ghweiran", "gazetteer");
    }
    assert_eq!(count(&s), 17);
    // A client's round trip: GET, change one field, PUT the whole Feature back.
    let five = format!("{ITEMS}/5");
    let (_, old) = s.get_json(&five);
    let mut sent = old.clone();
    sent["properties"]["fatalities"] = json!(31);
    let (status, f) = s.send_json(Method::PUT, &five, &sent, Some(TOKEN));
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["geometry"], old["geometry"]);
    for (k, v) in old["properties"].as_object().unwrap() {
        let want = if k == "fatalities" { &json!(31) } else { v };
        if k != "updated_at" {
            assert_eq!(&f["properties"][k], want, "round-trip PUT changed {k}");
        }
    }
    let (status, p) = s.send_json(Method::PUT, &format!("{ITEMS}/999999"), &new, Some(TOKEN));
    assert_problem(status, &p, 404, "");
    let (status, p) = s.send_json(Method::PUT, &path, &incident("Atlantis"), Some(TOKEN));
    assert_problem(status, &p, 422, "/properties/place");
}

#[test]
fn patch_of_fatalities_changes_nothing_else() {
    let s = Server::start();
    let props = json!({"notes": "n", "tags": ["a", "b"]});
    let mine = create(&s, &with_props(incident("al-Zuhour"), props));
    let by_point = create(&s, &at_point(40.7711, 36.4731));
    // Seeded incident 1 has fatalities 4 in 2..8.
    let (_, seeded) = s.get_json(&format!("{ITEMS}/1"));
    for old in [mine, seeded, by_point] {
        let id = &old["id"];
        let (status, new) = patch(&s, id, json!({"properties": {"fatalities": 6}}));
        assert_eq!(status, 200, "{new}");
        assert_eq!(new["properties"]["fatalities"], 6);
        assert_eq!(new["geometry"], old["geometry"]);
        let (_, got) = s.get_json(&format!("{ITEMS}/{id}"));
        for (k, v) in old["properties"].as_object().unwrap() {
            if k != "fatalities" && k != "updated_at" {
                assert_eq!(&new["properties"][k], v, "PATCH changed {k} of {id}");
                assert_eq!(&got["properties"][k], v, "PATCH changed {k} of {id} (GET)");
            }
        }
    }
}

#[test]
fn patch_of_place_moves_the_incident() {
    let s = Server::start();
    let old = create(&s, &incident("al-Zuhour"));
    let (status, f) = patch(&s, &old["id"], json!({"properties": {"place": "Ghweiran"}}));
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["geometry"]["coordinates"], json!([40.7625, 36.4865]));
    assert_placed_on(&f, "ghweiran", "gazetteer");
    assert_eq!(f["properties"]["fatalities"], 2);
    assert_eq!(f["properties"]["actor2"], "QSD: Syrian Democratic Forces");
    let (_, got) = s.get_json(&format!("{ITEMS}/{}", old["id"]));
    assert_eq!(got["properties"], f["properties"]);
    // Moving the seeded incident 1 from the prison to al-Zuhur by place_id.
    let (status, f) = patch(
        &s,
        &json!(1),
        json!({"properties": {"place_id": "al-zuhur"}}),
    );
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["geometry"]["coordinates"], json!([40.7703, 36.4757]));
    assert_placed_on(&f, "al-zuhur", "gazetteer");
    // From the governorate (precision 3) to a neighbourhood: precision follows the place.
    let wide = create(&s, &incident("al-Hasakah Governorate"));
    assert_eq!(wide["properties"]["geo_precision"], 3);
    let (status, f) = patch(
        &s,
        &wide["id"],
        json!({"properties": {"place": "Ghweiran"}}),
    );
    assert_eq!(status, 200, "{f}");
    assert_placed_on(&f, "ghweiran", "gazetteer");
    assert_eq!(f["properties"]["geo_precision"], 1);
    // A patched Point geometry moves it by coordinates.
    let point = json!({"geometry": {"type": "Point", "coordinates": [40.758, 36.48]}});
    let (status, f) = patch(&s, &wide["id"], point);
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["geometry"]["coordinates"], json!([40.758, 36.48]));
    assert_placed_on(&f, "ghweiran-cemetery", "coordinates");
    // A patch naming an unknown place is refused and changes nothing.
    let (status, p) = patch(&s, &old["id"], json!({"properties": {"place": "Atlantis"}}));
    assert_problem(status, &p, 422, "/properties/place");
    let (_, still) = s.get_json(&format!("{ITEMS}/{}", old["id"]));
    assert_eq!(still["properties"]["place_id"], "ghweiran");
}

#[test]
fn patch_with_null_removes_a_field() {
    let s = Server::start();
    let props = json!({"notes": "remove me", "fatalities_low": 1});
    let old = create(&s, &with_props(incident("Ghweiran"), props));
    assert_eq!(old["properties"]["notes"], "remove me");
    let nulls = json!({"properties": {"notes": null, "actor2": null, "fatalities_low": null}});
    let (status, f) = patch(&s, &old["id"], nulls);
    assert_eq!(status, 200, "{f}");
    let (_, got) = s.get_json(&format!("{ITEMS}/{}", old["id"]));
    for body in [&f, &got] {
        let p = &body["properties"];
        assert_eq!(p["notes"], Value::Null);
        assert_eq!(p["actor2"], Value::Null);
        assert_eq!(p["fatalities_low"], Value::Null);
        assert_eq!(p["actor1"], "Islamic State (Syria)");
        assert_eq!(p["place_id"], "ghweiran");
    }
    // Removing a required field is a 422 naming it.
    let (status, p) = patch(&s, &old["id"], json!({"properties": {"actor1": null}}));
    assert_problem(status, &p, 422, "/properties/actor1");
    let (status, p) = patch(&s, &json!(999999), json!({"properties": {"fatalities": 1}}));
    assert_problem(status, &p, 404, "");
}

#[test]
fn delete_then_get_and_delete_again_are_404() {
    let s = Server::start();
    let f = create(&s, &incident("Ghweiran"));
    let path = format!("{ITEMS}/{}", f["id"]);
    let r = delete(&s, &path);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.body, Value::String(String::new()), "204 has no body");
    let (status, p) = s.get_json(&path);
    assert_problem(status, &p, 404, "");
    assert_problem_reply(&delete(&s, &path), 404, "");
    // Deleting a seeded incident.
    assert_eq!(delete(&s, &format!("{ITEMS}/3")).status, 204);
    assert_eq!(count(&s), 15);
    let all = s.get_json(&format!("{ITEMS}?limit=100")).1;
    assert!(!ids(&all).contains(&json!(3)));
}

#[test]
fn writes_on_places_are_405() {
    let s = Server::start();
    let one = "/collections/places/items/ghweiran";
    for (method, path) in [
        (Method::POST, "/collections/places/items"),
        (Method::PUT, one),
        (Method::PATCH, one),
        (Method::DELETE, one),
    ] {
        let r = call(
            &s,
            method,
            path,
            GEOJSON,
            incident("Ghweiran"),
            Some(&bearer()),
        );
        assert_problem_reply(&r, 405, "");
    }
    // Any other method's 405 lists the same methods as the writes' (RFC 9110 §15.5.6).
    for path in ["/collections/places/items", one] {
        let res = s
            .client()
            .request(Method::OPTIONS, s.url(path))
            .send()
            .expect("OPTIONS");
        assert_eq!(res.status(), 405, "OPTIONS {path}");
        assert_eq!(res.headers()["allow"], "GET, HEAD", "OPTIONS {path}");
    }
    let (status, place) = s.get_json(one);
    assert_eq!(status, 200);
    assert_eq!(place["properties"]["name"], "Ghweiran");
}

#[test]
fn ids_are_never_reused_even_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("atlas.sqlite");
    let s = Server::start_on(&db, &[], Some(TOKEN));
    let a = create(&s, &incident("Ghweiran"))["id"].as_i64().unwrap();
    assert_eq!(a, 17);
    assert_eq!(delete(&s, &format!("{ITEMS}/{a}")).status, 204);
    let b = create(&s, &incident("Ghweiran"))["id"].as_i64().unwrap();
    assert!(b > a, "id {b} reused after deleting {a}");
    assert_eq!(delete(&s, &format!("{ITEMS}/{b}")).status, 204);
    drop(s);
    let s = Server::start_on(&db, &[], Some(TOKEN));
    assert_eq!(count(&s), 16);
    let c = create(&s, &incident("Ghweiran"))["id"].as_i64().unwrap();
    assert!(c > b, "id {c} reused after deleting {b} and restarting");
    let (status, p) = s.get_json(&format!("{ITEMS}/{a}"));
    assert_problem(status, &p, 404, "");
}
