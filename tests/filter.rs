//! OGC API – Features Part 3 filtering (CQL2 text and JSON), queryables and sortby, against
//! the real server and the embedded Hasakah scenario (16 incidents, 17 places, 2 reports).

mod common;

use common::{assert_problem, ids, Server, TOKEN};
use serde_json::{json, Value};

/// GET items of a collection with these (unencoded) query parameters.
fn items(s: &Server, collection: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let url = reqwest::Url::parse_with_params(
        &s.url(&format!("/collections/{collection}/items")),
        params,
    )
    .expect("url");
    common::json_of(s.client().get(url).send().expect("GET"))
}

/// The ids a filter selects, in order, asserting numberMatched agrees.
fn selected(s: &Server, collection: &str, params: &[(&str, &str)]) -> Vec<Value> {
    let (status, body) = items(s, collection, params);
    assert_eq!(status, 200, "{params:?}: {body}");
    let got = ids(&body);
    assert_eq!(body["numberMatched"], got.len(), "{params:?}");
    got
}

fn text(s: &Server, filter: &str) -> Vec<Value> {
    selected(s, "incidents", &[("filter", filter)])
}

fn cql_json(s: &Server, filter: Value) -> Vec<Value> {
    selected(
        s,
        "incidents",
        &[
            ("filter", &filter.to_string()),
            ("filter-lang", "cql2-json"),
        ],
    )
}

/// Asserts a 400 problem naming `field` whose reason contains each of `words`.
fn assert_rejected(
    s: &Server,
    collection: &str,
    params: &[(&str, &str)],
    field: &str,
    words: &[&str],
) {
    let (status, body) = items(s, collection, params);
    assert_problem(status, &body, 400, field);
    let reason = body["errors"][0]["reason"].as_str().unwrap_or_default();
    for w in words {
        assert!(
            reason.contains(w),
            "{params:?}: reason should contain {w:?}: {reason}"
        );
    }
}

#[test]
fn comparison_operators_in_cql2_text() {
    let s = Server::start();
    assert_eq!(
        text(&s, "fatalities >= 10"),
        json!([5, 6, 7, 13]).as_array().unwrap().clone()
    );
    assert_eq!(
        text(&s, "fatalities <> 0"),
        [1, 5, 6, 7, 8, 9, 10, 13, 14].map(Value::from)
    );
    assert_eq!(
        text(&s, "fatalities < 4"),
        [2, 3, 4, 9, 11, 12, 15, 16].map(Value::from)
    );
    assert_eq!(
        text(&s, "fatalities <= 4 AND fatalities > 0"),
        [1, 9, 10].map(Value::from)
    );
    assert_eq!(
        text(&s, "event_type = 'Battles' AND fatalities > 5"),
        [5, 6, 7, 13, 14].map(Value::from)
    );
    assert_eq!(
        text(
            &s,
            "event_date = DATE('2022-01-21') AND NOT event_type = 'Battles'"
        ),
        [10, 12, 15, 16].map(Value::from)
    );
    // Keywords and function names in any case; OR binds looser than AND.
    assert_eq!(
        text(
            &s,
            "place_id = 'villat-al-humr' or fatalities > 20 and event_type = 'Battles'"
        ),
        [5, 9].map(Value::from)
    );
}

#[test]
fn advanced_comparison_operators() {
    let s = Server::start();
    assert_eq!(
        text(&s, "sub_event_type LIKE 'Air%'"),
        [10, 15].map(Value::from)
    );
    assert_eq!(
        text(&s, "location LIKE 'al-_uhur'"),
        [2, 7, 10, 14, 15].map(Value::from)
    );
    assert_eq!(text(&s, "notes LIKE '%helicopter%'"), [10].map(Value::from));
    assert_eq!(
        text(&s, "fatalities BETWEEN 5 AND 14"),
        [6, 7, 8, 13, 14].map(Value::from)
    );
    assert_eq!(
        text(
            &s,
            "place_id IN ('ghweiran', 'villat-al-humr', 'ghweiran-cemetery')"
        ),
        [6, 8, 9].map(Value::from)
    );
    assert_eq!(text(&s, "actor2 IS NULL"), [2, 4, 16].map(Value::from));
    assert_eq!(
        text(
            &s,
            "actor2 IS NOT NULL AND actor2 <> 'QSD: Syrian Democratic Forces'"
        ),
        [10, 12, 15].map(Value::from)
    );
    // A null actor2 is unknown, not different: NOT (actor2 = …) leaves 2, 4 and 16 out.
    assert_eq!(
        text(&s, "NOT actor2 = 'QSD: Syrian Democratic Forces'"),
        [10, 12, 15].map(Value::from)
    );
}

