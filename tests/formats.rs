//! Output formats chosen by `f` or `Accept`: ACLED-layout CSV, GeoJSON text sequences
//! (RFC 8142), FlatGeobuf read back by the flatgeobuf crate and by ogrinfo, HTML for people,
//! alternate links, 406 and q-values. Facts pinned from the seeded scenario: incident 10 is
//! the coalition air strike on al-Zuhur at [40.7703, 36.4757] with 4 fatalities.
mod common;
use common::*;

use std::io::Cursor;

use flatgeobuf::{FallibleStreamingIterator, FeatureProperties, FgbReader, GeometryType};
use geozero::ToGeo;
use reqwest::blocking::Response;
use serde_json::{json, Value};

const ITEMS: &str = "/collections/incidents/items";
const SEEDED_INCIDENTS: usize = 16;
const SEEDED_PLACES: usize = 17;
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// ACLED's own columns, in ACLED's order, as its exports and tools have them.
const ACLED_COLUMNS: [&str; 31] = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
];

fn header(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn media_type(res: &Response) -> String {
    let ct = header(res, "content-type").unwrap_or_default();
    ct.split(';').next().unwrap_or("").trim().to_owned()
}

fn get_with(s: &Server, path: &str, accept: &str) -> Response {
    s.client()
        .get(s.url(path))
        .header("Accept", accept)
        .send()
        .expect("GET")
}

fn body_bytes(res: Response) -> Vec<u8> {
    assert_eq!(res.status(), 200, "{:?}", res.url().to_string());
    res.bytes().expect("body").to_vec()
}

fn links(doc: &Value) -> &Vec<Value> {
    doc["links"].as_array().expect("links")
}

fn link_of<'a>(doc: &'a Value, rel: &str, media: &str) -> Option<&'a Value> {
    links(doc)
        .iter()
        .find(|l| l["rel"] == rel && l["type"] == media)
}

/// Posts `n` incidents (all-or-nothing) and returns their ids.
fn post_incidents(s: &Server, n: usize) -> Vec<i64> {
    let features: Vec<Value> = (0..n).map(|_| incident("al-Zuhur")).collect();
    let (status, body) = s.post(
        ITEMS,
        &json!({"type": "FeatureCollection", "features": features}),
    );
    assert_eq!(status, 201, "{body}");
    ids(&body).iter().map(|v| v.as_i64().expect("id")).collect()
}

// --- CSV ---------------------------------------------------------------------------------

#[test]
fn incidents_csv_has_acleds_columns_and_the_known_row() {
    let s = Server::start();
    let res = s.get(&format!("{ITEMS}?f=csv"));
    assert_eq!(media_type(&res), "text/csv");
    let text = String::from_utf8(body_bytes(res)).expect("UTF-8");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r
        .headers()
        .expect("header row")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(
        headers[..ACLED_COLUMNS.len()],
        ACLED_COLUMNS,
        "ACLED's columns first, in ACLED's order"
    );
    assert_eq!(
        headers[ACLED_COLUMNS.len()],
        "id",
        "ours follow: {headers:?}"
    );
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), SEEDED_INCIDENTS, "no default page for exports");
    let strike = rows
        .iter()
        .find(|r| &r[col("id")] == "10")
        .expect("incident 10");
    assert_eq!(&strike[col("longitude")], "40.7703");
    assert_eq!(&strike[col("latitude")], "36.4757");
    assert_eq!(&strike[col("event_type")], "Explosions/Remote violence");
    assert_eq!(&strike[col("sub_event_type")], "Air/drone strike");
    assert_eq!(&strike[col("fatalities")], "4");
    assert_eq!(&strike[col("location")], "al-Zuhur");
    assert_eq!(&strike[col("event_date")], "2022-01-21");

    // One incident is one row under the same header; Accept picks CSV as f does.
    let one = get_with(&s, &format!("{ITEMS}/10"), "text/csv");
    assert_eq!(media_type(&one), "text/csv");
    let text = String::from_utf8(body_bytes(one)).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().unwrap().len(), headers.len());
    let rows: Vec<_> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][col("longitude")], "40.7703");
}

