//! Incremental sync for mirrors: `updated_after`, the deletions feed and the
//! `Atlas-Sync-Cursor` header, driven the way a mirror would drive them, against the real
//! server on a temporary SQLite file.
mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use reqwest::blocking::Response;
use serde_json::{json, Value};

const ITEMS: &str = "/collections/incidents/items";
const DELETIONS: &str = "/collections/incidents/deletions";
const CURSOR: &str = "atlas-sync-cursor";

fn cursor_of(res: &Response) -> String {
    res.headers()
        .get(CURSOR)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{} has no {CURSOR} header", res.url()))
}

/// An RFC 3339 time, to compare (strings of them do not sort: fractions vary in length).
fn time(t: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(t).unwrap_or_else(|e| panic!("{t}: {e}"))
}

fn get_query(s: &Server, path: &str, query: &[(&str, &str)]) -> Response {
    s.client()
        .get(s.url(path))
        .query(query)
        .send()
        .expect("GET")
}

/// A cursor: the change feed's sequence number.
fn seq(cursor: &str) -> i64 {
    cursor
        .parse()
        .unwrap_or_else(|e| panic!("cursor {cursor}: {e}"))
}

/// id → updated_at, as served.
type Copy = BTreeMap<i64, String>;

/// What one sync round brought: the cursor for the next round, upserted features and
/// deletions (id, deleted_at), each in the order served.
struct Round {
    cursor: String,
    upserts: Vec<Value>,
    deletions: Vec<(i64, String)>,
}

impl Round {
    fn upserted_ids(&self) -> BTreeSet<i64> {
        self.upserts
            .iter()
            .map(|f| f["id"].as_i64().expect("integer id"))
            .collect()
    }
    fn deleted_ids(&self) -> BTreeSet<i64> {
        self.deletions.iter().map(|d| d.0).collect()
    }
}

/// The recipe the README gives: deletions first (its cursor is the round's), following
/// `next`; then the incidents changed since, paged by id (`filter=id > last`) so that
/// deletions meanwhile shift nothing. `since` None is the first, full download.
fn sync_round(s: &Server, since: Option<&str>) -> Round {
    let mut query = vec![("limit", "2".to_owned())];
    if let Some(t) = since {
        query.push(("deleted_after", t.to_owned()));
    }
    let res = get_query(
        s,
        DELETIONS,
        &query
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    );
    let cursor = cursor_of(&res);
    let (status, mut page) = json_of(res);
    assert_eq!(status, 200, "{page}");
    let mut deletions = Vec::new();
    for hop in 0.. {
        assert!(hop < 10_000, "deletions' next links never end");
        for d in page["deletions"].as_array().expect("deletions array") {
            deletions.push((
                d["id"].as_i64().expect("id"),
                d["deleted_at"].as_str().expect("deleted_at").to_owned(),
            ));
        }
        let next = page["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
            .map(|l| l["href"].as_str().expect("href").to_owned());
        let Some(next) = next else { break };
        let (status, p) = json_of(s.client().get(next).send().expect("next"));
        assert_eq!(status, 200, "{p}");
        page = p;
    }

    let mut upserts = Vec::new();
    let mut last = 0i64;
    for hop in 0.. {
        assert!(hop < 10_000, "paging by id never ends");
        let filter = format!("id > {last}");
        let mut query = vec![("limit", "3"), ("filter", filter.as_str())];
        if let Some(t) = since {
            query.push(("updated_after", t));
        }
        let (status, fc) = json_of(get_query(s, ITEMS, &query));
        assert_eq!(status, 200, "{fc}");
        let features = fc["features"].as_array().expect("features").clone();
        let Some(tail) = features.last() else { break };
        last = tail["id"].as_i64().expect("id");
        upserts.extend(features);
    }
    Round {
        cursor,
        upserts,
        deletions,
    }
}

fn apply(copy: &mut Copy, round: &Round) {
    for (id, _) in &round.deletions {
        copy.remove(id);
    }
    for f in &round.upserts {
        let id = f["id"].as_i64().expect("id");
        let updated = f["properties"]["updated_at"].as_str().expect("updated_at");
        copy.insert(id, updated.to_owned());
    }
}

/// The server's own set, in one request.
fn server_set(s: &Server) -> Copy {
    let (status, fc) = s.get_json(&format!("{ITEMS}?limit=10000"));
    assert_eq!(status, 200, "{fc}");
    fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            (
                f["id"].as_i64().expect("id"),
                f["properties"]["updated_at"]
                    .as_str()
                    .expect("updated_at")
                    .to_owned(),
            )
        })
        .collect()
}

