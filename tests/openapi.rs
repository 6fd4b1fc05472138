//! The OpenAPI document at /api tells the truth about what the server sends: the facts that
//! were once wrong, checked against the document and against the server's own answers.
//! tests/schemathesis.rs checks the rest by fuzzing.
mod common;
use common::*;

use serde_json::{json, Value};

/// The status codes `/api` lists for `method` on `path`.
fn documented(api: &Value, path: &str, method: &str) -> Vec<String> {
    let responses = api["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("no {method} {path} in /api"));
    responses.keys().cloned().collect()
}

#[test]
fn feature_ids_are_integers_or_strings_and_geometry_may_be_null() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    let feature = &api["components"]["schemas"]["Feature"]["properties"];
    let kinds: Vec<&Value> = feature["id"]["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("Feature id is not oneOf: {}", feature["id"]))
        .iter()
        .map(|k| &k["type"])
        .collect();
    assert_eq!(kinds, [&json!("integer"), &json!("string")]);
    assert_eq!(feature["geometry"]["type"], "object");
    assert_eq!(feature["geometry"]["nullable"], true);
    let name_ar = &api["paths"]["/geoparse"]["post"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["properties"]["places"]["items"]["properties"]["name_ar"];
    assert_eq!(name_ar["nullable"], true, "name_ar: {name_ar}");

    // The server's own ids: numbers for stored records, names for places and derived layers.
    for (collection, kind) in [("incidents", "integer"), ("places", "string")] {
        let (_, page) = s.get_json(&format!("/collections/{collection}/items?limit=1"));
        let id = &ids(&page)[0];
        let is = if id.is_i64() { "integer" } else { "string" };
        assert_eq!(is, kind, "{collection} id {id}");
    }
}

#[test]
fn openapi_is_3_0_without_3_1_type_lists() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    assert_eq!(api["openapi"], "3.0.3");
    let mut lists = vec![];
    type_lists(&api, "", &mut lists);
    assert!(
        lists.is_empty(),
        "3.1 types (lists, null or propertyNames) at {lists:?}"
    );
}

fn type_lists(v: &Value, at: &str, found: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            // A list of types, or the type "null", are OpenAPI 3.1 (JSON Schema 2020-12).
            let kind = map.get("type");
            if kind.is_some_and(Value::is_array) || kind.is_some_and(|t| t == "null") {
                found.push(at.to_owned());
            }
            if map.contains_key("propertyNames") {
                found.push(format!("{at}/propertyNames"));
            }
            for (k, v) in map {
                type_lists(v, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                type_lists(v, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn queryables_sortables_and_search_list_the_errors_they_answer() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    for c in COLLECTIONS {
        for which in ["queryables", "sortables"] {
            let path = format!("/collections/{c}/{which}");
            let listed = documented(&api, &path, "get");
            let (status, body) = s.get_json(&format!("{path}?f=xml"));
            assert_problem(status, &body, 400, "f");
            assert!(listed.contains(&"400".into()), "{path}: {listed:?}");
        }
        let path = format!("/collections/{c}/search");
        let listed = documented(&api, &path, "post");
        let res = s
            .client()
            .post(s.url(&path))
            .header("Content-Type", "text/plain")
            .body("{}")
            .send()
            .expect("POST");
        assert_eq!(res.status(), 415, "{path}");
        for code in ["400", "413", "415"] {
            assert!(
                listed.contains(&code.into()),
                "{path} lacks {code}: {listed:?}"
            );
        }
    }
}

#[test]
fn a_posted_feature_collection_is_answered_as_documented() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    let created = &api["paths"]["/collections/incidents/items"]["post"]["responses"]["201"]
        ["content"]["application/geo+json"]["schema"]["$ref"];
    assert_eq!(created, "#/components/schemas/FeatureOrCollection");
    let either = &api["components"]["schemas"]["FeatureOrCollection"]["oneOf"];
    assert_eq!(
        either,
        &json!([
            {"$ref": "#/components/schemas/Feature"},
            {"$ref": "#/components/schemas/FeatureCollection"}
        ])
    );
    let batch = json!({"type": "FeatureCollection", "features": [incident("Ghweiran")]});
    let (status, body) = s.post("/collections/incidents/items", &batch);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["type"], "FeatureCollection");
    assert!(ids(&body)[0].is_i64(), "{body}");
}

#[test]
fn links_lead_from_pages_and_creations_to_features() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    let items = &api["paths"]["/collections/incidents/items"];
    let first = &items["get"]["responses"]["200"]["links"]["firstFeature"];
    assert_eq!(first["operationId"], "getIncidentsFeature", "{first}");
    assert_eq!(
        first["parameters"]["featureId"],
        "$response.body#/features/0/id"
    );
    let delete = &items["post"]["responses"]["201"]["links"]["delete"];
    assert_eq!(delete["operationId"], "deleteIncident", "{delete}");
    // Every link names an operation the document has.
    let operations = || {
        api["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
            .filter_map(Value::as_object)
            .flat_map(|item| item.values())
    };
    let operation_ids: Vec<&str> = operations()
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let links = operations()
        .filter_map(|op| op["responses"].as_object())
        .flat_map(|r| r.values())
        .filter_map(|r| r["links"].as_object())
        .flat_map(|l| l.values());
    for link in links {
        let target = link["operationId"].as_str().unwrap_or_default();
        assert!(operation_ids.contains(&target), "{link}");
    }
}

#[test]
fn search_members_may_be_null_and_no_others_are_taken() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    let search = &api["components"]["schemas"]["SearchRequest"];
    assert_eq!(search["additionalProperties"], false);
    assert_eq!(search["properties"]["limit"]["nullable"], true);
    let crs = &search["properties"]["bbox-crs"];
    assert!(
        crs["enum"].as_array().unwrap().contains(&Value::Null),
        "{crs}"
    );
    let path = "/collections/incidents/search";
    let (status, body) = s.send_json(
        reqwest::Method::POST,
        path,
        &json!({"limit": null, "bbox-crs": null, "updated_after": null}),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = s.send_json(reqwest::Method::POST, path, &json!({"x": 1}), None);
    assert_problem(status, &body, 400, "/x");
}