#[test]
fn temporal_functions() {
    let s = Server::start();
    let jan20 = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(Value::from);
    let jan21 = [10, 11, 12, 13, 14, 15, 16].map(Value::from);
    assert_eq!(text(&s, "T_AFTER(event_date, DATE('2022-01-20'))"), jan21);
    assert_eq!(text(&s, "T_BEFORE(event_date, DATE('2022-01-21'))"), jan20);
    assert_eq!(text(&s, "T_EQUALS(event_date, DATE('2022-01-21'))"), jan21);
    assert_eq!(
        text(
            &s,
            "T_DURING(event_date, INTERVAL('2022-01-19', '2022-01-21'))"
        ),
        jan20
    );
    assert_eq!(
        text(&s, "T_INTERSECTS(event_date, INTERVAL('2022-01-21', '..'))"),
        jan21
    );
    assert_eq!(
        text(&s, "T_DISJOINT(event_date, INTERVAL('..', '2022-01-20'))"),
        jan21
    );
    assert_eq!(
        text(
            &s,
            "t_meets(event_date, INTERVAL('2022-01-21', '2022-01-31'))"
        ),
        jan20
    );
    // Timestamps: every record was written after January 2022.
    assert_eq!(
        text(&s, "T_AFTER(updated_at, TIMESTAMP('2022-02-01T00:00:00Z'))").len(),
        16
    );
    assert!(text(&s, "created_at < TIMESTAMP('2022-02-01T00:00:00Z')").is_empty());
    // A timestamp that splits the records: everything was seeded at one instant; an edit
    // after it moves incident 10 alone past it.
    let (_, one) = s.get_json("/collections/incidents/items/1");
    let seeded = one["properties"]["updated_at"].as_str().unwrap().to_owned();
    let (status, body) = s.send_json(
        reqwest::Method::PATCH,
        "/collections/incidents/items/10",
        &json!({"properties": {"notes": "Edited later"}}),
        Some(TOKEN),
    );
    assert_eq!(status, 200, "{body}");
    let ten = [10].map(Value::from).to_vec();
    assert_eq!(
        text(&s, &format!("updated_at > TIMESTAMP('{seeded}')")),
        ten
    );
    assert_eq!(
        text(&s, &format!("T_AFTER(updated_at, TIMESTAMP('{seeded}'))")),
        ten
    );
    assert_eq!(
        text(&s, &format!("updated_at <= TIMESTAMP('{seeded}')")).len(),
        15
    );
    assert_eq!(
        text(&s, &format!("created_at = TIMESTAMP('{seeded}')")).len(),
        16,
        "an edit keeps created_at"
    );
}

#[test]
fn spatial_functions() {
    let s = Server::start();
    // The square around the prison also holds the Ghweiran cemetery (8).
    let square =
        "POLYGON((40.755 36.475, 40.765 36.475, 40.765 36.485, 40.755 36.485, 40.755 36.475))";
    assert_eq!(
        text(&s, &format!("S_WITHIN(geometry, {square})")),
        [1, 3, 4, 5, 8, 11, 13].map(Value::from)
    );
    assert_eq!(
        text(&s, &format!("S_INTERSECTS(geometry, {square})")),
        [1, 3, 4, 5, 8, 11, 13].map(Value::from)
    );
    assert_eq!(
        text(&s, &format!("S_CONTAINS({square}, geometry)")),
        [1, 3, 4, 5, 8, 11, 13].map(Value::from)
    );
    assert_eq!(
        text(
            &s,
            "S_DISJOINT(geometry, BBOX(40.755, 36.47, 40.775, 36.485))"
        ),
        [6, 9, 12, 16].map(Value::from)
    );
    assert_eq!(
        text(&s, "S_INTERSECTS(geometry, POINT(40.7703 36.4757))"),
        [2, 7, 10, 14, 15].map(Value::from)
    );
    assert_eq!(
        text(&s, "S_EQUALS(geometry, POINT(40.7781 36.4847))"),
        [9].map(Value::from)
    );
    assert_eq!(
        text(
            &s,
            "S_INTERSECTS(geometry, MULTIPOINT((40.7781 36.4847), (40.74772 36.50237)))"
        ),
        [9, 12, 16].map(Value::from)
    );
    // Villat al-Humr is 548.64 m from this point, al-Zuhur 991.63 m (see the README).
    assert_eq!(
        text(&s, "S_DWITHIN(geometry, POINT(40.78 36.48), 600, 'meters')"),
        [9].map(Value::from)
    );
    assert_eq!(
        text(
            &s,
            "S_DWITHIN(geometry, POINT(40.78 36.48), 1, 'kilometers')"
        ),
        [2, 7, 9, 10, 14, 15].map(Value::from)
    );
}

