//! Every route vets its query string in one place: a parameter it does not take, or one given
//! twice, is a 400 problem naming it, and the server still answers afterwards.

mod common;

use common::{assert_problem, Server};
use serde_json::json;

/// A GET on every route (with the parameters it needs), and a parameter it takes.
const ROUTES: &[(&str, &str)] = &[
    ("/", "f=json"),
    ("/conformance", "f=json"),
    ("/api", "f=json"),
    ("/collections", "f=json"),
    ("/collections/incidents", "f=json"),
    ("/collections/incidents/items", "limit=5"),
    ("/collections/incidents/items/1", "f=geojson"),
    (
        "/collections/clash-zones/items",
        "datetime=2022-01-20/2022-01-21",
    ),
    ("/collections/incidents/queryables", "f=json"),
    ("/collections/incidents/sortables", "f=json"),
    ("/collections/incidents/deletions", "limit=5"),
    ("/tileMatrixSets", "f=json"),
    ("/tileMatrixSets/WebMercatorQuad", "f=json"),
    ("/collections/incidents/tiles", "f=json"),
    ("/collections/incidents/tiles/WebMercatorQuad", "f=json"),
    (
        "/collections/incidents/tiles/WebMercatorQuad/14/6406/10047",
        "datetime=2022-01-20/..",
    ),
    ("/geocode", "q=zuhur"),
    ("/reverse", "lon=40.7703&lat=36.4757"),
    ("/assets/leaflet-1.9.4/leaflet.js", ""),
];

#[test]
fn every_route_refuses_unknown_and_repeated_parameters_by_name() {
    let s = Server::start();
    for (path, good) in ROUTES {
        let join = |extra: &str| {
            let q: Vec<&str> = [*good, extra]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect();
            format!("{path}?{}", q.join("&"))
        };
        let (status, body) = s.get_json(&join("bogus=1"));
        assert_problem(status, &body, 400, "bogus");
        if let Some((name, _)) = good.split_once('=') {
            // The route's own parameter, twice.
            let (status, body) = s.get_json(&join(good));
            assert_problem(status, &body, 400, name);
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("more than once"),
                "{path}: {body}"
            );
        }
        // The route itself is fine.
        let res = s.get(&join(""));
        assert!(res.status().is_success(), "{path}?{good}: {}", res.status());
    }
}

#[test]
fn search_bodies_and_writes_are_vetted_the_same_way() {
    let s = Server::start();
    let (status, body) = s.post("/collections/incidents/search", &json!({"bogus": 1}));
    assert_problem(status, &body, 400, "/bogus");
    let (status, body) = s.post("/collections/incidents/search", &json!({"limit": "ten"}));
    assert_problem(status, &body, 400, "/limit");
    let (status, body) = s.post(
        "/collections/incidents/search",
        &json!({"sortby": [{"field": "fatalities", "direction": "upwards"}]}),
    );
    assert_problem(status, &body, 400, "/sortby/0/direction");
    let (status, body) = s.post(
        "/collections/incidents/items?bogus=1",
        &common::incident("al-zuhur"),
    );
    assert_problem(status, &body, 400, "bogus");
    // Nothing was stored by the refused write.
    let (_, page) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(page["numberMatched"], 16, "{page}");
}