#[test]
fn other_collections_csv_has_wkt_and_properties() {
    let s = Server::start();
    let text = String::from_utf8(body_bytes(s.get("/collections/places/items?f=csv"))).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers[..3], ["WKT", "id", "name"], "{headers:?}");
    let rows: Vec<_> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), SEEDED_PLACES);
    let zuhur = rows.iter().find(|r| &r[1] == "al-zuhur").expect("al-zuhur");
    assert_eq!(&zuhur[2], "al-Zuhur");
    assert!(zuhur[0].starts_with("POLYGON(("), "{}", &zuhur[0]);
    let name_ar = headers.iter().position(|h| h == "name_ar").unwrap();
    assert_eq!(&zuhur[name_ar], "الزهور");
}

// --- GeoJSON text sequences --------------------------------------------------------------

/// The texts of an RFC 8142 sequence: each starts with RS and ends with LF.
fn sequence(bytes: &[u8]) -> Vec<Value> {
    assert_eq!(bytes.first(), Some(&0x1e), "starts with RS");
    bytes
        .split(|b| *b == 0x1e)
        .skip(1)
        .map(|text| {
            assert_eq!(text.last(), Some(&b'\n'), "each text ends with LF");
            serde_json::from_slice(text).expect("each text is JSON")
        })
        .collect()
}

#[test]
fn geojsonseq_streams_every_match_and_honours_limit_and_offset() {
    let s = Server::start();
    // More than a default page, so the export is seen to carry everything.
    post_incidents(&s, 120);
    let (_, fc) = s.get_json(ITEMS);
    let matched = fc["numberMatched"].as_u64().unwrap() as usize;
    assert_eq!(matched, SEEDED_INCIDENTS + 120);
    assert_eq!(fc["numberReturned"], 100, "GeoJSON pages at 100");

    let res = s.get(&format!("{ITEMS}?f=geojsonseq"));
    assert_eq!(media_type(&res), "application/geo+json-seq");
    assert_eq!(
        header(&res, "transfer-encoding").as_deref(),
        Some("chunked")
    );
    assert!(header(&res, "content-length").is_none(), "streamed");
    let texts = sequence(&body_bytes(res));
    assert_eq!(texts.len(), matched, "one text per match");
    assert!(texts.iter().all(|f| f["type"] == "Feature"));
    // The whole export is in id order, past the first page too.
    let ids: Vec<i64> = texts.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let strike = texts.iter().find(|f| f["id"] == 10).expect("incident 10");
    assert_eq!(strike["geometry"]["coordinates"], json!([40.7703, 36.4757]));

    // limit and offset select the same features as the GeoJSON page; Link carries paging.
    let (_, page) = s.get_json(&format!("{ITEMS}?limit=5&offset=3"));
    let res = get_with(
        &s,
        &format!("{ITEMS}?limit=5&offset=3"),
        "application/geo+json-seq",
    );
    let link_header = header(&res, "link").expect("Link header");
    assert!(
        link_header.contains("offset=8>; rel=\"next\"; type=\"application/geo+json-seq\""),
        "{link_header}"
    );
    assert!(link_header.contains("rel=\"prev\""), "{link_header}");
    let texts = sequence(&body_bytes(res));
    let seq_ids: Vec<&Value> = texts.iter().map(|f| &f["id"]).collect();
    let page_ids: Vec<&Value> = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(seq_ids, page_ids);

    // A filter: the count is the filter's numberMatched.
    let (_, battles) = s.get_json(&format!("{ITEMS}?event_type=Battles"));
    let texts = sequence(&body_bytes(
        s.get(&format!("{ITEMS}?event_type=Battles&f=geojsonseq")),
    ));
    assert_eq!(
        texts.len() as u64,
        battles["numberMatched"].as_u64().unwrap()
    );
}

// --- FlatGeobuf --------------------------------------------------------------------------

