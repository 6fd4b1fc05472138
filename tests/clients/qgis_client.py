"""QGIS (headless) loading the server at argv[1] with its OAPIF data provider, as the
"Add WFS / OGC API - Features Layer" dialog does.

argv[2] is a JSON object: "collections" to load, "bbox" requests ([collection, [xmin, ymin,
xmax, ymax]]) sent to the server (restrictToRequestBBOX), "page_size" for a paged read of
"paged" (a collection), and "fields" to report for bbox hits. Prints one JSON object.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402  (after the platform is chosen)
    Qgis,
    QgsApplication,
    QgsFeatureRequest,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)

base, ask = sys.argv[1], json.loads(sys.argv[2])
app = QgsApplication([], False)
app.initQgis()


def layer(collection, options=""):
    uri = f"url='{base}' typename='{collection}' {options}".strip()
    return QgsVectorLayer(uri, collection, "OAPIF")


def plain(value):
    # QGIS hands back QDate/QDateTime/QVariant for some fields; JSON wants plain values.
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isNull") and value.isNull():
        return None
    if hasattr(value, "toString"):
        return value.toString("yyyy-MM-dd") if type(value).__name__ == "QDate" else value.toString()
    return str(value)


def describe(features, fields):
    out = []
    for f in features:
        point = f.geometry().asPoint() if f.geometry().type() == QgsWkbTypes.PointGeometry else None
        out.append({
            "fields": {name: plain(f[name]) for name in fields if name in f.fields().names()},
            "point": [point.x(), point.y()] if point else None,
        })
    return out


def main():
    layers = {}
    for collection in ask["collections"]:
        lyr = layer(collection)
        features = list(lyr.getFeatures()) if lyr.isValid() else []
        layers[collection] = {
            "valid": lyr.isValid(),
            "error": None if lyr.isValid() else lyr.dataProvider().error().message(),
            "featureCount": lyr.featureCount(),
            "features_read": len(features),
            "wkbType": QgsWkbTypes.displayString(lyr.wkbType()),
            "crs": lyr.crs().authid(),
            "ids": [plain(f["id"]) for f in features] if "id" in lyr.fields().names() else None,
        }

    bbox = {}
    for collection, (xmin, ymin, xmax, ymax) in ask["bbox"]:
        # restrictToRequestBBOX makes QGIS send the rectangle as `bbox` instead of downloading
        # the whole layer and filtering it locally.
        lyr = layer(collection, "restrictToRequestBBOX='1'")
        request = QgsFeatureRequest().setFilterRect(QgsRectangle(xmin, ymin, xmax, ymax))
        bbox[collection] = describe(list(lyr.getFeatures(request)), ask["fields"])

    paged = layer(ask["paged"], f"pageSize='{ask['page_size']}'")
    return {
        "version": Qgis.QGIS_VERSION,
        "layers": layers,
        "bbox": bbox,
        "paged": describe(list(paged.getFeatures()), ask["fields"]),
    }


# Layers must be gone before QGIS exits, or PyQGIS crashes on the way out.
print(json.dumps(main()), flush=True)
app.exitQgis()
