//! Vector tiles (OGC API – Tiles, Mapbox Vector Tiles) against the real server: tiles are
//! decoded with geozero's protobuf types and checked against the scenario's ids, coordinates
//! and properties; GDAL's MVT driver opens a saved tile.
mod common;
use common::*;

use std::collections::BTreeMap;
use std::process::Command;

use geo::{BoundingRect, Geometry};
use geozero::mvt::{Message, Tile, TileValue};
use geozero::ToGeo;
use serde_json::Value;

/// The z14 and z15 tiles holding al-Sina'a prison (40.7625, 36.4775):
/// x = (lon+180)/360·2^z, y = (1 − ln(tan φ + sec φ)/π)/2·2^z give 10047.15, 6406.82 at 14
/// and 20094.29, 12813.64 at 15. The path is z/row/col (tileMatrix/tileRow/tileCol).
const PRISON_Z14: &str = "14/6406/10047";
const PRISON_Z15: &str = "15/12813/20094";

struct Feature {
    id: Option<u64>,
    /// Grid coordinates (0..4096, y down).
    geometry: Geometry<f64>,
    props: BTreeMap<String, TileValue>,
}

impl Feature {
    fn text(&self, key: &str) -> &str {
        match self.props.get(key) {
            Some(TileValue::Str(s)) => s,
            other => panic!("{key}: expected text, got {other:?}"),
        }
    }

    fn number(&self, key: &str) -> f64 {
        match self.props.get(key) {
            Some(TileValue::Uint(u)) => *u as f64,
            Some(TileValue::Sint(i) | TileValue::Int(i)) => *i as f64,
            Some(TileValue::Double(d)) => *d,
            Some(TileValue::Float(f)) => f64::from(*f),
            other => panic!("{key}: expected a number, got {other:?}"),
        }
    }
}

/// Layer name → (extent, features).
fn decode(bytes: &[u8]) -> BTreeMap<String, (u32, Vec<Feature>)> {
    let tile = Tile::decode(bytes).expect("a protobuf vector tile");
    let mut layers = BTreeMap::new();
    for layer in tile.layers {
        assert_eq!(layer.version, 2, "MVT 2.1 layers are version 2");
        let features = layer
            .features
            .iter()
            .map(|f| {
                let props = f
                    .tags
                    .chunks(2)
                    .map(|kv| {
                        let key = layer.keys[kv[0] as usize].clone();
                        let value = TileValue::try_from(layer.values[kv[1] as usize].clone())
                            .expect("a typed value");
                        (key, value)
                    })
                    .collect();
                Feature {
                    id: f.id,
                    // geozero reads rings by the sign of their area: a wrongly wound
                    // exterior fails here.
                    geometry: f.to_geo().expect("valid MVT geometry commands"),
                    props,
                }
            })
            .collect();
        layers.insert(layer.name.clone(), (layer.extent.unwrap_or(4096), features));
    }
    layers
}

fn tile_bytes(s: &Server, path: &str) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
    let res = s.get(path);
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.bytes().expect("body").to_vec(), headers)
}

/// The one layer of a tile that must have content.
fn layer(s: &Server, collection: &str, zxy: &str, query: &str) -> Vec<Feature> {
    let path = format!("/collections/{collection}/tiles/WebMercatorQuad/{zxy}{query}");
    let (status, bytes, headers) = tile_bytes(s, &path);
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(
        headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    let mut layers = decode(&bytes);
    assert_eq!(layers.len(), 1, "one layer per collection");
    let (extent, features) = layers
        .remove(collection)
        .expect("layer named by the collection");
    assert_eq!(extent, 4096);
    features
}

fn ids(features: &[Feature]) -> Vec<u64> {
    let mut ids: Vec<u64> = features.iter().map(|f| f.id.expect("numeric id")).collect();
    ids.sort_unstable();
    ids
}

/// Independent of the server's code: lon/lat → grid coordinates of tile z/x/y.
fn to_grid(lon: f64, lat: f64, z: u32, x: u32, y: u32) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let phi = lat.to_radians();
    let wx = (lon + 180.0) / 360.0 * n;
    let wy = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    ((wx - f64::from(x)) * 4096.0, (wy - f64::from(y)) * 4096.0)
}

fn from_grid(gx: f64, gy: f64, z: u32, x: u32, y: u32) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let wx = f64::from(x) + gx / 4096.0;
    let wy = f64::from(y) + gy / 4096.0;
    let lon = wx / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * wy / n))
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

