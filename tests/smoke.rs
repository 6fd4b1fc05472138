mod common;
use common::*;

#[test]
fn serves_the_seeded_scenario() {
    let s = Server::start();
    let (status, fc) = s.get_json("/collections/incidents/items");
    assert_eq!(status, 200);
    assert_eq!(fc["numberMatched"], 16);
    assert_eq!(
        fc["features"][0]["properties"]["place_id"],
        "al-sinaa-prison"
    );
    assert_eq!(
        fc["features"][0]["geometry"]["coordinates"],
        serde_json::json!([40.7625, 36.4775])
    );
}
