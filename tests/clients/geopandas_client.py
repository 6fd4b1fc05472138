"""geopandas reading the server at argv[1] through pyogrio and GDAL's OAPIF driver.

argv[2] is a JSON object: "collections" to read whole, "bbox" reads ([collection, [minx, miny,
maxx, maxy]]) and "geometries" ([collection, id]) to report. Prints one JSON
object with what geopandas saw.
"""
import json
import sys

import geopandas
import pyogrio
import shapely.geometry

base, ask = sys.argv[1], json.loads(sys.argv[2])
source = f"OAPIF:{base}"


def ids(df):
    # GDAL turns integer GeoJSON ids into FIDs (the index here) and string ids into an `id`
    # field.
    if "id" in df.columns:
        return df["id"].tolist()
    return [int(i) for i in df.index]


def frame(collection, bbox=None):
    return geopandas.read_file(
        source, layer=collection, bbox=bbox, engine="pyogrio", fid_as_index=True
    )


layers = {}
for collection in ask["collections"]:
    df = frame(collection)
    layers[collection] = {
        "rows": len(df),
        "ids": ids(df),
        "geometry_types": sorted(set(df.geom_type.dropna())),
        "crs": df.crs.to_string() if df.crs else None,
        "columns": [c for c in df.columns if c != "geometry"],
    }

bbox = {}
for collection, box in ask["bbox"]:
    df = frame(collection, tuple(box))
    bbox[collection] = {"rows": len(df), "ids": ids(df)}

geometries = {}
for collection, fid in ask["geometries"]:
    df = frame(collection)
    row = df[df["id"] == fid] if "id" in df.columns else df.loc[[fid]]
    geometries[f"{collection}/{fid}"] = shapely.geometry.mapping(row.geometry.iloc[0])

print(json.dumps({
    "version": geopandas.__version__,
    "pyogrio": pyogrio.__version__,
    "gdal": pyogrio.__gdal_version_string__,
    "layers": layers,
    "bbox": bbox,
    "geometries": geometries,
}))