fn point(f: &Feature) -> (f64, f64) {
    match f.geometry {
        Geometry::Point(p) => (p.x(), p.y()),
        ref g => panic!("expected a point, got {g:?}"),
    }
}

// --- Tiles of the scenario -------------------------------------------------------------

#[test]
fn prison_tile_at_z14_holds_the_incidents_around_it_with_their_properties() {
    let s = Server::start();
    let features = layer(&s, "incidents", PRISON_Z14, "");
    // All incidents but 8 (the cemetery lies 237 grid units west of the tile, past its
    // 64-unit buffer) and 12/16 (coded to the al-Hasakah city centre, tiles away).
    assert_eq!(
        ids(&features),
        vec![1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 13, 14, 15]
    );
    let five = features.iter().find(|f| f.id == Some(5)).unwrap();
    assert_eq!(five.text("event_type"), "Battles");
    assert_eq!(five.text("sub_event_type"), "Armed clash");
    assert_eq!(five.text("event_date"), "2022-01-20");
    assert_eq!(five.text("place_id"), "al-sinaa-prison");
    assert_eq!(five.text("location"), "al-Sina'a prison");
    assert_eq!(five.number("fatalities"), 30.0);
    assert_eq!(five.number("year"), 2022.0);
    assert_eq!(five.number("point_count"), 1.0, "not thinned: 13 points");
    assert!(five.text("notes").len() > 50, "full detail keeps the notes");
    // Arrays travel as JSON text.
    assert!(five.text("tags").starts_with('['));
}

#[test]
fn prison_tile_at_z15_has_coordinates_within_a_grid_unit_and_a_buffer() {
    let s = Server::start();
    let features = layer(&s, "incidents", PRISON_Z15, "");
    // The prison's six, and al-Zuhur's five lying in the buffer east of the tile
    // (x = 1.003 tiles: grid 4108, beyond 4096 but within 4096 + 64).
    assert_eq!(ids(&features), vec![1, 2, 3, 4, 5, 7, 10, 11, 13, 14, 15]);
    for f in &features {
        let (gx, gy) = point(f);
        let (lon, lat) = if matches!(f.id, Some(2 | 7 | 10 | 14 | 15)) {
            assert!(gx > 4096.0 && gx < 4160.0, "{:?} in the buffer: {gx}", f.id);
            (40.7703, 36.4757)
        } else {
            (40.7625, 36.4775)
        };
        let (ex, ey) = to_grid(lon, lat, 15, 20094, 12813);
        assert!(
            (gx - ex).abs() <= 0.5 && (gy - ey).abs() <= 0.5,
            "{:?}: {gx},{gy} vs {ex},{ey}",
            f.id
        );
        // Back to lon/lat: within one grid unit (~0.3 m at z15).
        let (blon, blat) = from_grid(gx, gy, 15, 20094, 12813);
        assert!(
            (blon - lon).abs() < 3e-6 && (blat - lat).abs() < 3e-6,
            "{blon},{blat}"
        );
        assert_eq!(f.number("longitude"), lon);
        assert_eq!(f.number("latitude"), lat);
    }
}

#[test]
fn zoom_zero_holds_every_incident() {
    let s = Server::start();
    let features = layer(&s, "incidents", "0/0/0", "");
    assert_eq!(ids(&features), (1..=16).collect::<Vec<u64>>());
    // All of al-Hasakah lies within a few grid units at z0: x = (40.76+180)/360·4096 ≈ 2511.
    for f in &features {
        let (gx, gy) = point(f);
        assert!((2510.0..=2513.0).contains(&gx), "{gx}");
        assert!((1600.0..=1603.0).contains(&gy), "{gy}");
    }
    let total: f64 = features.iter().map(|f| f.number("point_count")).sum();
    assert_eq!(total, 16.0);
}