fn patch(s: &Server, id: i64, fatalities: u32) -> Value {
    let (status, body) = s.send_json(
        reqwest::Method::PATCH,
        &format!("{ITEMS}/{id}"),
        &json!({"properties": {"fatalities": fatalities}}),
        Some(TOKEN),
    );
    assert_eq!(status, 200, "PATCH {id}: {body}");
    body
}

fn delete(s: &Server, id: i64) {
    let res = s
        .client()
        .delete(s.url(&format!("{ITEMS}/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .expect("DELETE");
    assert_eq!(res.status(), 204, "DELETE {id}");
}

fn create(s: &Server, place: &str) -> i64 {
    let (status, body) = s.post(ITEMS, &incident(place));
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("id")
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

#[test]
fn mirror_recipe_reproduces_the_server_round_after_round() {
    let s = Server::start();
    let mut copy = Copy::new();

    // Round 0: the full download.
    let full = sync_round(&s, None);
    apply(&mut copy, &full);
    assert_eq!(copy.len(), 16, "the seeded scenario");
    assert_eq!(copy, server_set(&s));
    let mut cursor = full.cursor;

    // Round 1: creates, an edit of an old incident, a deletion, and one incident that is
    // created and deleted between two rounds.
    let a = create(&s, "al-Zuhur");
    let b = create(&s, "Ghweiran");
    let patched = patch(&s, 4, 11);
    let gone = create(&s, "Villat al-Humr");
    delete(&s, gone);
    delete(&s, 7);
    let round = sync_round(&s, Some(&cursor));
    // Exactly what changed after the cursor: nothing missed, nothing repeated.
    assert_eq!(round.upserted_ids(), set(&[4, a, b]));
    assert_eq!(round.deleted_ids(), set(&[7, gone]));
    let four = round.upserts.iter().find(|f| f["id"] == 4).expect("4 came");
    assert_eq!(four["properties"]["fatalities"], 11);
    assert_eq!(
        four["properties"]["updated_at"],
        patched["properties"]["updated_at"]
    );
    apply(&mut copy, &round);
    assert_eq!(copy, server_set(&s));
    assert!(
        seq(&round.cursor) > seq(&cursor),
        "{} after {cursor}",
        round.cursor
    );
    cursor = round.cursor;

    // Round 2: edit a new one twice, delete an old one, create one (a FeatureCollection of
    // two: one commit, one stamp).
    patch(&s, a, 5);
    patch(&s, a, 6);
    delete(&s, 1);
    let (status, created) = s.post(
        ITEMS,
        &json!({"type": "FeatureCollection",
                "features": [incident("al-Zuhur"), incident("Ghweiran cemetery")]}),
    );
    assert_eq!(status, 201, "{created}");
    let pair: Vec<i64> = ids(&created).iter().filter_map(Value::as_i64).collect();
    assert_eq!(pair.len(), 2, "{created}");
    let round = sync_round(&s, Some(&cursor));
    assert_eq!(round.upserted_ids(), set(&[a, pair[0], pair[1]]));
    assert_eq!(round.deleted_ids(), set(&[1]));
    apply(&mut copy, &round);
    assert_eq!(copy, server_set(&s));
    assert_eq!(copy[&a], round.upserts[0]["properties"]["updated_at"]);
    cursor = round.cursor;

    // Round 3: nothing happened; the cursor stays.
    let round = sync_round(&s, Some(&cursor));
    assert!(round.upserts.is_empty() && round.deletions.is_empty());
    assert_eq!(round.cursor, cursor);

    // Round 4: a deleted incident that had been edited since the last round.
    patch(&s, b, 1);
    delete(&s, b);
    let round = sync_round(&s, Some(&cursor));
    assert!(round.upserts.is_empty(), "b is gone, not upserted");
    assert_eq!(round.deleted_ids(), set(&[b]));
    apply(&mut copy, &round);
    assert_eq!(copy, server_set(&s));
    assert_eq!(copy.len(), 16 + 2 + 2 - 1 - 1 - 1, "{copy:?}");
}

#[test]
fn stamps_grow_with_each_commit_and_the_cursor_counts_changes() {
    let s = Server::start();
    let first = cursor_of(&s.get(ITEMS));
    // The seed is one commit: every incident carries one stamp.
    let seeded = server_set(&s);
    let seed_stamp = seeded.values().next().expect("seeded").clone();
    assert!(seeded.values().all(|t| *t == seed_stamp), "{seeded:?}");

    let res = s
        .client()
        .post(s.url(ITEMS))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/geo+json")
        .body(
            json!({"type": "FeatureCollection",
                    "features": [incident("al-Zuhur"), incident("Ghweiran")]})
            .to_string(),
        )
        .send()
        .expect("POST");
    let written = cursor_of(&res);
    let (status, created) = json_of(res);
    assert_eq!(status, 201, "{created}");
    let stamps: Vec<&str> = created["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["updated_at"].as_str().expect("updated_at"))
        .collect();
    assert_eq!(stamps[0], stamps[1], "one commit, one stamp");
    assert!(time(stamps[0]) > time(&seed_stamp));
    // Two records, two changes: the write's cursor is the second's number.
    assert_eq!(seq(&written), seq(&first) + 2);
    let after_create = cursor_of(&s.get(ITEMS));
    assert_eq!(after_create, written);

    // At the boundary, by stamp and by number: strictly after the two's own stamp (or
    // number) gives neither of them; strictly after the cursor before gives both.
    for (before, after) in [(first.as_str(), stamps[0]), (&first, &written)] {
        let (_, fc) = json_of(get_query(&s, ITEMS, &[("updated_after", after)]));
        assert_eq!(fc["numberMatched"], 0, "{after}: {fc}");
        let (_, fc) = json_of(get_query(&s, ITEMS, &[("updated_after", before)]));
        assert_eq!(ids(&fc), ids(&created), "{before}: {fc}");
    }

    delete(&s, 5);
    let res = get_query(&s, DELETIONS, &[]);
    let after_delete = cursor_of(&res);
    let (_, feed) = json_of(res);
    assert_eq!(seq(&after_delete), seq(&after_create) + 1);
    let deleted_at = feed["deletions"][0]["deleted_at"]
        .as_str()
        .expect("deleted_at");
    assert_eq!(feed["deletions"][0]["id"], 5);
    assert!(time(deleted_at) > time(stamps[0]));
    let (_, feed) = json_of(get_query(
        &s,
        DELETIONS,
        &[("deleted_after", &after_create)],
    ));
    assert_eq!(feed["numberMatched"], 1, "{feed}");
    let (_, feed) = json_of(get_query(
        &s,
        DELETIONS,
        &[("deleted_after", &after_delete)],
    ));
    assert_eq!(feed["numberMatched"], 0, "{feed}");
}

#[test]
fn updated_after_is_the_cql2_comparison() {
    let s = Server::start();
    patch(&s, 2, 3);
    let t = patch(&s, 9, 4)["properties"]["updated_at"]
        .as_str()
        .expect("updated_at")
        .to_owned();
    patch(&s, 12, 5);
    let cql = format!("updated_at > TIMESTAMP('{t}')");

    let (_, by_param) = json_of(get_query(&s, ITEMS, &[("updated_after", &t)]));
    let (_, by_filter) = json_of(get_query(&s, ITEMS, &[("filter", &cql)]));
    assert_eq!(ids(&by_param), [json!(12)], "strictly after 9's stamp");
    assert_eq!(ids(&by_param), ids(&by_filter));

    // ANDed with everything else, in GET and in POST search.
    let (_, fc) = json_of(get_query(
        &s,
        ITEMS,
        &[
            ("updated_after", "2000-01-01T00:00:00+02:00"),
            ("place_id", "al-zuhur"),
        ],
    ));
    let zuhur = ids(&fc);
    assert_eq!(zuhur, [2, 7, 10, 14, 15].map(|n| json!(n)), "{fc}");
    let (status, fc) = s.post(
        "/collections/incidents/search",
        &json!({"updated_after": t, "filter": "fatalities >= 0"}),
    );
    assert_eq!(status, 200, "{fc}");
    assert_eq!(ids(&fc), [json!(12)]);
    let (_, fc) = s.post(
        "/collections/incidents/search",
        &json!({"updated_after": "2000-01-01T00:00:00Z", "properties": {"place_id": "al-zuhur"}, "limit": 100}),
    );
    assert_eq!(ids(&fc), zuhur);
    // A next link of an updated_after page keeps it.
    let (_, fc) = json_of(get_query(
        &s,
        ITEMS,
        &[("updated_after", &t), ("limit", "1")],
    ));
    assert_eq!(fc["numberMatched"], 1);
    let (_, fc) = json_of(get_query(
        &s,
        ITEMS,
        &[("updated_after", "2000-01-01T00:00:00Z"), ("limit", "10")],
    ));
    let next = fc["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
        .expect("next link");
    assert!(
        next["href"]
            .as_str()
            .is_some_and(|h| h.contains("updated_after=2000-01-01T00%3A00%3A00Z")),
        "{next}"
    );
}

#[test]
fn deletions_survive_kill_9_with_their_times() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("atlas.sqlite");
    let s = Server::start_on(&db, &[], Some(TOKEN));
    delete(&s, 3);
    delete(&s, 14);
    let res = get_query(&s, DELETIONS, &[]);
    let cursor = cursor_of(&res);
    let (_, before) = json_of(res);
    let listed: Vec<i64> = before["deletions"]
        .as_array()
        .expect("deletions")
        .iter()
        .map(|d| d["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(listed, [3, 14], "oldest first: {before}");
    let at = |n: usize| time(before["deletions"][n]["deleted_at"].as_str().expect("time"));
    assert!(at(1) > at(0), "{before}");
    s.kill9();

    let s = Server::start_on(&db, &[], Some(TOKEN));
    let res = get_query(&s, DELETIONS, &[]);
    assert_eq!(
        cursor_of(&res),
        cursor,
        "the cursor is the newest stored stamp"
    );
    let (_, after) = json_of(res);
    assert_eq!(after["deletions"], before["deletions"]);
    assert_eq!(after["numberMatched"], 2);
    assert_eq!(s.get(&format!("{ITEMS}/3")).status(), 404);
    // A write after the restart is stamped after everything before it.
    let id = create(&s, "al-Zuhur");
    let round = sync_round(&s, Some(&cursor));
    assert_eq!(round.upserted_ids(), set(&[id]));
    assert!(round.deletions.is_empty());
    let deleted_at = before["deletions"][0]["deleted_at"].as_str().expect("time");
    let (_, feed) = json_of(get_query(&s, DELETIONS, &[("deleted_after", deleted_at)]));
    assert_eq!(feed["deletions"], json!([before["deletions"][1]]));
}

#[test]
fn deletions_page_by_offset_in_deletion_order() {
    let s = Server::start();
    for id in [9, 2, 16, 4, 11] {
        delete(&s, id);
    }
    let (status, page) = json_of(get_query(&s, DELETIONS, &[("limit", "2"), ("offset", "2")]));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["numberMatched"], 5);
    assert_eq!(page["numberReturned"], 2);
    let ids_of = |p: &Value| -> Vec<i64> {
        p["deletions"]
            .as_array()
            .expect("deletions")
            .iter()
            .map(|d| d["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(ids_of(&page), [16, 4]);
    let link = |rel: &str| {
        page["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == rel))
            .and_then(|l| l["href"].as_str())
            .map(str::to_owned)
    };
    let next = link("next").expect("next");
    assert!(
        next.ends_with("/collections/incidents/deletions?limit=2&offset=4"),
        "{next}"
    );
    assert!(link("prev").is_some_and(|p| p.ends_with("deletions?limit=2")));
    assert_eq!(
        ids_of(&json_of(s.client().get(next).send().expect("next")).1),
        [11]
    );
}

#[test]
fn collection_and_openapi_describe_sync() {
    let s = Server::start();
    let (_, c) = s.get_json("/collections/incidents");
    let link = c["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["rel"] == "deletions"))
        .unwrap_or_else(|| panic!("no deletions link: {c}"));
    assert_eq!(link["href"], s.url(DELETIONS));
    let (_, places) = s.get_json("/collections/places");
    assert!(
        !places["links"].to_string().contains("deletions"),
        "{places}"
    );

    let (_, api) = s.get_json("/api");
    let names = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    let items = &api["paths"][ITEMS]["get"];
    assert!(names(items).contains(&"updated_after".to_owned()));
    let p = &items["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "updated_after")
        .expect("updated_after")["schema"];
    // A sequence number or a time.
    assert_eq!(p["anyOf"][0]["type"], "integer", "{p}");
    assert_eq!(p["anyOf"][1]["format"], "date-time", "{p}");
    assert_eq!(
        items["responses"]["200"]["headers"][CURSOR]["schema"]["type"],
        "integer"
    );
    let feed = &api["paths"][DELETIONS]["get"];
    assert_eq!(names(feed), ["deleted_after", "limit", "offset", "f"]);
    let page = &feed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    let page = page.as_str().expect("a schema of the components");
    let page = &api["components"]["schemas"][page.trim_start_matches("#/components/schemas/")];
    assert!(page["properties"]["deletions"].is_object(), "{page}");
    assert!(!names(&api["paths"]["/collections/places/items"]["get"])
        .contains(&"updated_after".to_owned()));
    let member = &api["components"]["schemas"]["SearchRequest"]["properties"]["updated_after"];
    assert!(member.to_string().contains("sequence number"), "{member}");
}

#[test]
fn bad_sync_requests_are_problems_naming_the_parameter() {
    let s = Server::start();
    for (query, field) in [
        ("updated_after=yesterday", "updated_after"),
        ("updated_after=2022-01-20", "updated_after"),
        ("updated_after=2022-01-20T10:00:00", "updated_after"),
        (
            "updated_after=2022-01-20T10:00:00Z&updated_after=2022-01-21T10:00:00Z",
            "updated_after",
        ),
    ] {
        let (status, body) = s.get_json(&format!("{ITEMS}?{query}"));
        assert_problem(status, &body, 400, field);
    }
    let (status, body) = s.get_json("/collections/places/items?updated_after=2022-01-20T10:00:00Z");
    assert_problem(status, &body, 400, "updated_after");
    for (query, field) in [
        ("deleted_after=soon", "deleted_after"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("since=2022-01-20T10:00:00Z", "since"),
        ("f=csv", "f"),
    ] {
        let (status, body) = s.get_json(&format!("{DELETIONS}?{query}"));
        assert_problem(status, &body, 400, field);
    }
    let (status, body) = s.get_json("/collections/places/deletions");
    assert_problem(status, &body, 404, "");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/collections/incidents/deletions")),
        "{body}"
    );
    let (status, body) = s.get_json("/collections/nowhere/deletions");
    assert_problem(status, &body, 404, "");
    for bad in [json!(20220120), json!("20 January")] {
        let (status, body) = s.post(
            "/collections/incidents/search",
            &json!({"updated_after": bad}),
        );
        assert_problem(status, &body, 400, "updated_after");
    }
    // The feed is read-only.
    let res = s
        .client()
        .post(s.url(DELETIONS))
        .bearer_auth(TOKEN)
        .send()
        .expect("POST");
    assert_eq!(res.status(), 405);
}

#[test]
fn a_mirror_syncing_during_concurrent_writes_ends_equal() {
    let s = Server::start();
    let mut copy = Copy::new();
    let first = sync_round(&s, None);
    apply(&mut copy, &first);
    let mut cursor = first.cursor;
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..3i64 {
            let (s, done) = (&s, &done);
            scope.spawn(move || {
                // Counts this writer done even if it panics, so the mirror loop ends.
                struct Done<'a>(&'a std::sync::atomic::AtomicUsize);
                impl Drop for Done<'_> {
                    fn drop(&mut self) {
                        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
                let _done = Done(done);
                for n in 0..12i64 {
                    let id = create(s, "al-Zuhur");
                    patch(s, id, (n + 1) as u32);
                    if n % 3 == w % 3 {
                        delete(s, id);
                    }
                    // Old incidents too: each writer edits or deletes its own.
                    if n == 5 {
                        delete(s, 1 + w);
                    } else if n % 4 == 0 {
                        let (status, body) = s.send_json(
                            reqwest::Method::PATCH,
                            &format!("{ITEMS}/{}", 4 + w * 4),
                            &json!({"properties": {"notes": format!("edit {n}")}}),
                            Some(TOKEN),
                        );
                        assert_eq!(status, 200, "{body}");
                    }
                }
            });
        }
        // The mirror syncs while they write, then once more after.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while done.load(std::sync::atomic::Ordering::SeqCst) < 3 {
            assert!(
                std::time::Instant::now() < deadline,
                "writers never finished"
            );
            let round = sync_round(&s, Some(&cursor));
            apply(&mut copy, &round);
            cursor = round.cursor;
        }
    });
    let last = sync_round(&s, Some(&cursor));
    apply(&mut copy, &last);
    assert_eq!(copy, server_set(&s));
    assert_eq!(copy.len(), 16 + 36 - 12 - 3);
}
