//! A write answered 2xx is on disk: it survives `kill -9` of the server and a restart.
mod common;
use common::*;
use serde_json::json;

#[test]
fn acknowledged_writes_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("atlas.sqlite");

    let s = Server::start_on(&db, &[], Some(TOKEN));
    let (_, before) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(
        before["numberMatched"], 16,
        "fresh database is seeded with the scenario"
    );

    let (status, created) = s.post("/collections/incidents/items", &incident("al-Zuhour"));
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, patched) = s.send_json(
        reqwest::Method::PATCH,
        "/collections/incidents/items/2",
        &json!({"properties": {"fatalities": 9}}),
        Some(TOKEN),
    );
    assert_eq!(status, 200, "{patched}");
    let (status, _) = s.send_json(
        reqwest::Method::DELETE,
        "/collections/incidents/items/3",
        &json!({}),
        Some(TOKEN),
    );
    assert_eq!(status, 204);
    s.kill9();

    let s = Server::start_on(&db, &[], Some(TOKEN));
    let (status, again) = s.get_json(&format!("/collections/incidents/items/{id}"));
    assert_eq!(status, 200, "created incident lost: {again}");
    assert_eq!(again["properties"]["place_id"], "al-zuhur");
    assert_eq!(again["geometry"], created["geometry"]);
    assert_eq!(
        again["properties"]["created_at"],
        created["properties"]["created_at"]
    );
    let (_, two) = s.get_json("/collections/incidents/items/2");
    assert_eq!(two["properties"]["fatalities"], 9, "patch lost");
    let (status, _) = s.get_json("/collections/incidents/items/3");
    assert_eq!(status, 404, "deleted incident came back");
    let (_, all) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(
        all["numberMatched"], 16,
        "16 seeded + 1 created - 1 deleted, and no second seeding"
    );
}

#[test]
fn rejected_writes_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("atlas.sqlite");
    let s = Server::start_on(&db, &[], Some(TOKEN));
    let batch = json!({"type": "FeatureCollection", "features": [
        incident("al-Zuhur"), incident("Ghweiran"), incident("Atlantis")
    ]});
    let (status, body) = s.post("/collections/incidents/items", &batch);
    assert_problem(status, &body, 422, "/features/2/properties/place");
    s.kill9();
    let s = Server::start_on(&db, &[], Some(TOKEN));
    let (_, all) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(
        all["numberMatched"], 16,
        "a rejected batch must not be half-stored"
    );
}