#[test]
fn datetime_filters_tiles_and_empty_tiles_are_204() {
    let s = Server::start();
    let second_day = layer(&s, "incidents", PRISON_Z14, "?datetime=2022-01-21");
    assert_eq!(ids(&second_day), vec![10, 11, 13, 14, 15]);
    let first_day = layer(&s, "incidents", PRISON_Z14, "?datetime=2022-01-20");
    assert_eq!(ids(&first_day), vec![1, 2, 3, 4, 5, 6, 7, 9]);
    let filtered = layer(
        &s,
        "incidents",
        PRISON_Z14,
        "?event_type=Battles&datetime=2022-01-21",
    );
    assert_eq!(ids(&filtered), vec![11, 13, 14]);
    // Any queryable filters tiles as it filters items, read as its type (4.0 is 4).
    let deadly = layer(&s, "incidents", PRISON_Z14, "?fatalities=30");
    assert_eq!(ids(&deadly), vec![5]);
    let four = layer(&s, "incidents", PRISON_Z14, "?fatalities=4.0");
    assert_eq!(ids(&four), vec![1, 10]);
    // Nothing after February: no content, not an empty protobuf.
    let (status, bytes, headers) = tile_bytes(
        &s,
        &format!(
            "/collections/incidents/tiles/WebMercatorQuad/{PRISON_Z14}?datetime=2022-02-01/.."
        ),
    );
    assert_eq!((status, bytes.len()), (204, 0));
    assert_eq!(headers["cache-control"], "public, max-age=60");
    // A tile far from al-Hasakah (the Atlantic at z4).
    let (status, _, _) = tile_bytes(&s, "/collections/incidents/tiles/WebMercatorQuad/4/7/6");
    assert_eq!(status, 204);
    // A write shows in the next tile (the server keeps rendered tiles per snapshot).
    let before = layer(&s, "incidents", PRISON_Z14, "");
    assert_eq!(before.len(), 13);
    let (st, body) = s.post("/collections/incidents/items", &incident("al-Zuhur"));
    assert_eq!(st, 201, "{body}");
    let new_id = body["id"].as_u64().unwrap();
    let after = layer(&s, "incidents", PRISON_Z14, "");
    assert_eq!(after.len(), 14);
    assert!(ids(&after).contains(&new_id));
    let third = layer(&s, "incidents", PRISON_Z14, "?datetime=2022-01-22");
    assert_eq!(ids(&third), vec![new_id]);
}