#[test]
fn cql2_json_gives_the_same_answers() {
    let s = Server::start();
    let f = |name: &str| json!({"property": name});
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "and", "args": [
                {"op": ">", "args": [f("fatalities"), 5]},
                {"op": "t_intersects", "args": [f("event_date"), {"date": "2022-01-21"}]}
            ]})
        ),
        [13, 14].map(Value::from)
    );
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "like", "args": [f("sub_event_type"), "Air%"]})
        ),
        [10, 15].map(Value::from)
    );
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "between", "args": [f("fatalities"), 5, 14]})
        ),
        [6, 7, 8, 13, 14].map(Value::from)
    );
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "in", "args": [f("place_id"), ["ghweiran", "villat-al-humr"]]})
        ),
        [6, 9].map(Value::from)
    );
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "not", "args": [{"op": "isNull", "args": [f("actor2")]}]})
        )
        .len(),
        13
    );
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "s_intersects", "args": [f("geometry"), {"type": "Polygon", "coordinates":
            [[[40.755, 36.475], [40.765, 36.475], [40.765, 36.485], [40.755, 36.485], [40.755, 36.475]]]}]})
        ),
        [1, 3, 4, 5, 8, 11, 13].map(Value::from)
    );
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "s_intersects", "args": [f("geometry"), {"bbox": [40.77, 36.47, 40.78, 36.48]}]})
        ),
        [2, 7, 10, 14, 15].map(Value::from)
    );
    assert_eq!(
        cql_json(&s, json!({"op": "t_during", "args": [f("event_date"), {"interval": ["2022-01-19", "2022-01-21"]}]})).len(),
        9
    );
    assert_eq!(
        cql_json(
            &s,
            json!({"op": "s_dwithin", "args": [f("geometry"), {"type": "Point", "coordinates": [40.78, 36.48]}, 600, "meters"]})
        ),
        [9].map(Value::from)
    );
    assert_eq!(cql_json(&s, json!(true)).len(), 16);
}

#[test]
fn filters_combine_with_the_other_parameters() {
    let s = Server::start();
    let above3 = ("filter", "fatalities > 3");
    assert_eq!(
        selected(
            &s,
            "incidents",
            &[above3, ("bbox", "40.76,36.47,40.765,36.48")]
        ),
        [1, 5, 13].map(Value::from)
    );
    assert_eq!(
        selected(
            &s,
            "incidents",
            &[above3, ("datetime", "2022-01-21"), ("place_id", "al-zuhur")]
        ),
        [10, 14].map(Value::from)
    );
    // near keeps its distance order.
    assert_eq!(
        selected(
            &s,
            "incidents",
            &[above3, ("near", "40.7625,36.4775"), ("radius", "800")]
        ),
        [1, 5, 13, 8, 7, 10, 14].map(Value::from)
    );
    // Queryables are equality parameters, typed: numbers compare as numbers.
    assert_eq!(
        selected(
            &s,
            "incidents",
            &[("fatalities", "4"), ("event_date", "2022-01-21")]
        ),
        [10].map(Value::from)
    );
    assert_eq!(
        selected(
            &s,
            "incidents",
            &[("fatalities", "4.0"), ("actor2", "Islamic State (Syria)")]
        ),
        [10].map(Value::from)
    );
}

