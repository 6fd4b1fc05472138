//! The document as OpenAPI 3.0 JSON, from utoipa's 3.1 model.

use serde_json::Value;
use utoipa::openapi::OpenApi;

use super::OPENAPI_VERSION;

/// The document as JSON in OpenAPI 3.0: utoipa labels every document 3.1.0 and writes a
/// nullable type as `["object", "null"]`; OGC's oas30 conformance class and clients such as
/// GDAL expect 3.0, where that is `"type": "object", "nullable": true`. utoipa also gives a
/// map's schema `propertyNames`, which 3.0 lacks; as `{"type": "string"}` (what every JSON
/// key is) it says nothing and goes. Nothing else we use differs between the two.
pub fn to_json(doc: &OpenApi) -> serde_json::Result<Value> {
    let mut value = serde_json::to_value(doc)?;
    value["openapi"] = OPENAPI_VERSION.into();
    nullable_as_30(&mut value);
    if let Some(paths) = value["paths"].as_object_mut() {
        let responses = paths
            .values_mut()
            .filter_map(|item| item.as_object_mut())
            .flat_map(|item| item.values_mut())
            .filter_map(|op| op.get_mut("responses").and_then(|r| r.as_object_mut()))
            .flat_map(|responses| responses.values_mut());
        for link in responses
            .filter_map(|r| r.get_mut("links").and_then(|l| l.as_object_mut()))
            .flat_map(|links| links.values_mut())
            .filter_map(|l| l.as_object_mut())
        {
            // utoipa 5.5 names a Link's fields in snake case; OpenAPI's are camel case.
            for (from, to) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(v) = link.remove(from) {
                    link.insert(to.into(), v);
                }
            }
        }
    }
    Ok(value)
}

fn nullable_as_30(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let kind = match map.get("type") {
                Some(Value::Array(types)) if types.len() == 2 && types.contains(&"null".into()) => {
                    types.iter().find(|t| *t != "null").cloned()
                }
                _ => None,
            };
            if let Some(kind) = kind {
                map.insert("type".into(), kind);
                map.insert("nullable".into(), true.into());
            }
            if map.get("type") == Some(&"object".into())
                && map.get("propertyNames") == Some(&serde_json::json!({"type": "string"}))
            {
                map.remove("propertyNames");
            }
            map.values_mut().for_each(nullable_as_30);
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_as_30),
        _ => {}
    }
}