#[test]
fn clash_zone_tiles_hold_polygons_and_honour_their_parameters() {
    let s = Server::start();
    let zones = layer(&s, "clash-zones", PRISON_Z14, "");
    assert_eq!(zones.len(), 1);
    let z = &zones[0];
    assert_eq!(z.id, None, "zone ids are text: in the id property");
    assert_eq!(z.text("id"), "zone-e2173efd60c31c78");
    assert_eq!(z.number("incident_count"), 12.0);
    assert_eq!(z.number("fatalities"), 89.0);
    assert_eq!(z.text("intensity"), "severe");
    assert_eq!(z.text("incident_ids"), "[1,2,5,6,7,8,9,10,11,13,14,15]");
    let Geometry::Polygon(p) = &z.geometry else {
        panic!("expected a polygon, got {:?}", z.geometry);
    };
    // Exterior positive by the surveyor's formula in y-down grid coordinates (MVT 2.1).
    let twice_area: f64 = p.exterior().lines().map(|l| l.determinant()).sum();
    assert!(twice_area > 0.0);
    // The zone reaches the cemetery, west of the tile: clipped at the buffer's edge.
    let b = p.bounding_rect().unwrap();
    assert_eq!(b.min().x, -64.0);
    assert!(b.max().x < 4160.0 && b.min().y > -64.0);

    // Their own parameters and the window: three zones on the first night at 800 m.
    let zones = layer(
        &s,
        "clash-zones",
        PRISON_Z14,
        "?cluster_distance_m=800&datetime=2022-01-20",
    );
    let mut found: Vec<(String, f64, f64)> = zones
        .iter()
        .map(|z| {
            (
                z.text("incident_ids").to_owned(),
                z.number("incident_count"),
                z.number("fatalities"),
            )
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    // Prison, cemetery and al-Zuhur together; Ghweiran and Villat al-Humr alone.
    assert_eq!(
        found,
        vec![
            ("[1,2,5,7,8]".to_owned(), 5.0, 53.0),
            ("[6]".to_owned(), 1.0, 10.0),
            ("[9]".to_owned(), 1.0, 3.0),
        ]
    );
    // The same zones as the items of these parameters.
    let (_, items) =
        s.get_json("/collections/clash-zones/items?cluster_distance_m=800&datetime=2022-01-20");
    let mut item_ids: Vec<&str> = items["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let mut tile_ids: Vec<&str> = zones.iter().map(|z| z.text("id")).collect();
    item_ids.sort_unstable();
    tile_ids.sort_unstable();
    assert_eq!(tile_ids, item_ids);
    let (st, body) = s.get_json(&format!(
        "/collections/clash-zones/tiles/WebMercatorQuad/{PRISON_Z14}?cluster_distance_m=abc"
    ));
    assert_problem(st, &body, 400, "cluster_distance_m");
}

#[test]
fn places_tiles_hold_the_gazetteer_polygons() {
    let s = Server::start();
    let places = layer(&s, "places", PRISON_Z14, "");
    let prison = places
        .iter()
        .find(|f| f.text("id") == "al-sinaa-prison")
        .expect("the prison's polygon");
    assert_eq!(prison.text("kind"), "facility");
    assert_eq!(prison.text("name"), "al-Sina'a prison");
    let Geometry::Polygon(p) = &prison.geometry else {
        panic!("expected a polygon");
    };
    // The decoded outline, back in lon/lat, is the gazetteer's within a grid unit.
    let (_, item) = s.get_json("/collections/places/items/al-sinaa-prison");
    let ring = item["geometry"]["coordinates"][0].as_array().unwrap();
    let lons: Vec<f64> = ring.iter().map(|c| c[0].as_f64().unwrap()).collect();
    let lats: Vec<f64> = ring.iter().map(|c| c[1].as_f64().unwrap()).collect();
    let b = p.bounding_rect().unwrap();
    let (west, north) = from_grid(b.min().x, b.min().y, 14, 10047, 6406);
    let (east, south) = from_grid(b.max().x, b.max().y, 14, 10047, 6406);
    // One grid unit at z14 is 360/2^14/4096 ≈ 5.4e-6 degrees of longitude.
    let unit = 360.0 / 16384.0 / 4096.0;
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!((west - min(&lons)).abs() <= unit && (east - max(&lons)).abs() <= unit);
    assert!((south - min(&lats)).abs() <= unit && (north - max(&lats)).abs() <= unit);
    // Larger places are cut at the buffered tile edge.
    let city = places
        .iter()
        .find(|f| f.text("id") == "al-hasakah")
        .unwrap();
    let cb = city.geometry.bounding_rect().unwrap();
    assert_eq!(
        (cb.min().x, cb.min().y, cb.max().x, cb.max().y),
        (-64.0, -64.0, 4160.0, 4160.0)
    );
    // Places are timeless: datetime is accepted and ignored.
    let same = layer(&s, "places", PRISON_Z14, "?datetime=1999-01-01");
    assert_eq!(same.len(), places.len());
}

#[test]
fn bad_tile_addresses_are_problems_naming_the_field() {
    let s = Server::start();
    let t = "/collections/incidents/tiles";
    for (path, status, field) in [
        (format!("{t}/WebMercatorQuad/23/0/0"), 404, "tileMatrix"),
        (format!("{t}/WebMercatorQuad/2/4/0"), 404, "tileRow"),
        (format!("{t}/WebMercatorQuad/2/0/4"), 404, "tileCol"),
        (format!("{t}/WebMercatorQuad/x/0/0"), 400, "tileMatrix"),
        (format!("{t}/WebMercatorQuad/2/-1/0"), 400, "tileRow"),
        (format!("{t}/WebMercatorQuad/2/0/1.5"), 400, "tileCol"),
        (format!("{t}/WorldCRS84Quad/0/0/0"), 404, "tileMatrixSetId"),
        (format!("{t}/WebMercatorQuad/0/0/0?limit=5"), 400, "limit"),
        (format!("{t}/WebMercatorQuad/0/0/0?f=png"), 400, "f"),
        (
            format!("{t}/WebMercatorQuad/0/0/0?datetime=yesterday"),
            400,
            "datetime",
        ),
        (format!("{t}/WebMercatorQuad?f=xml"), 400, "f"),
        ("/tileMatrixSets/Nope".to_string(), 404, "tileMatrixSetId"),
    ] {
        let res = s.get(&path);
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let (st, body) = json_of(res);
        assert_problem(st, &body, status, field);
    }
    let (st, body) = s.get_json("/collections/nope/tiles/WebMercatorQuad/0/0/0");
    assert_problem(st, &body, 404, "");
}

#[test]
fn tiles_revalidate_by_etag() {
    let s = Server::start();
    let path = format!("/collections/incidents/tiles/WebMercatorQuad/{PRISON_Z14}");
    let (_, first, headers) = tile_bytes(&s, &path);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (_, again, _) = tile_bytes(&s, &path);
    assert_eq!(first, again, "the same data give the same bytes");
    let res = s
        .client()
        .get(s.url(&path))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);
    assert_eq!(res.headers()["cache-control"], "public, max-age=60");
}

// --- Metadata --------------------------------------------------------------------------

fn link<'a>(doc: &'a Value, rel: &str) -> &'a Value {
    doc["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["rel"] == rel))
        .unwrap_or_else(|| panic!("no {rel} link in {doc}"))
}

#[test]
fn tilejson_describes_the_layer_for_maplibre() {
    let s = Server::start();
    let res = s.get("/collections/incidents/tiles/WebMercatorQuad?f=tilejson&datetime=2022-01-21");
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.mapbox.tile+json"
    );
    let (st, tj) = json_of(res);
    assert_eq!(st, 200, "{tj}");
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["scheme"], "xyz");
    assert_eq!(
        (tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()),
        (Some(0), Some(22))
    );
    let template = tj["tiles"][0].as_str().unwrap();
    assert_eq!(
        template,
        format!(
            "{}/collections/incidents/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}?datetime=2022-01-21",
            s.base
        )
    );
    // Incidents span the city centre (40.74772, 36.50237) to al-Zuhur / Villat al-Humr.
    let bounds: Vec<f64> = tj["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(bounds, vec![40.74772, 36.4757, 40.7781, 36.50237]);
    let center = tj["center"].as_array().unwrap();
    assert!((center[0].as_f64().unwrap() - 40.76291).abs() < 1e-9);
    assert!((10..=14).contains(&center[2].as_u64().unwrap()));
    let layer = &tj["vector_layers"][0];
    assert_eq!(layer["id"], "incidents");
    let fields = &layer["fields"];
    assert_eq!(fields["event_type"], "String");
    assert_eq!(fields["fatalities"], "Number");
    assert_eq!(fields["point_count"], "Number");
    assert_eq!(fields["tags"], "String");
    // The template, filled in as MapLibre does, gives the datetime-filtered tile.
    let (z, y, x) = ("14", "6406", "10047");
    let url = template
        .replace("{z}", z)
        .replace("{y}", y)
        .replace("{x}", x);
    let bytes = s.client().get(url).send().unwrap().bytes().unwrap();
    let (_, features) = &decode(&bytes)["incidents"];
    assert_eq!(ids(features), vec![10, 11, 13, 14, 15]);
    // Text ids are announced as the id property.
    let (_, zones) = s.get_json("/collections/clash-zones/tiles/WebMercatorQuad?f=tilejson");
    assert_eq!(zones["vector_layers"][0]["fields"]["id"], "String");
    assert_eq!(
        zones["vector_layers"][0]["fields"]["incident_count"],
        "Number"
    );
}

