//! OGC API – Features Part 2 (crs, bbox-crs, Content-Crs) and property selection
//! (`properties`), against the real server and the embedded al-Hasakah data.
mod common;
use common::*;
use serde_json::{json, Value};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
const EPSG3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
const ITEMS: &str = "/collections/incidents/items";

/// Reference values from PROJ (`cs2cs -f %.9f OGC:CRS84 EPSG:3857`), not from our code.
const PRISON_CRS84: [f64; 2] = [40.7625, 36.4775];
const PRISON_3857: [f64; 2] = [4_537_660.743_460_814, 4_366_525.124_202_779];
const ZUHUR_CRS84: [f64; 2] = [40.7703, 36.4757];
const ZUHUR_3857: [f64; 2] = [4_538_529.035_489_001, 4_366_275.932_370_451];

/// Web Mercator written out here from EPSG method 1024, to compare whole collections.
fn mercator(lon: f64, lat: f64) -> [f64; 2] {
    let r = 6_378_137.0;
    let y = r
        * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln();
    [r * lon.to_radians(), y]
}

fn xy(v: &Value) -> [f64; 2] {
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}

fn assert_close(got: [f64; 2], want: [f64; 2], tolerance: f64, what: &str) {
    assert!(
        (got[0] - want[0]).abs() <= tolerance && (got[1] - want[1]).abs() <= tolerance,
        "{what}: got {got:?}, want {want:?} (±{tolerance})"
    );
}

