//! Live push: GET /changes as server-sent events, against the real server on a temporary
//! SQLite file: the replay and then new writes as they commit, resumption after
//! Last-Event-ID with no gap and no repeat, a reset for a cursor from elsewhere, filters,
//! `layer` events for derived collections, the cap on subscribers, and a latency figure with
//! 100 subscribers.
mod common;

use std::io::{BufRead, BufReader};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::*;
use reqwest::blocking::Client;
use serde_json::Value;

/// How long an expected event may take before the test fails.
const WAIT: Duration = Duration::from_secs(20);

/// One server-sent event.
#[derive(Debug, Clone)]
struct Event {
    event: String,
    id: Option<i64>,
    data: Value,
}

/// Events of one stream, read on a thread of their own (a blocked read never hangs the test:
/// every wait below has a deadline; the thread ends with the server).
struct Stream {
    events: Receiver<Event>,
}

fn subscribe(s: &Server, query: &str, last_event_id: Option<i64>) -> Result<Stream, (u16, Value)> {
    let client = Client::builder().timeout(None).build().expect("client");
    let mut req = client
        .get(s.url(&format!("/changes?{query}")))
        .header("Accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let res = req.send().expect("subscribe");
    if res.status() != 200 {
        return Err(json_of(res));
    }
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(res).lines();
        let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
        while let Some(Ok(line)) = lines.next() {
            if line.is_empty() {
                if !data.is_empty() {
                    let parsed = serde_json::from_str(&data).unwrap_or(Value::String(data.clone()));
                    if tx
                        .send(Event {
                            event: event.clone(),
                            id,
                            data: parsed,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
                (event, data) = (String::from("message"), String::new());
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_owned();
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = v.parse().ok();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            }
        }
    });
    Ok(Stream { events: rx })
}

impl Stream {
    /// The next event that is not a `layer` one.
    fn next_change(&self) -> Event {
        loop {
            let e = self.next();
            if e.event != "layer" {
                return e;
            }
        }
    }

    fn next(&self) -> Event {
        self.events
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no event within {WAIT:?}"))
    }

    /// Events until one satisfies `done` (included).
    fn until(&self, done: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut out = Vec::new();
        loop {
            let e = self.next();
            let stop = done(&e);
            out.push(e);
            if stop {
                return out;
            }
        }
    }
}

/// The change number the server's snapshot is at.
fn served(s: &Server) -> i64 {
    s.get("/collections").headers()["atlas-sync-cursor"]
        .to_str()
        .expect("cursor")
        .parse()
        .expect("a number")
}

fn create(s: &Server, place: &str) -> (i64, i64) {
    let res = s
        .client()
        .post(s.url("/collections/incidents/items"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/geo+json")
        .body(incident(place).to_string())
        .send()
        .expect("POST");
    let cursor = res.headers()["atlas-sync-cursor"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (status, body) = json_of(res);
    assert_eq!(status, 201, "{body}");
    (body["id"].as_i64().unwrap(), cursor)
}

#[test]
fn a_stream_replays_the_feed_then_pushes_each_commit_and_resumes_without_gap() {
    let s = Server::start();
    let stream = subscribe(&s, "after=0", None).expect("subscribed");
    // The seeded scenario, in order: 16 incidents and 2 reports.
    let replay: Vec<Event> = (0..18).map(|_| stream.next_change()).collect();
    let ids: Vec<i64> = replay.iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(ids, (1..=18).collect::<Vec<_>>());
    assert!(replay.iter().all(|e| e.event == "create"));
    assert_eq!(replay[0].data["feature"]["type"], "Feature");
    assert_eq!(replay[17].data["collection"], "displacement-reports");

    // A write arrives as it commits, with a layer event for the clash zones it may change.
    let (id, cursor) = create(&s, "al-Zuhur");
    let created = stream.next_change();
    assert_eq!(
        (created.event.as_str(), created.id),
        ("create", Some(cursor))
    );
    assert_eq!(created.data["id"], id);
    assert_eq!(created.data["feature"]["properties"]["fatalities"], 2);
    let layer = stream.next();
    assert_eq!(
        (layer.event.as_str(), layer.data["collection"].as_str()),
        ("layer", Some("clash-zones"))
    );
    assert_eq!(layer.data["seq"], cursor);

    // Resuming after an id: exactly the changes after it, then live again.
    let (second, c2) = create(&s, "Ghweiran");
    let resumed = subscribe(&s, "", Some(cursor)).expect("resumed");
    let e = resumed.next_change();
    assert_eq!((e.id, e.data["id"].as_i64()), (Some(c2), Some(second)));
    let res = s
        .client()
        .delete(s.url(&format!("/collections/incidents/items/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .expect("DELETE");
    assert_eq!(res.status(), 204);
    let e = resumed.next_change();
    assert_eq!(
        (e.event.as_str(), e.id, e.data["id"].as_i64()),
        ("delete", Some(c2 + 1), Some(id))
    );
    assert!(e.data.get("feature").is_none());

    // A cursor this server never reached: a reset first, then the changes from its head.
    let reset = subscribe(&s, "", Some(c2 + 1000)).expect("subscribed");
    let e = reset.next();
    assert_eq!(
        (e.event.as_str(), e.data["after"].as_i64()),
        ("reset", Some(c2 + 1))
    );
    let (_, c4) = create(&s, "al-Zuhur");
    assert_eq!(reset.next_change().id, Some(c4));
}

#[test]
fn filters_keep_a_view_and_subscribers_are_capped() {
    let s = Server::start_with_env(
        &tempfile::tempdir()
            .expect("dir")
            .keep()
            .join("atlas.sqlite"),
        &["--max-subscribers", "3"],
        Some(TOKEN),
        &[],
    );
    let head = served(&s);
    let after = format!("after={head}");
    // al-Zuhur lies in al-Hasakah (40.75 E, 36.5 N); the other box is far away.
    let near = subscribe(
        &s,
        &format!("{after}&bbox=40.5,36.3,41.0,36.7&event_type=Battles"),
        None,
    )
    .unwrap();
    let far = subscribe(&s, &format!("{after}&bbox=10,10,11,11"), None).unwrap();
    let reports = subscribe(
        &s,
        &format!("{after}&collection=displacement-reports"),
        None,
    )
    .unwrap();
    // A fourth is one too many.
    let (status, body) = subscribe(&s, &after, None).err().expect("refused");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], 503);

    let (id, cursor) = create(&s, "al-Zuhur");
    let e = near.next_change();
    assert_eq!((e.id, e.data["id"].as_i64()), (Some(cursor), Some(id)));
    // The far box and the reports stream skip it; a deletion (no record to test) passes the
    // box, and a report's deletion the collection filter: markers that it came and went.
    let res = s
        .client()
        .delete(s.url("/collections/incidents/items/3"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s
        .client()
        .delete(s.url("/collections/displacement-reports/items/1"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(res.status(), 204);
    let e = far.next_change();
    assert_eq!(
        (e.event.as_str(), e.data["id"].as_i64()),
        ("delete", Some(3)),
        "{e:?}"
    );
    let e = reports.next_change();
    assert_eq!(
        (e.event.as_str(), e.data["collection"].as_str()),
        ("delete", Some("displacement-reports"))
    );
    let layers =
        reports.until(|e| e.event == "layer" && e.data["collection"] == "displacement-origins");
    assert!(layers
        .iter()
        .any(|e| e.data["collection"] == "displacement-flows"));

    // Bad filters are 400s naming them, for the stream as for the page.
    for (query, field) in [
        ("bbox=1,2,3", "bbox"),
        ("collection=places", "collection"),
        ("datetime=soon", "datetime"),
    ] {
        let res = s
            .client()
            .get(s.url(&format!("/changes?{query}")))
            .header("Accept", "text/event-stream")
            .send()
            .unwrap();
        let (status, body) = json_of(res);
        assert_problem(status, &body, 400, field);
    }
    // A place comes free when a subscriber goes.
    drop(near);
    drop(far);
    let start = Instant::now();
    loop {
        // The server notices a closed stream at its next write to it.
        create(&s, "Ghweiran");
        if subscribe(&s, &after, None).is_ok() {
            break;
        }
        assert!(start.elapsed() < WAIT, "no place came free");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// 100 subscribers, 30 writes: how long from the write's acknowledgement to each event.
#[test]
fn latency_from_commit_to_event_with_100_subscribers() {
    let s = Server::start();
    let head = served(&s);
    let streams: Vec<Stream> = (0..100)
        .map(|_| subscribe(&s, &format!("after={head}&collection=incidents"), None).unwrap())
        .collect();
    let mut delays = Vec::new();
    for _ in 0..30 {
        let (id, cursor) = create(&s, "al-Zuhur");
        let acked = Instant::now();
        for stream in &streams {
            let e = stream.next_change();
            assert_eq!((e.id, e.data["id"].as_i64()), (Some(cursor), Some(id)));
            delays.push(acked.elapsed());
        }
    }
    delays.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // A figure for the closing note (the debug build, subscribers read in turn), not an
    // assertion.
    println!(
        "SSE with 100 subscribers, {} events: from acknowledgement to receipt p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        delays.len(),
        ms(delays[delays.len() / 2]),
        ms(delays[delays.len() * 99 / 100]),
        ms(*delays.last().unwrap())
    );
}

/// A subscriber that stops reading is dropped once its queue fills; writers never wait for
/// it, and it finds its stream ended (to resume after the last id it got).
#[test]
fn a_client_that_stops_reading_is_dropped_and_writers_go_on() {
    let s = Server::start();
    let head = served(&s);
    let client = Client::builder().timeout(None).build().expect("client");
    let stalled = client
        .get(s.url(&format!("/changes?after={head}")))
        .header("Accept", "text/event-stream")
        .send()
        .expect("subscribe");
    assert_eq!(stalled.status(), 200);
    // 3,000 incidents in three commits: far more events than the queue and the socket hold.
    let many: Vec<Value> = (0..1000).map(|_| incident("al-Zuhur")).collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": many});
    for _ in 0..3 {
        let (status, created) = s.post("/collections/incidents/items", &body);
        assert_eq!(status, 201, "{created}");
    }
    // Now read: some events, then the end of the stream, well short of all 3,000.
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut events = 0usize;
        for line in BufReader::new(stalled).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("id: ") {
                events += 1;
            }
        }
        tx.send(events).ok();
    });
    let got = rx.recv_timeout(WAIT).expect("the stream ended");
    assert!(
        got < 3000,
        "{got} events: the stalled client was not dropped"
    );
    // Others are served as ever.
    let fresh = subscribe(&s, &format!("after={}", head + 2999), None).expect("subscribed");
    let e = fresh.next_change();
    assert_eq!(e.id, Some(head + 3000));
}