#[test]
fn flatgeobuf_reads_back_with_the_crate_and_its_index() {
    let s = Server::start();
    let res = s.get(&format!("{ITEMS}?f=fgb"));
    assert_eq!(media_type(&res), "application/flatgeobuf");
    let bytes = body_bytes(res);
    let reader = FgbReader::open(Cursor::new(&bytes)).expect("a FlatGeobuf file");
    let header = reader.header();
    assert_eq!(header.geometry_type(), GeometryType::Point);
    assert_eq!(header.features_count(), SEEDED_INCIDENTS as u64);
    assert!(header.index_node_size() > 0, "packed R-tree index present");
    assert_eq!(header.crs().map(|c| c.code()), Some(4326));
    let mut features = reader.select_all().expect("select all");
    let mut count = 0;
    let mut strike = None;
    while let Some(f) = features.next().expect("feature") {
        count += 1;
        if f.property::<i64>("id").expect("id") == 10 {
            let geo::Geometry::Point(p) = f.to_geo().expect("geometry") else {
                panic!("not a point");
            };
            strike = Some((
                p.x(),
                p.y(),
                f.property::<String>("event_type").unwrap(),
                f.property::<i64>("fatalities").unwrap(),
            ));
        }
    }
    assert_eq!(count, SEEDED_INCIDENTS);
    assert_eq!(
        strike,
        Some((40.7703, 36.4757, "Explosions/Remote violence".to_owned(), 4))
    );

    // The index answers a bbox as the server does.
    let (_, zuhur) = s.get_json(&format!("{ITEMS}?bbox=40.768,36.474,40.772,36.478"));
    let mut hits = FgbReader::open(Cursor::new(&bytes))
        .unwrap()
        .select_bbox(40.768, 36.474, 40.772, 36.478)
        .expect("bbox via the index");
    let mut in_box = 0;
    while hits.next().unwrap().is_some() {
        in_box += 1;
    }
    assert_eq!(in_box, zuhur["numberMatched"].as_u64().unwrap());

    // Polygon layers are MultiPolygon files, every place present.
    let bytes = body_bytes(s.get("/collections/places/items?f=fgb"));
    let reader = FgbReader::open(Cursor::new(&bytes)).unwrap();
    assert_eq!(reader.header().geometry_type(), GeometryType::MultiPolygon);
    assert_eq!(reader.header().features_count(), SEEDED_PLACES as u64);
}

#[test]
fn ogrinfo_reads_downloaded_flatgeobuf_of_every_collection() {
    let s = Server::start();
    for (collection, geometry) in [
        ("incidents", "Point"),
        ("places", "Multi Polygon"),
        ("clash-zones", "Multi Polygon"),
        ("displacement-reports", "Point"),
        ("displacement-flows", "Line String"),
        ("displacement-origins", "Multi Polygon"),
    ] {
        let (_, fc) = s.get_json(&format!("/collections/{collection}/items?limit=1"));
        let matched = fc["numberMatched"].as_u64().unwrap();
        let file = s.dir.join(format!("{collection}.fgb"));
        let bytes = body_bytes(s.get(&format!("/collections/{collection}/items?f=fgb")));
        std::fs::write(&file, bytes).unwrap();
        let path = file.to_str().unwrap();
        let Some(summary) = ogrinfo(&["-ro", "-so", "-al", path]) else {
            return;
        };
        assert!(
            summary.contains(&format!("Feature Count: {matched}\n")),
            "{collection}: {summary}"
        );
        assert!(
            summary.contains(&format!("Geometry: {geometry}\n")),
            "{collection}: {summary}"
        );
        assert!(summary.contains("ID[\"EPSG\",4326]"), "{summary}");
    }
    let file = s.dir.join("incidents.fgb");
    let all = ogrinfo(&[
        "-ro",
        "-al",
        "-q",
        file.to_str().unwrap(),
        "-where",
        "id = 10",
    ])
    .unwrap();
    assert!(all.contains("POINT (40.7703 36.4757)"), "{all}");
    assert!(
        all.contains("event_type (String) = Explosions/Remote violence"),
        "{all}"
    );
    assert!(all.contains("fatalities (Integer64) = 4"), "{all}");
}

// --- HTML --------------------------------------------------------------------------------

