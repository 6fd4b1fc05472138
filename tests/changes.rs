//! The change feed (`GET /changes`) and the sequence-number cursor, against the real server
//! on a temporary SQLite file: every write numbered in commit order, compacted per record,
//! the cursor on writes and reads, `updated_after` / `deleted_after` by number, read-your-
//! writes, and the feed surviving `kill -9`.
mod common;

use common::*;
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::Value;

const CURSOR: &str = "atlas-sync-cursor";

fn cursor_of(res: &Response) -> i64 {
    res.headers()
        .get(CURSOR)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{} has no numeric {CURSOR} header", res.url()))
}

/// Sends a write with the token; the status, the body and the cursor it carries.
fn write(s: &Server, method: Method, path: &str, body: Option<&Value>) -> (u16, Value, i64) {
    let content_type = if method == Method::PATCH {
        "application/merge-patch+json"
    } else {
        "application/geo+json"
    };
    let mut req = s
        .client()
        .request(method, s.url(path))
        .bearer_auth(TOKEN)
        .header("Content-Type", content_type);
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let res = req.send().expect("write");
    let cursor = cursor_of(&res);
    let (status, body) = json_of(res);
    (status, body, cursor)
}

/// Every change after `after`, following next links with small pages; checks the order.
fn all_changes(s: &Server, after: i64) -> Vec<Value> {
    let (status, mut page) = s.get_json(&format!("/changes?after={after}&limit=7"));
    assert_eq!(status, 200, "{page}");
    let mut out: Vec<Value> = Vec::new();
    for hop in 0.. {
        assert!(hop < 1000, "next links never end");
        let changes = page["changes"].as_array().expect("changes").clone();
        assert_eq!(page["numberReturned"], changes.len());
        out.extend(changes);
        if page["more"] != true {
            break;
        }
        let next = page["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
            .and_then(|l| l["href"].as_str())
            .expect("next link")
            .to_owned();
        let (status, p) = json_of(s.client().get(next).send().expect("next"));
        assert_eq!(status, 200, "{p}");
        page = p;
    }
    let seqs: Vec<i64> = out
        .iter()
        .map(|c| c["seq"].as_i64().expect("seq"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    assert!(seqs.iter().all(|&n| n > after), "after {after}: {seqs:?}");
    out
}

#[test]
fn the_feed_lists_every_write_in_commit_order_compacted_per_record() {
    let s = Server::start();
    // The seeded scenario: 16 incidents and the displacement reports, one commit.
    let seeded = all_changes(&s, 0);
    let incidents = seeded
        .iter()
        .filter(|c| c["collection"] == "incidents")
        .count();
    let reports = seeded
        .iter()
        .filter(|c| c["collection"] == "displacement-reports")
        .count();
    assert_eq!(incidents, 16);
    assert!(reports >= 1, "reports seeded: {reports}");
    assert!(seeded.iter().all(|c| c["op"] == "create"));
    let seqs: Vec<i64> = seeded.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "contiguous"
    );
    let head = *seqs.last().unwrap();
    let first = &seeded[0];
    assert_eq!(first["feature"]["type"], "Feature");
    assert_eq!(first["feature"]["id"], first["id"]);
    // Every read carries the snapshot's number.
    assert_eq!(
        cursor_of(&s.get("/collections/incidents/items?limit=1")),
        head
    );
    assert_eq!(cursor_of(&s.get("/changes")), head);

    // Create, patch, delete: each answer carries its own number, one more each time.
    let (status, created, c1) = write(
        &s,
        Method::POST,
        "/collections/incidents/items",
        Some(&incident("al-Zuhur")),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(c1, head + 1);
    let id = created["id"].as_i64().expect("id");
    let (_, news) = s.get_json(&format!("/changes?after={head}"));
    assert_eq!(news["changes"].as_array().unwrap().len(), 1);
    let c = &news["changes"][0];
    assert_eq!(
        (c["seq"].as_i64(), c["id"].as_i64(), c["op"].as_str()),
        (Some(c1), Some(id), Some("create"))
    );
    assert_eq!(c["collection"], "incidents");
    assert_eq!(c["feature"]["properties"]["fatalities"], 2);
    let path = format!("/collections/incidents/items/{id}");
    let patch = serde_json::json!({"properties": {"fatalities": 5}});
    let (status, _, c2) = write(&s, Method::PATCH, &path, Some(&patch));
    assert_eq!((status, c2), (200, c1 + 1));
    // Compacted: the record's latest change only, at its new number.
    let (_, news) = s.get_json(&format!("/changes?after={head}"));
    assert_eq!(news["changes"].as_array().unwrap().len(), 1, "{news}");
    assert_eq!(news["changes"][0]["seq"], c2);
    assert_eq!(news["changes"][0]["op"], "update");
    assert_eq!(news["changes"][0]["feature"]["properties"]["fatalities"], 5);
    assert_eq!(news["nextAfter"], c2);
    // updated_after by number: exactly what changed since.
    let (_, fc) = s.get_json(&format!(
        "/collections/incidents/items?updated_after={head}"
    ));
    assert_eq!(ids(&fc), vec![Value::from(id)]);
    let (_, fc) = s.get_json(&format!("/collections/incidents/items?updated_after={c2}"));
    assert_eq!(ids(&fc), Vec::<Value>::new());

    let res = s
        .client()
        .delete(s.url(&path))
        .bearer_auth(TOKEN)
        .send()
        .expect("delete");
    assert_eq!(res.status(), 204);
    let c3 = cursor_of(&res);
    assert_eq!(c3, c2 + 1);
    let (_, news) = s.get_json(&format!("/changes?after={head}"));
    let c = &news["changes"][0];
    assert_eq!(
        (c["seq"].as_i64(), c["op"].as_str()),
        (Some(c3), Some("delete"))
    );
    assert!(
        c.get("feature").is_none(),
        "a delete carries no feature: {c}"
    );
    // The deletions feed by number.
    let (_, d) = s.get_json(&format!(
        "/collections/incidents/deletions?deleted_after={head}"
    ));
    assert_eq!(d["deletions"][0]["id"], id);
    let (_, d) = s.get_json(&format!(
        "/collections/incidents/deletions?deleted_after={c3}"
    ));
    assert_eq!(d["numberMatched"], 0);

    // A report's writes go in the same feed.
    let report = seeded
        .iter()
        .find(|c| c["collection"] == "displacement-reports")
        .unwrap();
    let rpath = format!("/collections/displacement-reports/items/{}", report["id"]);
    let res = s
        .client()
        .delete(s.url(&rpath))
        .bearer_auth(TOKEN)
        .send()
        .expect("delete");
    assert_eq!(res.status(), 204);
    assert_eq!(cursor_of(&res), c3 + 1);
    let all = all_changes(&s, 0);
    assert_eq!(
        all.len(),
        seeded.len() + 1,
        "16 + reports + the deleted incident, compacted"
    );
    let last = all.last().unwrap();
    assert_eq!(
        (last["collection"].as_str(), last["op"].as_str()),
        (Some("displacement-reports"), Some("delete"))
    );
}

#[test]
fn a_cursor_ahead_of_the_data_is_a_503_and_bad_parameters_are_400s() {
    let s = Server::start();
    let head = cursor_of(&s.get("/collections"));
    let ahead = s
        .client()
        .get(s.url("/collections/incidents/items"))
        .header(CURSOR, (head + 10).to_string())
        .send()
        .expect("get");
    assert_eq!(ahead.status(), 503);
    assert!(ahead.headers().get("retry-after").is_some());
    let (status, body) = json_of(ahead);
    assert_eq!(body["status"], 503);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&(head + 10).to_string()),
        "{body}"
    );
    let (status_now, fc) = json_of(
        s.client()
            .get(s.url("/collections/incidents/items"))
            .header(CURSOR, head.to_string())
            .send()
            .expect("get"),
    );
    assert_eq!((status, status_now), (503, 200));
    assert_eq!(fc["numberMatched"], 16);
    // As a parameter, a number beyond the data is just "nothing after it yet" on a server
    // alone (on several sharing PostgreSQL it waits as the header does).
    let (status, fc) = s.get_json(&format!(
        "/collections/incidents/items?updated_after={}",
        head + 5
    ));
    let shared = std::env::var("ATLAS_TEST_STORE").as_deref() == Ok("postgres");
    if shared {
        assert_eq!(status, 503, "{fc}");
    } else {
        assert_eq!(
            (status, fc["numberMatched"].as_u64()),
            (200, Some(0)),
            "{fc}"
        );
    }

    for (query, field) in [
        ("after=-1", "after"),
        ("after=x", "after"),
        ("limit=0", "limit"),
        ("since=3", "since"),
        ("f=csv", "f"),
    ] {
        let (status, body) = s.get_json(&format!("/changes?{query}"));
        assert_problem(status, &body, 400, field);
    }
    // Large limits are clamped, not refused.
    let (status, page) = s.get_json("/changes?limit=999999");
    assert_eq!(status, 200);
    assert_eq!(page["more"], false);
}

#[test]
fn acknowledged_writes_keep_their_numbers_across_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("atlas.sqlite");
    let s = Server::start_on(&db, &[], Some(TOKEN));
    let mut acked = Vec::new();
    for _ in 0..5 {
        let (status, body, cursor) = write(
            &s,
            Method::POST,
            "/collections/incidents/items",
            Some(&incident("al-Zuhur")),
        );
        assert_eq!(status, 201, "{body}");
        acked.push((cursor, body["id"].as_i64().unwrap()));
    }
    s.kill9();
    let s = Server::start_on(&db, &[], Some(TOKEN));
    let head = cursor_of(&s.get("/collections"));
    assert_eq!(head, acked.last().unwrap().0);
    let (_, page) = s.get_json(&format!("/changes?after={}", acked[0].0 - 1));
    let listed: Vec<(i64, i64)> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["seq"].as_i64().unwrap(), c["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(listed, acked);
    // Numbering goes on from the head.
    let (_, _, next) = write(
        &s,
        Method::POST,
        "/collections/incidents/items",
        Some(&incident("al-Zuhur")),
    );
    assert_eq!(next, head + 1);
}