fn content_crs(res: &reqwest::blocking::Response) -> Option<String> {
    res.headers()
        .get("content-crs")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// GET returning status, Content-Crs and the JSON body.
fn get(s: &Server, path: &str) -> (u16, Option<String>, Value) {
    let res = s.get(path);
    let crs = content_crs(&res);
    let (status, body) = json_of(res);
    (status, crs, body)
}

fn enc(uri: &str) -> String {
    form_urlencoded::byte_serialize(uri.as_bytes()).collect()
}

/// Every position of a geometry, flattened, in order.
fn positions(g: &Value) -> Vec<[f64; 2]> {
    fn walk(v: &Value, out: &mut Vec<[f64; 2]>) {
        match v.as_array() {
            Some(a) if a.first().is_some_and(Value::is_number) => out.push(xy(v)),
            Some(a) => a.iter().for_each(|x| walk(x, out)),
            None => {}
        }
    }
    let mut out = Vec::new();
    walk(&g["coordinates"], &mut out);
    out
}

#[test]
fn a_known_incident_in_each_crs() {
    let s = Server::start();
    let cases: [(Option<&str>, &str, [f64; 2], f64); 5] = [
        (None, CRS84, PRISON_CRS84, 1e-9),
        (Some(CRS84), CRS84, PRISON_CRS84, 1e-9),
        // EPSG:4326 is latitude first.
        (Some(EPSG4326), EPSG4326, [36.4775, 40.7625], 1e-9),
        (Some(EPSG3857), EPSG3857, PRISON_3857, 0.01),
        // A CURIE is accepted; the header names the URI.
        (Some("EPSG:3857"), EPSG3857, PRISON_3857, 0.01),
    ];
    for (asked, named, want, tolerance) in cases {
        let path = match asked {
            None => format!("{ITEMS}/1"),
            Some(c) => format!("{ITEMS}/1?crs={}", enc(c)),
        };
        let (status, crs, f) = get(&s, &path);
        assert_eq!(status, 200, "{path}: {f}");
        assert_eq!(
            crs.as_deref(),
            Some(format!("<{named}>").as_str()),
            "{path}"
        );
        assert_eq!(f["geometry"]["type"], "Point");
        assert_close(xy(&f["geometry"]["coordinates"]), want, tolerance, &path);
        // Properties stay as stored: latitude/longitude are WGS84 values, not geometry.
        assert_eq!(f["properties"]["latitude"], 36.4775, "{path}");
        assert_eq!(f["properties"]["longitude"], 40.7625, "{path}");
        // The self link keeps the crs asked for.
        let href = f["links"][0]["href"].as_str().unwrap();
        assert_eq!(href.contains("crs="), asked.is_some(), "{href}");
    }
    let (_, _, zuhur) = get(&s, &format!("{ITEMS}/10?crs={}", enc(EPSG3857)));
    assert_close(
        xy(&zuhur["geometry"]["coordinates"]),
        ZUHUR_3857,
        0.01,
        "al-Zuhur",
    );
    let (_, _, zuhur) = get(&s, &format!("{ITEMS}/10"));
    assert_close(
        xy(&zuhur["geometry"]["coordinates"]),
        ZUHUR_CRS84,
        1e-9,
        "al-Zuhur",
    );
}

#[test]
fn every_incident_in_4326_and_3857() {
    let s = Server::start();
    let (_, crs, base) = get(&s, ITEMS);
    assert_eq!(crs.as_deref(), Some(format!("<{CRS84}>").as_str()));
    let base = base["features"].as_array().unwrap().clone();
    assert_eq!(base.len(), 16);
    for (uri, expect) in [
        (
            EPSG4326,
            (|[lon, lat]: [f64; 2]| [lat, lon]) as fn([f64; 2]) -> [f64; 2],
        ),
        (EPSG3857, |[lon, lat]: [f64; 2]| mercator(lon, lat)),
    ] {
        let (status, crs, fc) = get(&s, &format!("{ITEMS}?crs={}", enc(uri)));
        assert_eq!(status, 200, "{fc}");
        assert_eq!(crs, Some(format!("<{uri}>")));
        let features = fc["features"].as_array().unwrap();
        assert_eq!(
            ids(&fc),
            ids(&json!({"features": base})),
            "{uri}: same features"
        );
        for (f, b) in features.iter().zip(&base) {
            let want = expect(xy(&b["geometry"]["coordinates"]));
            assert_close(xy(&f["geometry"]["coordinates"]), want, 0.01, uri);
            assert_eq!(
                f["properties"], b["properties"],
                "{uri}: properties unchanged"
            );
        }
        // Paging links carry crs on.
        let (_, _, page) = get(&s, &format!("{ITEMS}?crs={}&limit=5", enc(uri)));
        let next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .unwrap()["href"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(next.contains(&format!("crs={}", enc(uri))), "{next}");
    }
}

#[test]
fn bbox_crs_selects_the_same_incidents() {
    let s = Server::start();
    let crs84 = "/collections/incidents/items?bbox=40.768,36.474,40.772,36.478";
    let (_, _, want) = get(&s, crs84);
    let want_ids = ids(&want);
    assert_eq!(
        want_ids,
        vec![json!(2), json!(7), json!(10), json!(14), json!(15)]
    );
    // The same box in EPSG:3857 (corners by PROJ) and in EPSG:4326 (latitude first).
    for path in [
        format!(
            "{ITEMS}?bbox=4538273.000660,4366040.589843,4538718.278623,4366594.345183&bbox-crs={}",
            enc(EPSG3857)
        ),
        format!(
            "{ITEMS}?bbox=36.474,40.768,36.478,40.772&bbox-crs={}",
            enc(EPSG4326)
        ),
        format!(
            "{ITEMS}?bbox=40.768,36.474,40.772,36.478&bbox-crs={}",
            enc(CRS84)
        ),
        // 6 numbers: heights are ignored.
        format!(
            "{ITEMS}?bbox=4538273.0,4366040.6,0,4538718.3,4366594.3,100&bbox-crs={}",
            enc(EPSG3857)
        ),
    ] {
        let (status, _, fc) = get(&s, &path);
        assert_eq!(status, 200, "{path}: {fc}");
        assert_eq!(ids(&fc), want_ids, "{path}");
    }
    // bbox-crs and crs are independent: a 3857 box, answered in 4326.
    let (_, crs, fc) = get(
        &s,
        &format!(
            "{ITEMS}?bbox=4538273,4366040,4538719,4366595&bbox-crs={}&crs={}",
            enc(EPSG3857),
            enc(EPSG4326)
        ),
    );
    assert_eq!(crs, Some(format!("<{EPSG4326}>")));
    assert_eq!(ids(&fc), want_ids);
    assert_close(
        xy(&fc["features"][2]["geometry"]["coordinates"]),
        [36.4757, 40.7703],
        1e-9,
        "id 10 in 4326",
    );
    // A box 500 m west of al-Zuhur holds none of them; the whole Web Mercator world all 16.
    let (west_status, _, west) = get(
        &s,
        &format!(
            "{ITEMS}?bbox=4537700,4366040,4538200,4366595&bbox-crs={}",
            enc(EPSG3857)
        ),
    );
    assert!(ids(&west).iter().all(|id| !want_ids.contains(id)), "{west}");
    assert_eq!(west_status, 200, "{west}");
    // The same box in CRS84 (corners through the inverse Web Mercator) selects the same.
    let (_, _, west84) = get(
        &s,
        &format!("{ITEMS}?bbox=40.762853,36.473996,40.767344,36.478005"),
    );
    assert_eq!(west["numberMatched"], west84["numberMatched"], "{west}");
    assert_eq!(ids(&west), ids(&west84));
    let (_, _, world) = get(
        &s,
        &format!(
            "{ITEMS}?bbox=-20037508.34,-20037508.34,20037508.34,20037508.34&bbox-crs={}",
            enc(EPSG3857)
        ),
    );
    assert_eq!(world["numberMatched"], 16);
}

#[test]
fn bbox_crs_on_places_and_search() {
    let s = Server::start();
    // Places whose polygons touch a 3857 box around the prison's anchor, as with CRS84.
    let (_, _, want) = get(
        &s,
        "/collections/places/items?bbox=40.762,36.477,40.763,36.478",
    );
    let [x0, y0] = mercator(40.762, 36.477);
    let [x1, y1] = mercator(40.763, 36.478);
    let (status, _, got) = get(
        &s,
        &format!(
            "/collections/places/items?bbox={x0},{y0},{x1},{y1}&bbox-crs={}",
            enc(EPSG3857)
        ),
    );
    assert_eq!(status, 200, "{got}");
    assert!(ids(&want).contains(&json!("al-sinaa-prison")), "{want}");
    assert_eq!(ids(&got), ids(&want));

    // POST search takes crs and bbox-crs members.
    let res = s
        .client()
        .post(s.url("/collections/incidents/search"))
        .header("Content-Type", "application/json")
        .body(
            json!({"bbox": [36.474, 40.768, 36.478, 40.772], "bbox-crs": EPSG4326,
                   "crs": EPSG3857, "limit": 2})
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(content_crs(&res), Some(format!("<{EPSG3857}>")));
    let (status, fc) = json_of(res);
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["numberMatched"], 5);
    assert_eq!(ids(&fc), vec![json!(2), json!(7)]);
    let (_, _, two) = get(&s, &format!("{ITEMS}/2"));
    let [lon, lat] = xy(&two["geometry"]["coordinates"]);
    assert_close(
        xy(&fc["features"][0]["geometry"]["coordinates"]),
        mercator(lon, lat),
        0.01,
        "search id 2",
    );
    let (status, bad) = s.post(
        "/collections/incidents/search",
        &json!({"crs": "EPSG:32637"}),
    );
    assert_problem(status, &bad, 400, "/crs");
}

#[test]
fn polygons_and_lines_are_transformed() {
    let s = Server::start();
    // The prison polygon: first two corners by PROJ.
    let (status, crs, prison) = get(
        &s,
        &format!(
            "/collections/places/items/al-sinaa-prison?crs={}",
            enc(EPSG3857)
        ),
    );
    assert_eq!(status, 200, "{prison}");
    assert_eq!(crs, Some(format!("<{EPSG3857}>")));
    assert_eq!(prison["geometry"]["type"], "Polygon");
    let ring = positions(&prison["geometry"]);
    assert_close(
        ring[0],
        [4_537_473.949_355, 4_366_337.952_908],
        0.01,
        "prison corner",
    );
    assert_close(
        ring[2],
        [4_537_847.537_566, 4_366_712.298_763],
        0.01,
        "prison corner",
    );
    // The rest of the properties are the place's, anchor included (in WGS84).
    assert_eq!(prison["properties"]["anchor"], json!([40.7625, 36.4775]));

    // Every place, zone and displacement layer: each position is its CRS84 one transformed.
    let flow = json!({"type": "Feature", "geometry": null, "properties": {
        "date": "2022-01-22", "origin": "al-Zuhur", "destination": "Tal Hajar", "households": 40}});
    let (st, body) = s.post("/collections/displacement-reports/items", &flow);
    assert_eq!(st, 201, "{body}");
    for (collection, kinds) in [
        ("places", &["Polygon", "MultiPolygon", "Point"][..]),
        ("clash-zones", &["Polygon", "MultiPolygon"][..]),
        ("displacement-flows", &["LineString"][..]),
        ("displacement-origins", &["Polygon", "MultiPolygon"][..]),
        ("displacement-reports", &["Point"][..]),
    ] {
        let path = format!("/collections/{collection}/items");
        let (_, _, base) = get(&s, &path);
        assert!(base["numberReturned"].as_u64().unwrap() > 0, "{collection}");
        for (uri, tolerance) in [(EPSG4326, 1e-9), (EPSG3857, 0.01)] {
            let (status, crs, fc) = get(&s, &format!("{path}?crs={}", enc(uri)));
            assert_eq!(status, 200, "{collection}: {fc}");
            assert_eq!(crs, Some(format!("<{uri}>")), "{collection}");
            assert_eq!(ids(&fc), ids(&base), "{collection}");
            for (f, b) in fc["features"]
                .as_array()
                .unwrap()
                .iter()
                .zip(base["features"].as_array().unwrap())
            {
                assert_eq!(f["geometry"]["type"], b["geometry"]["type"], "{collection}");
                assert!(kinds.contains(&f["geometry"]["type"].as_str().unwrap()));
                assert_eq!(f["properties"], b["properties"], "{collection}");
                let (got, want) = (positions(&f["geometry"]), positions(&b["geometry"]));
                assert_eq!(got.len(), want.len(), "{collection}");
                for (g, [lon, lat]) in got.into_iter().zip(want) {
                    let expected = if uri == EPSG4326 {
                        [lat, lon]
                    } else {
                        mercator(lon, lat)
                    };
                    assert_close(g, expected, tolerance, collection);
                }
            }
        }
    }
}

#[test]
fn collections_list_their_crs() {
    let s = Server::start();
    let all = json!([CRS84, EPSG4326, EPSG3857]);
    let (_, conformance) = s.get_json("/conformance");
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .contains(&json!(
                "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
            )),
        "{conformance}"
    );
    let (_, collections) = s.get_json("/collections");
    assert_eq!(collections["crs"], all);
    let list = collections["collections"].as_array().unwrap();
    assert_eq!(list.len(), 6);
    for c in list {
        assert_eq!(c["crs"], all, "{}", c["id"]);
        assert_eq!(c["storageCrs"], CRS84, "{}", c["id"]);
        let (_, one) = s.get_json(&format!("/collections/{}", c["id"].as_str().unwrap()));
        assert_eq!(one["crs"], all);
        assert_eq!(one["storageCrs"], CRS84);
    }
}

#[test]
fn content_crs_on_every_feature_response() {
    let s = Server::start();
    let want = Some(format!("<{CRS84}>"));
    for path in [
        ITEMS.to_owned(),
        format!("{ITEMS}/1"),
        "/collections/places/items/al-zuhur".into(),
        "/collections/clash-zones/items".into(),
        "/collections/displacement-reports/items".into(),
        "/geocode?q=al-Zuhur".into(),
        "/reverse?lon=40.7625&lat=36.4775".into(),
    ] {
        let res = s.get(&path);
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(content_crs(&res), want, "{path}");
    }
    // Writes answer with the written feature, in CRS84.
    let res = s
        .client()
        .post(s.url(ITEMS))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/geo+json")
        .body(incident("al-Zuhur").to_string())
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(content_crs(&res), want);
    // Metadata is not a feature response.
    assert_eq!(content_crs(&s.get("/collections/incidents")), None);
    // CORS lets browsers read it.
    let res = s
        .client()
        .get(s.url(ITEMS))
        .header("Origin", "http://example.org")
        .send()
        .unwrap();
    let exposed = res
        .headers()
        .get("access-control-expose-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(exposed.contains("content-crs"), "{exposed}");
}

#[test]
fn unsupported_crs_and_bad_boxes_are_400s() {
    let s = Server::start();
    for (path, field) in [
        (
            format!(
                "{ITEMS}?crs={}",
                enc("http://www.opengis.net/def/crs/EPSG/0/32637")
            ),
            "crs",
        ),
        (format!("{ITEMS}/1?crs=EPSG:900913"), "crs"),
        (
            "/collections/places/items/al-zuhur?crs=4326".to_owned(),
            "crs",
        ),
        (
            format!("{ITEMS}?bbox=1,2,3,4&bbox-crs=EPSG:2154"),
            "bbox-crs",
        ),
        (format!("{ITEMS}?bbox=1,2,3,4&crs="), "crs"),
        // CRS84 order for a world-wide box where EPSG:4326 wants latitudes first.
        (
            format!("{ITEMS}?bbox=-180,-90,180,90&bbox-crs={}", enc(EPSG4326)),
            "bbox",
        ),
        // Outside the Web Mercator world, and upside down.
        (
            format!("{ITEMS}?bbox=-3e7,0,0,1&bbox-crs={}", enc(EPSG3857)),
            "bbox",
        ),
        (
            format!("{ITEMS}?bbox=0,2,1,1&bbox-crs={}", enc(EPSG3857)),
            "bbox",
        ),
    ] {
        let (status, body) = s.get_json(&path);
        assert_problem(status, &body, 400, field);
        assert!(
            body["errors"][0]["field"] == field,
            "{path}: errors name {field}: {body}"
        );
    }
    // The refusal lists what is supported.
    let (_, body) = s.get_json(&format!("{ITEMS}?crs=EPSG:32637"));
    let detail = body["detail"].as_str().unwrap();
    for uri in [CRS84, EPSG4326, EPSG3857] {
        assert!(detail.contains(uri), "{detail}");
    }
    let (_, body) = s.get_json(&format!(
        "{ITEMS}?bbox=-180,-90,180,90&bbox-crs={}",
        enc(EPSG4326)
    ));
    assert!(
        body["detail"].as_str().unwrap().contains("minLat,minLon"),
        "{body}"
    );
    // The same numbers in the order EPSG:4326 has are the whole world.
    let (_, world) = s.get_json(&format!(
        "{ITEMS}?bbox=-90,-180,90,180&bbox-crs={}",
        enc(EPSG4326)
    ));
    assert_eq!(world["numberMatched"], 16);
}

// --- properties ----------------------------------------------------------------------------

fn keys(f: &Value) -> Vec<String> {
    f["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no properties: {f}"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn properties_selects_incident_properties() {
    let s = Server::start();
    let (_, full) = s.get_json(ITEMS);
    let (status, fc) = s.get_json(&format!("{ITEMS}?properties=fatalities,event_type"));
    assert_eq!(status, 200, "{fc}");
    assert_eq!(ids(&fc), ids(&full));
    for (f, whole) in fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .zip(full["features"].as_array().unwrap())
    {
        // In the collection's order, whatever the request's.
        assert_eq!(keys(f), ["event_type", "fatalities"]);
        assert_eq!(
            f["properties"]["event_type"],
            whole["properties"]["event_type"]
        );
        assert_eq!(
            f["properties"]["fatalities"],
            whole["properties"]["fatalities"]
        );
        assert_eq!(f["geometry"], whole["geometry"]);
        assert_eq!(f["type"], "Feature");
    }
    // The known incident: al-Zuhur air strike, 4 killed.
    let (status, one) = s.get_json(&format!("{ITEMS}/10?properties=event_type,fatalities"));
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        one["properties"],
        json!({"event_type": "Explosions/Remote violence", "fatalities": 4})
    );
    assert_eq!(one["id"], 10);
    assert_eq!(one["geometry"]["coordinates"], json!([40.7703, 36.4757]));
    // Empty selects none; spaces are trimmed; distance_m is selectable with near.
    let (_, none) = s.get_json(&format!("{ITEMS}/10?properties="));
    assert_eq!(none["properties"], json!({}));
    let (_, near) = s.get_json(&format!(
        "{ITEMS}?near=40.7625,36.4775&radius=800&properties=distance_m,%20location&limit=1"
    ));
    assert_eq!(
        near["features"][0]["properties"],
        json!({"location": "al-Sina'a prison", "distance_m": 0.0})
    );
    let (_, no_distance) = s.get_json(&format!(
        "{ITEMS}?near=40.7625,36.4775&radius=800&properties=location&limit=1"
    ));
    assert_eq!(
        no_distance["features"][0]["properties"],
        json!({"location": "al-Sina'a prison"})
    );
    // With a crs too.
    let (_, both) = s.get_json(&format!(
        "{ITEMS}/10?properties=fatalities&crs={}",
        enc(EPSG3857)
    ));
    assert_eq!(both["properties"], json!({"fatalities": 4}));
    assert_close(
        xy(&both["geometry"]["coordinates"]),
        ZUHUR_3857,
        0.01,
        "both",
    );
}

#[test]
fn properties_on_every_collection() {
    let s = Server::start();
    let flow = json!({"type": "Feature", "geometry": null, "properties": {
        "date": "2022-01-22", "origin": "al-Zuhur", "destination": "Tal Hajar", "households": 40}});
    let (st, body) = s.post("/collections/displacement-reports/items", &flow);
    assert_eq!(st, 201, "{body}");
    let (_, api) = s.get_json("/api");
    for (collection, pick) in [
        ("places", "kind"),
        ("clash-zones", "intensity"),
        ("displacement-reports", "households"),
        ("displacement-flows", "report_count"),
        ("displacement-origins", "name"),
    ] {
        let path = format!("/collections/{collection}/items");
        let (_, full) = s.get_json(&path);
        let (status, fc) = s.get_json(&format!("{path}?properties={pick}"));
        assert_eq!(status, 200, "{collection}: {fc}");
        assert_eq!(ids(&fc), ids(&full), "{collection}");
        assert!(!ids(&fc).is_empty(), "{collection}");
        for (f, whole) in fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .zip(full["features"].as_array().unwrap())
        {
            assert_eq!(
                f["properties"],
                json!({pick: whole["properties"][pick]}),
                "{collection}"
            );
            assert_eq!(f["geometry"], whole["geometry"], "{collection}");
        }
        // A single item too.
        let first = ids(&full)[0].clone();
        let fid = first
            .as_str()
            .map_or_else(|| first.to_string(), str::to_owned);
        let (status, one) = s.get_json(&format!("{path}/{fid}?properties={pick}"));
        assert_eq!(status, 200, "{collection}/{fid}: {one}");
        assert_eq!(keys(&one), [pick]);
        // Every property a feature has is selectable, and the OpenAPI lists it.
        let declared: Vec<&str> = api["paths"][&path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "properties")
            .unwrap()["schema"]["items"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for f in full["features"].as_array().unwrap() {
            for k in keys(f) {
                assert!(
                    declared.contains(&k.as_str()),
                    "{collection}: {k} not in {declared:?}"
                );
            }
        }
        let all = declared.join(",");
        let (status, every) = s.get_json(&format!("{path}?properties={all}"));
        assert_eq!(status, 200, "{collection}: {every}");
        assert_eq!(
            every["features"], full["features"],
            "{collection}: all named = default"
        );
    }
}

#[test]
fn unknown_properties_are_400s() {
    let s = Server::start();
    for path in [
        format!("{ITEMS}?properties=event_type,casualties"),
        format!("{ITEMS}/1?properties=name"),
        "/collections/places/items?properties=event_type".to_owned(),
        "/collections/clash-zones/items?properties=fatalities,nope".to_owned(),
    ] {
        let (status, body) = s.get_json(&path);
        assert_problem(status, &body, 400, "properties");
        assert_eq!(body["errors"][0]["field"], "properties", "{path}");
    }
    let (_, body) = s.get_json(&format!("{ITEMS}?properties=casualties"));
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("'casualties'") && detail.contains("fatalities"),
        "{detail}"
    );
}

#[test]
fn openapi_declares_crs_parameters_and_the_header() {
    let s = Server::start();
    let (_, api) = s.get_json("/api");
    let names = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let items = &api["paths"][ITEMS]["get"];
    let item = &api["paths"]["/collections/incidents/items/{featureId}"]["get"];
    for name in ["crs", "bbox-crs", "properties"] {
        assert!(
            names(items).contains(&name.to_owned()),
            "items lacks {name}"
        );
    }
    for name in ["crs", "properties"] {
        assert!(names(item).contains(&name.to_owned()), "item lacks {name}");
    }
    let crs = items["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "crs")
        .unwrap();
    assert_eq!(crs["schema"]["enum"], json!([CRS84, EPSG4326, EPSG3857]));
    for op in [
        items,
        item,
        &api["paths"]["/collections/incidents/search"]["post"],
    ] {
        assert!(
            op["responses"]["200"]["headers"]["Content-Crs"].is_object(),
            "{}",
            op["operationId"]
        );
    }
}