#[test]
fn sortby_orders_with_id_as_tie_break_and_pages_keep_it() {
    let s = Server::start();
    assert_eq!(
        selected(
            &s,
            "incidents",
            &[
                ("filter", "fatalities > 3"),
                ("sortby", "-fatalities,+event_date")
            ]
        ),
        [5, 7, 13, 6, 14, 8, 1, 10].map(Value::from)
    );
    // An unencoded '+' arrives as a space and still means ascending.
    let (_, body) = common::json_of(
        s.get("/collections/incidents/items?filter=fatalities%3E3&sortby=+fatalities,-id&limit=3"),
    );
    assert_eq!(ids(&body), [10, 1, 8].map(Value::from));
    let (status, body) = items(
        &s,
        "incidents",
        &[("sortby", "event_type,-id"), ("limit", "5")],
    );
    assert_eq!(status, 200);
    assert_eq!(ids(&body), [14, 13, 11, 9, 8].map(Value::from));
    // Paging: next keeps filter and sortby, and continues the order.
    let (_, page1) = items(
        &s,
        "incidents",
        &[
            ("filter", "fatalities > 3"),
            ("sortby", "-fatalities"),
            ("limit", "3"),
        ],
    );
    assert_eq!(ids(&page1), [5, 7, 13].map(Value::from));
    let next = page1["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link")["href"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        next.contains("filter=fatalities") && next.contains("sortby=-fatalities"),
        "{next}"
    );
    let (_, page2) = common::json_of(s.client().get(next).send().unwrap());
    assert_eq!(ids(&page2), [6, 14, 8].map(Value::from));
    // Nulls sort last in both directions.
    let by_actor2 = selected(
        &s,
        "incidents",
        &[("sortby", "-actor2"), ("filter", "place_id = 'al-zuhur'")],
    );
    assert_eq!(by_actor2, [7, 14, 10, 15, 2].map(Value::from));
}

