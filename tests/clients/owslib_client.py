"""OWSLib's OGC API - Features client against the server at argv[1].

argv[2] is a JSON object with the questions to ask (chosen by tests/clients.rs, which asks the
server the same ones). Prints one JSON object with what OWSLib saw.
"""
import json
import sys

import owslib
from owslib.ogcapi.features import Features

base, ask = sys.argv[1], json.loads(sys.argv[2])
api = Features(base)


def page(fc):
    return {
        "numberMatched": fc.get("numberMatched"),
        "numberReturned": fc.get("numberReturned"),
        "ids": [f["id"] for f in fc["features"]],
        "geometry_types": sorted({f["geometry"]["type"] for f in fc["features"]}),
        "rels": [link["rel"] for link in fc.get("links", [])],
    }


q = ask["items"]
items = api.collection_items(
    q["collection"], bbox=q["bbox"], datetime_=q["datetime"], limit=q["limit"]
)
second = api.collection_items(
    q["collection"], bbox=q["bbox"], datetime_=q["datetime"], limit=q["limit"], offset=q["limit"]
)
features = {}
for collection, fid in ask["features"]:
    f = api.collection_item(collection, fid)
    features[f"{collection}/{fid}"] = {
        "id": f["id"],
        "geometry": f["geometry"],
        "properties": {k: f["properties"].get(k) for k in ask["properties"]},
    }

print(json.dumps({
    "version": owslib.__version__,
    "landing_rels": [link["rel"] for link in api.links],
    "openapi": api.api()["openapi"],
    "conformsTo": api.conformance()["conformsTo"],
    "collections": [c["id"] for c in api.collections()["collections"]],
    "feature_collections": api.feature_collections(),
    "collection": {k: api.collection(q["collection"]).get(k) for k in ("id", "itemType", "extent")},
    "items": page(items),
    "items_second_page": page(second),
    "features": features,
}))