#[test]
fn ogc_tiles_metadata_links_tilesets_and_the_tile_matrix_set() {
    let s = Server::start();
    let (_, conf) = s.get_json("/conformance");
    let classes = conf["conformsTo"].as_array().unwrap();
    for c in [
        "core",
        "tileset",
        "tilesets-list",
        "geodata-tilesets",
        "mvt",
        "oas30",
    ] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{c}");
        assert!(classes.contains(&uri.clone().into()), "missing {uri}");
    }
    let (_, landing) = s.get_json("/");
    assert!(link(
        &landing,
        "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
    )["href"]
        .as_str()
        .unwrap()
        .ends_with("/tileMatrixSets"));

    // Every collection links its tilesets, and each list has the WebMercatorQuad tileset.
    let (_, cols) = s.get_json("/collections");
    for c in cols["collections"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let href = link(c, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector")["href"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            href.ends_with(&format!("/collections/{id}/tiles")),
            "{href}"
        );
        let (st, list) = s.get_json(&href.replace(&s.base, ""));
        assert_eq!(st, 200, "{list}");
        let ts = &list["tilesets"][0];
        assert_eq!(ts["dataType"], "vector");
        assert_eq!(ts["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
        assert_eq!(
            ts["tileMatrixSetURI"],
            "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
        );
        let item = link(ts, "item");
        assert_eq!(item["templated"], true);
        assert_eq!(item["type"], "application/vnd.mapbox-vector-tile");
        assert!(item["href"].as_str().unwrap().ends_with(&format!(
            "/collections/{id}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
        )));
    }

    let (st, ts) = s.get_json("/collections/incidents/tiles/WebMercatorQuad");
    assert_eq!(st, 200, "{ts}");
    assert_eq!(ts["layers"][0]["id"], "incidents");
    assert_eq!(ts["layers"][0]["geometryDimension"], 0);
    assert_eq!(
        ts["layers"][0]["propertiesSchema"]["properties"]["fatalities"]["type"],
        "number"
    );
    let limits = ts["tileMatrixSetLimits"].as_array().unwrap();
    assert_eq!(limits.len(), 23);
    assert_eq!(limits[14]["maxTileCol"], 16383);
    assert!(link(&ts, "alternate")["href"]
        .as_str()
        .unwrap()
        .ends_with("?f=tilejson"));
    let tms_href = link(&ts, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme")["href"]
        .as_str()
        .unwrap()
        .replace(&s.base, "");
    let (st, tms) = s.get_json(&tms_href);
    assert_eq!(st, 200, "{tms}");
    assert_eq!(tms["id"], "WebMercatorQuad");
    assert_eq!(tms["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    let m = tms["tileMatrices"].as_array().unwrap();
    assert_eq!(m.len(), 25, "the registered set defines 0..=24");
    // Values from the OGC registry's WebMercatorQuad.json.
    assert_eq!(m[14]["id"], "14");
    assert_eq!(m[14]["matrixWidth"], 16384);
    assert!((m[14]["scaleDenominator"].as_f64().unwrap() - 34123.6733415964).abs() < 1e-6);
    assert!((m[0]["cellSize"].as_f64().unwrap() - 156543.033928041).abs() < 1e-6);
    let (_, list) = s.get_json("/tileMatrixSets");
    assert_eq!(list["tileMatrixSets"][0]["id"], "WebMercatorQuad");
}

#[test]
fn openapi_declares_the_tile_paths() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    let paths = &api["paths"];
    let names = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let tile = |id: &str| {
        paths[format!(
            "/collections/{id}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
        )]["get"]
            .clone()
    };
    let incidents = tile("incidents");
    let n = names(&incidents);
    for p in [
        "tileMatrixSetId",
        "tileMatrix",
        "tileRow",
        "tileCol",
        "datetime",
        "f",
        "event_type",
    ] {
        assert!(n.iter().any(|x| x == p), "{p} in {n:?}");
    }
    assert!(
        incidents["responses"]["200"]["content"]["application/vnd.mapbox-vector-tile"].is_object()
    );
    assert!(incidents["responses"]["204"].is_object());
    assert!(incidents["responses"]["404"].is_object());
    // Each collection's own parameters, as on its items.
    let zones = names(&tile("clash-zones"));
    assert!(zones.iter().any(|x| x == "cluster_distance_m"), "{zones:?}");
    let tileset = &paths["/collections/incidents/tiles/{tileMatrixSetId}"]["get"];
    assert!(tileset["responses"]["200"]["content"]["application/vnd.mapbox.tile+json"].is_object());
    for p in [
        "/tileMatrixSets",
        "/tileMatrixSets/{tileMatrixSetId}",
        "/collections/places/tiles",
        "/collections/displacement-flows/tiles/{tileMatrixSetId}",
    ] {
        assert!(paths[p]["get"].is_object(), "{p}");
    }
    // The operations annotated on /collections/{collectionId}/… are there as each collection's.
    let paths = paths.as_object().expect("paths");
    let templates: Vec<&String> = (paths.keys())
        .filter(|p| p.starts_with("/collections/{collectionId}/"))
        .collect();
    assert!(templates.is_empty(), "{templates:?}");
}

// --- Thinning ----------------------------------------------------------------------------

fn cli(args: &[&str]) -> String {
    let out = output_within(
        Command::new(BIN).args(args).env("RUST_LOG", "warn"),
        std::time::Duration::from_secs(300),
    )
    .expect("run incident-atlas");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn crowded_tiles_are_thinned_with_counts_that_add_up() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("gen.geojson");
    std::fs::write(&file, cli(&["generate", "--count", "5000", "--seed", "3"])).unwrap();
    let db = tmp.path().join("gen.sqlite");
    cli(&[
        "import",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    let s = Server::start_on(&db, &["--no-seed"], None);
    let (_, fc) = s.get_json("/collections/incidents/items?limit=1");
    assert_eq!(fc["numberMatched"], 5000);

    // z0: all 5,000 fall on a few grid cells; each kept point stands for its cell.
    let z0 = layer(&s, "incidents", "0/0/0", "");
    assert!(z0.len() < 100, "{} points kept at z0", z0.len());
    let total: f64 = z0.iter().map(|f| f.number("point_count")).sum();
    assert_eq!(total, 5000.0);
    // Thinned points carry the filterable properties, not the free text.
    let f = &z0[0];
    assert!(f.props.contains_key("event_type") && f.props.contains_key("fatalities"));
    assert!(!f.props.contains_key("notes"));
    // Kept points are the first of their cell: the lowest id is always kept.
    assert_eq!(ids(&z0)[0], 1);

    // The same data give the same tile: a second server on the same store renders it afresh
    // (nothing cached) from an index it built itself.
    let path = "/collections/incidents/tiles/WebMercatorQuad/0/0/0";
    let other = Server::start_on(&db, &["--no-seed"], None);
    assert_eq!(tile_bytes(&s, path).1, tile_bytes(&other, path).1);

    // The thinned counts of a datetime window add up to that window's matches.
    let (_, year) =
        s.get_json("/collections/incidents/items?limit=1&datetime=2019-01-01/2019-12-31");
    let z0_2019 = layer(&s, "incidents", "0/0/0", "?datetime=2019-01-01/2019-12-31");
    let total: f64 = z0_2019.iter().map(|f| f.number("point_count")).sum();
    assert_eq!(total, year["numberMatched"].as_f64().unwrap());

    // At z17 around the prison few points remain: full detail.
    let z17 = layer(&s, "incidents", "17/51254/80377", "");
    assert!(z17.len() <= 1000);
    assert!(z17.iter().all(|f| f.number("point_count") == 1.0));
    assert!(z17.iter().all(|f| f.props.contains_key("notes")));
}

// --- GDAL -------------------------------------------------------------------------------

#[test]
fn gdal_opens_saved_tiles() {
    let s = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let save = |collection: &str| {
        let (status, bytes, _) = tile_bytes(
            &s,
            &format!("/collections/{collection}/tiles/WebMercatorQuad/{PRISON_Z14}"),
        );
        assert_eq!(status, 200);
        let file = tmp.path().join(format!("{collection}.mvt"));
        std::fs::write(&file, bytes).unwrap();
        file.to_str().unwrap().to_owned()
    };
    // X/Y/Z tell the driver where a lone tile lies (it then reports EPSG:3857 metres).
    let where_ = ["-oo", "X=10047", "-oo", "Y=6406", "-oo", "Z=14"];
    let incidents = save("incidents");
    let mut args = vec!["-ro", "-al", &incidents];
    args.extend(where_);
    let Some(out) = ogrinfo(&args) else {
        return;
    };
    assert!(out.contains("Layer name: incidents"), "{out}");
    assert!(out.contains("Feature Count: 13"), "{out}");
    // Incident 5 with its properties, at the prison in Web Mercator metres:
    // x = 40.7625·π/180·6378137 = 4537660.74, y = ln(tan(45° + 36.4775°/2))·6378137 = 4366525.12.
    let five = out
        .split("OGRFeature(incidents)")
        .find(|f| f.contains("mvt_id (Integer64) = 5\n"))
        .expect("incident 5");
    assert!(five.contains("event_type (String) = Battles"), "{five}");
    assert!(five.contains("fatalities (Integer) = 30"), "{five}");
    let coords: Vec<f64> = five
        .split("POINT (")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("a point")
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    // One grid unit at z14 is 9.55 m / 16 = 0.6 m.
    assert!((coords[0] - 4_537_660.74).abs() < 0.6, "{coords:?}");
    assert!((coords[1] - 4_366_525.12).abs() < 0.6, "{coords:?}");

    let zones = save("clash-zones");
    let mut args = vec!["-ro", "-al", "-q", &zones];
    args.extend(where_);
    let out = ogrinfo(&args).unwrap();
    assert!(out.contains("incident_count (Integer) = 12"), "{out}");
    assert_eq!(out.matches("POLYGON ((").count(), 1, "{out}");
}