#[test]
fn derived_collections_filter_on_their_own_properties() {
    let s = Server::start();
    assert_eq!(
        selected(&s, "places", &[("filter", "kind IN ('facility', 'site') AND S_INTERSECTS(geometry, BBOX(40.70, 36.40, 40.85, 36.55))")]),
        ["al-sinaa-prison", "hasakah-central-prison"].map(Value::from)
    );
    assert_eq!(
        selected(
            &s,
            "places",
            &[
                ("filter", "S_CONTAINS(geometry, POINT(40.7625 36.4775))"),
                ("sortby", "area_km2")
            ]
        ),
        [
            "al-sinaa-prison",
            "ghweiran",
            "al-hasakah",
            "al-hasakah-governorate"
        ]
        .map(Value::from)
    );
    assert_eq!(
        selected(&s, "places", &[("filter", "name_ar LIKE '%الزهور%'")]),
        ["al-zuhur"].map(Value::from)
    );
    let zones = selected(
        &s,
        "clash-zones",
        &[("cluster_distance_m", "100"), ("sortby", "-fatalities")],
    );
    assert_eq!(zones.len(), 5);
    let (_, all) = items(&s, "clash-zones", &[("cluster_distance_m", "100")]);
    let fatalities: Vec<u64> = zones
        .iter()
        .map(|id| {
            all["features"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| &f["id"] == id)
                .unwrap()["properties"]["fatalities"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        fatalities.windows(2).all(|w| w[0] >= w[1]),
        "{fatalities:?}"
    );
    let at_prison = selected(
        &s,
        "clash-zones",
        &[
            ("cluster_distance_m", "100"),
            (
                "filter",
                "S_INTERSECTS(geometry, POINT(40.7625 36.4775)) AND intensity = 'high'",
            ),
        ],
    );
    // The prison zone (incidents 1, 5, 13: 46 fatalities) is the deadliest.
    assert_eq!(at_prison, [zones[0].clone()]);
    assert_eq!(fatalities[0], 46);
    assert_eq!(
        selected(
            &s,
            "displacement-reports",
            &[("filter", "households >= 250")]
        ),
        [1].map(Value::from)
    );
    assert_eq!(
        selected(
            &s,
            "displacement-reports",
            &[(
                "filter",
                "T_INTERSECTS(INTERVAL(date_start, date_end), DATE('2022-01-20'))"
            )]
        ),
        [1].map(Value::from)
    );
    assert_eq!(
        selected(
            &s,
            "displacement-reports",
            &[("filter", "individuals IS NULL"), ("sortby", "households")]
        ),
        [2, 1].map(Value::from)
    );
    assert_eq!(
        selected(
            &s,
            "displacement-origins",
            &[("filter", "households > 250")]
        ),
        ["al-zuhur"].map(Value::from)
    );
}

#[test]
fn search_takes_a_cql2_json_filter_and_sortby() {
    let s = Server::start();
    let body = json!({
        "filter": {"op": ">=", "args": [{"property": "fatalities"}, 10]},
        "sortby": [{"field": "fatalities", "direction": "asc"}],
        "limit": 3
    });
    let (status, fc) = s.send_json(
        reqwest::Method::POST,
        "/collections/incidents/search",
        &body,
        None,
    );
    assert_eq!(status, 200, "{fc}");
    assert_eq!(
        (fc["numberMatched"].clone(), ids(&fc)),
        (json!(4), [6, 13, 7].map(Value::from).to_vec())
    );
    let text = json!({"filter": "place_id = 'al-zuhur'", "sortby": "-fatalities"});
    let (_, fc) = s.send_json(
        reqwest::Method::POST,
        "/collections/incidents/search",
        &text,
        None,
    );
    assert_eq!(ids(&fc), [7, 14, 10, 2, 15].map(Value::from));
    // `properties` equalities are typed as items' parameters are: 4.0 is the number 4, and
    // any queryable may be named.
    let typed = json!({"properties": {"fatalities": 4.0, "event_date": "2022-01-21"}});
    let (status, fc) = s.send_json(
        reqwest::Method::POST,
        "/collections/incidents/search",
        &typed,
        None,
    );
    assert_eq!(status, 200, "{fc}");
    assert_eq!(ids(&fc), [10].map(Value::from));
    let unknown = json!({"filter": {"op": "=", "args": [{"property": "nope"}, 1]}});
    let (status, problem) = s.send_json(
        reqwest::Method::POST,
        "/collections/incidents/search",
        &unknown,
        None,
    );
    assert_problem(status, &problem, 400, "filter");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("at /args/0: unknown property 'nope'"),
        "{problem}"
    );
}

#[test]
fn bad_filters_are_400s_that_say_where_and_why() {
    let s = Server::start();
    // (query parameters, the parameter the problem names, words its reason holds)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a [&'a str]);
    let cases: &[Case] = &[
        (
            &[("filter", "fatalities >")],
            "filter",
            &["at character 13", "expected a property or a value"],
        ),
        (
            &[("filter", "nope = 1")],
            "filter",
            &["at character 1", "unknown property 'nope'", "event_date"],
        ),
        (
            &[("filter", "fatalities > 'x'")],
            "filter",
            &["fatalities is a number", "without quotes"],
        ),
        (
            &[("filter", "event_date > '2022-01-20'")],
            "filter",
            &["is a date", "DATE('2022-01-20')"],
        ),
        (
            &[("filter", "notes = 'a' b")],
            "filter",
            &["at character 13", "missing AND/OR"],
        ),
        (
            &[("filter", "S_INTERSECTS(geometry, POINT(40.76 136.47))")],
            "filter",
            &["at character 24", "outside CRS84"],
        ),
        (
            &[("filter", "S_INTERSECTS(fatalities, POINT(40.76 36.47))")],
            "filter",
            &["fatalities is a number, not a geometry"],
        ),
        (
            &[("filter", "fatalities LIKE '1%'")],
            "filter",
            &["LIKE matches text"],
        ),
        (
            &[("filter", "fatalities > 5"), ("filter-lang", "cql2-json")],
            "filter",
            &["not JSON"],
        ),
        (
            &[
                ("filter", r#"{"op":"=","args":[{"property":"fatalities"}]}"#),
                ("filter-lang", "cql2-json"),
            ],
            "filter",
            &["at /args", "takes 2 arguments"],
        ),
        (
            &[("filter", "fatalities > 5"), ("filter-lang", "ecql")],
            "filter-lang",
            &["cql2-text or cql2-json"],
        ),
        (
            &[
                ("filter", "fatalities > 5"),
                ("filter-crs", "http://www.opengis.net/def/crs/EPSG/0/4326"),
            ],
            "filter-crs",
            &["CRS84"],
        ),
        (
            &[("sortby", "nope")],
            "sortby",
            &["cannot sort by 'nope'", "fatalities"],
        ),
        (
            &[("sortby", "geometry")],
            "sortby",
            &["cannot sort by 'geometry'"],
        ),
        (&[("sortby", "fatalities,,id")], "sortby", &["empty entry"]),
        (
            &[("fatalities", "many")],
            "fatalities",
            &["'many' is not a number"],
        ),
    ];
    for (params, field, words) in cases {
        assert_rejected(&s, "incidents", params, field, words);
    }
    assert_rejected(
        &s,
        "places",
        &[("filter", "fatalities > 1")],
        "filter",
        &["unknown property 'fatalities'", "kind"],
    );
    assert_rejected(
        &s,
        "clash-zones",
        &[("sortby", "notes")],
        "sortby",
        &["intensity"],
    );
}

#[test]
fn queryables_describe_every_collection() {
    let s = Server::start();
    let res = s.get("/collections/incidents/queryables");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/schema+json");
    let q: Value = res.json().unwrap();
    assert_eq!(q["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(q["$id"], s.url("/collections/incidents/queryables"));
    assert_eq!(
        (q["type"].clone(), q["additionalProperties"].clone()),
        (json!("object"), json!(false))
    );
    let p = &q["properties"];
    assert_eq!(
        p["event_date"],
        json!({"title": "event_date", "description": "Day of the event (UTC)", "type": "string", "format": "date"})
    );
    assert_eq!(p["updated_at"]["format"], "date-time");
    assert_eq!(p["fatalities"]["type"], "integer");
    assert_eq!(p["latitude"]["type"], "number");
    assert_eq!(p["geometry"]["format"], "geometry-point");
    assert_eq!(p["event_type"]["enum"].as_array().unwrap().len(), 6);
    assert_eq!(p["event_type"]["enum"][0], "Battles");
    assert_eq!(p["sub_event_type"]["enum"].as_array().unwrap().len(), 25);
    assert_eq!(
        p.as_object().unwrap().len(),
        35,
        "every served property but tags"
    );
    assert!(p.get("tags").is_none());
    let schema = |c: &str, which: &str| s.get_json(&format!("/collections/{c}/{which}")).1;
    assert_eq!(
        schema("places", "queryables")["properties"]["geometry"]["format"],
        "geometry-polygon-or-multipolygon"
    );
    assert_eq!(
        schema("places", "queryables")["properties"]["kind"]["enum"][0],
        "country"
    );
    assert_eq!(
        schema("clash-zones", "queryables")["properties"]["intensity"]["enum"],
        json!(["low", "moderate", "high", "severe"])
    );
    assert_eq!(
        schema("displacement-flows", "queryables")["properties"]["geometry"]["format"],
        "geometry-linestring"
    );
    assert_eq!(
        schema("displacement-reports", "queryables")["properties"]["date_start"]["format"],
        "date"
    );
    assert!(schema("incidents", "sortables")["properties"]
        .get("geometry")
        .is_none());
    assert_eq!(
        schema("incidents", "sortables")["properties"]
            .as_object()
            .unwrap()
            .len(),
        34
    );
    // Linked from the collection.
    let (_, c) = s.get_json("/collections/incidents");
    let link = c["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/queryables")
        .expect("queryables link");
    assert_eq!(link["href"], s.url("/collections/incidents/queryables"));
    assert_eq!(link["type"], "application/schema+json");
    let (status, body) = s.get_json("/collections/nope/queryables");
    assert_problem(status, &body, 404, "");
}

#[test]
fn conformance_and_openapi_declare_filtering() {
    let s = Server::start();
    let (_, c) = s.get_json("/conformance");
    let classes: Vec<&str> = c["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for class in [
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
        "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    ] {
        assert!(classes.contains(&class), "{class}");
    }
    // Nothing claimed that is not implemented.
    for absent in [
        "arithmetic",
        "property-property",
        "array-functions",
        "case-insensitive",
        "accent-insensitive",
        "/conf/functions",
    ] {
        assert!(!classes.iter().any(|c| c.contains(absent)), "{absent}");
    }
    let (_, api) = s.get_json("/api");
    let params = api["paths"]["/collections/incidents/items"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(
        param("filter-lang")["schema"]["enum"],
        json!(["cql2-text", "cql2-json"])
    );
    assert_eq!(param("fatalities")["schema"]["type"], "integer");
    assert_eq!(param("event_date")["schema"]["format"], "date");
    param("filter");
    param("sortby");
    param("filter-crs");
    assert!(api["paths"]["/collections/places/queryables"]["get"].is_object());
    assert!(api["paths"]["/collections/places/sortables"]["get"].is_object());
}