#[test]
fn browsers_get_html_with_place_names_and_escaped_values() {
    let s = Server::start();
    let res = get_with(&s, "/collections/places/items", BROWSER);
    assert_eq!(media_type(&res), "text/html");
    let page = res.text().unwrap();
    for name in [
        "al-Zuhur",
        "Villat al-Humr",
        "Ghweiran",
        "الزهور",
        "سجن الصناعة",
    ] {
        assert!(page.contains(name), "places page names {name}");
    }
    assert!(page.contains("<table>"), "a table of properties");
    assert!(page.contains("leaflet.js"), "a map");
    assert!(
        page.contains("type=\"application/geo+json\""),
        "links to the JSON"
    );

    let mut feature = incident("al-Zuhur");
    feature["properties"]["notes"] = json!("<script>alert('owned')</script> & \"quoted\"");
    let (status, created) = s.post(ITEMS, &feature);
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    for path in [
        format!("{ITEMS}/{id}?f=html"),
        format!("{ITEMS}?f=html&limit=1000"),
    ] {
        let page = s.get(&path).text().unwrap();
        assert!(!page.contains("<script>alert"), "{path}: unescaped script");
        assert!(
            page.contains("&lt;script&gt;alert('owned')&lt;/script&gt; &amp; &quot;quoted&quot;"),
            "{path}: the notes, escaped"
        );
    }
    let item = s.get(&format!("{ITEMS}/10?f=html")).text().unwrap();
    assert!(
        item.contains("POINT(40.7703 36.4757)"),
        "geometry readable without the map"
    );
    assert!(item.contains("Air/drone strike"));

    // Every metadata resource has its page, linking to its JSON (the landing page with f=html:
    // a browser at / is sent to the map).
    for (path, text) in [
        ("/?f=html", "Incident Atlas"),
        ("/conformance", "conf/core"),
        ("/collections", "Clash zones"),
        ("/collections/incidents", "Incidents"),
    ] {
        let res = get_with(&s, path, BROWSER);
        assert_eq!(media_type(&res), "text/html", "{path}");
        let page = res.text().unwrap();
        assert!(page.contains(text), "{path} shows {text}");
        assert!(
            page.contains("rel=\"alternate\" type=\"application/json\""),
            "{path} links its JSON"
        );
    }
}

// --- Negotiation ---------------------------------------------------------------------------

#[test]
fn accept_negotiation_with_q_values_defaults_and_406() {
    let s = Server::start();
    let cases = [
        // (path, Accept, expected media type)
        (ITEMS, "", "application/geo+json"),
        (ITEMS, "*/*", "application/geo+json"),
        (ITEMS, "application/json", "application/geo+json"),
        (ITEMS, "application/geo+json", "application/geo+json"),
        (ITEMS, BROWSER, "text/html"),
        (ITEMS, "text/csv;q=0.5, text/html;q=0.4", "text/csv"),
        (
            ITEMS,
            "text/html;q=0.1, application/flatgeobuf",
            "application/flatgeobuf",
        ),
        (ITEMS, "text/html;q=0, */*", "application/geo+json"),
        ("/", "*/*", "application/json"),
        // (A browser at "/" is sent to the map: see offline_pages.)
        ("/?f=html", BROWSER, "text/html"),
        (
            "/collections",
            "application/json;q=0.9, text/html;q=0.8",
            "application/json",
        ),
        ("/conformance", "text/*", "text/html"),
    ];
    for (path, accept, expected) in cases {
        let mut req = s.client().get(s.url(path));
        if !accept.is_empty() {
            req = req.header("Accept", accept);
        }
        let res = req.send().unwrap();
        assert_eq!(res.status(), 200, "{path} Accept {accept}");
        assert_eq!(media_type(&res), expected, "{path} Accept {accept}");
        let vary = header(&res, "vary").unwrap_or_default();
        assert!(
            vary.split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("accept")),
            "{path}: Vary: {vary}"
        );
    }
    // f wins over Accept.
    let res = get_with(&s, &format!("{ITEMS}?f=geojson"), BROWSER);
    assert_eq!(media_type(&res), "application/geo+json");
    // Nothing acceptable: 406 problem; an unknown f: 400 naming f with the choices.
    for (path, accept) in [
        (ITEMS, "image/png"),
        ("/collections", "text/csv"),
        (
            ITEMS,
            "application/geo+json;q=0, application/json;q=0, text/*;q=0",
        ),
    ] {
        let res = get_with(&s, path, accept);
        assert_eq!(media_type(&res), "application/problem+json");
        let (status, body) = json_of(res);
        assert_problem(status, &body, 406, "");
    }
    let (status, body) = s.get_json(&format!("{ITEMS}?f=xml"));
    assert_problem(status, &body, 400, "f");
    let reason = body["errors"][0]["reason"].as_str().unwrap();
    for name in ["geojson", "html", "csv", "geojsonseq", "fgb"] {
        assert!(reason.contains(name), "{reason}");
    }
    let (status, body) = s.get_json("/collections?f=csv");
    assert_problem(status, &body, 400, "f");
    let (status, body) = s.get_json(&format!("{ITEMS}/10?f=geojsonseq"));
    assert_problem(status, &body, 400, "f");
}

#[test]
fn etags_differ_per_representation() {
    let s = Server::start();
    let tag = |path: &str| header(&s.get(path), "etag").expect("ETag");
    let tags = [
        tag(&format!("{ITEMS}?f=geojson")),
        tag(&format!("{ITEMS}?f=html")),
    ];
    assert_ne!(tags[0], tags[1]);
    // Downloads stream: a tag would need the whole body before the first byte.
    for f in ["csv", "geojsonseq", "fgb"] {
        let res = s.get(&format!("{ITEMS}?f={f}"));
        assert_eq!(
            header(&res, "transfer-encoding").as_deref(),
            Some("chunked"),
            "{f}"
        );
        assert!(header(&res, "etag").is_none(), "{f}");
    }
    // The HTML's tag does not revalidate the GeoJSON, and vice versa; its own does.
    let res = s
        .client()
        .get(s.url(ITEMS))
        .header("If-None-Match", &tags[1])
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = s
        .client()
        .get(s.url(ITEMS))
        .header("Accept", BROWSER)
        .header("If-None-Match", &tags[1])
        .send()
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(header(&res, "vary").is_some_and(|v| v.contains("Accept")));
    assert_eq!(tag("/"), tag("/?f=json"));
    assert_ne!(tag("/"), tag("/?f=html"));
}

// --- Alternate links -----------------------------------------------------------------------

#[test]
fn every_resource_links_its_other_formats_with_their_types() {
    let s = Server::start();
    let items_types = [
        "text/html",
        "text/csv",
        "application/geo+json-seq",
        "application/flatgeobuf",
    ];
    let cases: [(&str, &[&str]); 6] = [
        ("/", &["text/html"]),
        ("/conformance", &["text/html"]),
        ("/collections", &["text/html"]),
        ("/collections/incidents", &["text/html"]),
        (ITEMS, &items_types),
        (
            "/collections/incidents/items/10",
            &["text/html", "text/csv", "application/flatgeobuf"],
        ),
    ];
    for (path, types) in cases {
        let (status, doc) = s.get_json(path);
        assert_eq!(status, 200, "{path}: {doc}");
        for media in types {
            let l = link_of(&doc, "alternate", media)
                .unwrap_or_else(|| panic!("{path}: no alternate {media}: {}", doc["links"]));
            // Following it gives that type.
            let res = s.client().get(l["href"].as_str().unwrap()).send().unwrap();
            assert_eq!(res.status(), 200, "{path} -> {l}");
            assert_eq!(media_type(&res), *media, "{path} -> {l}");
        }
        let alternates = links(&doc)
            .iter()
            .filter(|l| l["rel"] == "alternate")
            .count();
        assert_eq!(alternates, types.len(), "{path}: {}", doc["links"]);
    }
    // A collection lists its items in every format, GeoJSON first.
    let (_, c) = s.get_json("/collections/clash-zones");
    let items: Vec<&Value> = links(&c).iter().filter(|l| l["rel"] == "items").collect();
    assert_eq!(items[0]["type"], "application/geo+json");
    assert_eq!(items.len(), 5);
    // Alternates of a page keep its query.
    let (_, page) = s.get_json(&format!("{ITEMS}?event_type=Battles&limit=2"));
    let csv = link_of(&page, "alternate", "text/csv").unwrap()["href"]
        .as_str()
        .unwrap();
    assert!(
        csv.contains("event_type=Battles") && csv.contains("limit=2") && csv.contains("f=csv"),
        "{csv}"
    );
}

/// Downloads order every match, not only the first page's worth: a store big enough for an
/// R-tree (read back after a restart) hands matches over in tree order.
#[test]
fn downloads_are_in_id_order_past_the_first_page() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("order.sqlite");
    let s = Server::start_on(&db, &[], Some(TOKEN));
    post_incidents(&s, 700);
    s.kill9();
    let s = Server::start_on(&db, &[], Some(TOKEN));
    let texts = sequence(&body_bytes(s.get(&format!("{ITEMS}?f=geojsonseq"))));
    let ids: Vec<i64> = texts.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), SEEDED_INCIDENTS + 700);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "geojsonseq: {ids:?}");
    let text = String::from_utf8(body_bytes(s.get(&format!("{ITEMS}?f=csv")))).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let column = r.headers().unwrap().iter().position(|h| h == "id").unwrap();
    let ids: Vec<i64> = r
        .records()
        .map(|rec| rec.unwrap()[column].parse().unwrap())
        .collect();
    assert_eq!(ids.len(), SEEDED_INCIDENTS + 700);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "csv: {ids:?}");
}
