//! Hardening (issue 10): errors before the handlers are problem+json, percent-encoded text
//! must be UTF-8, page sequences hold still while others write, and access logs are opt-in.
mod common;
use common::*;

use std::collections::{BTreeSet, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

const ITEMS: &str = "/collections/incidents/items";

// --- Errors before the handlers ------------------------------------------------------------

/// Sends raw bytes on a new connection and reads the whole answer (the server closes after
/// these errors); (status, headers in lower case, body).
fn raw(s: &Server, request: &[u8]) -> (u16, String, String) {
    let addr = s.base.trim_start_matches("http://");
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The server answers and closes before it has read all of an oversized request: write on
    // a thread and read meanwhile, so the answer is read before the connection resets.
    let mut sender = conn.try_clone().expect("clone");
    let request = request.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sender.write_all(&request);
    });
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    writer.join().expect("writer thread");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn assert_raw_problem(answer: (u16, String, String), status: u16, detail_has: &str) {
    let (got, head, body) = answer;
    assert_eq!(got, status, "{head}\n{body}");
    assert!(
        head.contains("\r\ncontent-type: application/problem+json"),
        "{head}"
    );
    let problem: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(problem["status"], status, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(detail_has), "{detail}");
}

fn assert_still_serving(s: &Server) {
    let (status, fc) = s.get_json(&format!("{ITEMS}?limit=1"));
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["numberMatched"], 16, "{fc}");
}

#[test]
fn errors_before_the_handlers_are_problem_json() {
    let s = Server::start();
    // A 1 MB query string: the head overflows the dispatcher's 128 KiB buffer.
    let long_query = format!(
        "GET {ITEMS}?filter={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(1 << 20)
    );
    assert_raw_problem(raw(&s, long_query.as_bytes()), 431, "128 KiB");
    // One oversized header.
    let big_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(200_000)
    );
    assert_raw_problem(raw(&s, big_header.as_bytes()), 431, "POST");
    // A 64 KB path: longer than a URI may be.
    let long_path = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "p".repeat(70_000));
    assert_raw_problem(raw(&s, long_path.as_bytes()), 400, "65,534");
    // Raw bytes that are not ASCII in the target.
    let mut invalid = b"GET /collections/\xff\xfe/items HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    assert_raw_problem(raw(&s, &invalid), 400, "percent-encode");
    invalid = b"GET /?q=\xc3\x28 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    assert_raw_problem(raw(&s, &invalid), 400, "not ASCII");
    // Not HTTP at all.
    assert_raw_problem(raw(&s, b"\x00\x01\x02 nonsense\r\n\r\n"), 400, "parsed");
    assert_still_serving(&s);

    // A well-formed request on the same kind of connection is untouched, and one without a
    // Host header (HTTP/1.0) gets links to the address served.
    let (status, head, body) = raw(&s, b"GET /conformance HTTP/1.0\r\n\r\n");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(body.contains("conformsTo"), "{body}");
    let (status, _, body) = raw(&s, b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(status, 200);
    let landing: Value = serde_json::from_str(&body).expect("landing JSON");
    let self_href = landing["links"][0]["href"].as_str().unwrap_or_default();
    assert!(self_href.starts_with(&s.base), "{self_href} vs {}", s.base);
}

// --- Percent-encoded text must be UTF-8 -----------------------------------------------------

#[test]
fn percent_encoded_bytes_that_are_not_utf8_are_a_400_naming_the_parameter() {
    let s = Server::start();
    for (path, field) in [
        (format!("{ITEMS}?location=%FF%FE"), "location"),
        (format!("{ITEMS}?filter=location%3D%27%C3%28%27"), "filter"),
        ("/geocode?q=%FF".to_owned(), "q"),
        ("/reverse?lon=40.77&lat=%FF".to_owned(), "lat"),
        (
            "/collections/incidents/deletions?deleted_after=%FF".to_owned(),
            "deleted_after",
        ),
        (
            "/collections/incidents/tiles/WebMercatorQuad/0/0/0?event_type=%FF".to_owned(),
            "event_type",
        ),
        ("/collections?f=%FF".to_owned(), "f"),
    ] {
        let (status, body) = s.get_json(&path);
        assert_problem(status, &body, 400, field);
        let reason = body["errors"][0]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("UTF-8"), "{path}: {body}");
    }
    // A name that is not UTF-8 is named as best it can be.
    let (status, body) = s.get_json(&format!("{ITEMS}?%FF=1"));
    assert_eq!(status, 400, "{body}");
    // Percent-encoded UTF-8 is read as text: Arabic finds al-Zuhur, + is a space.
    let (status, found) =
        s.get_json("/geocode?q=%D8%AD%D9%8A+%D8%A7%D9%84%D8%B2%D9%87%D9%88%D8%B1");
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["features"][0]["id"], "al-zuhur", "{found}");
    let (status, fc) = s.get_json(&format!("{ITEMS}?location=al-Zuhur&limit=100"));
    assert_eq!(status, 200);
    let (_, encoded) = s.get_json(&format!("{ITEMS}?location=al%2DZuhur&limit=100"));
    assert_eq!(ids(&fc), ids(&encoded));
    assert!(!ids(&fc).is_empty());
}

// --- Paging under writes -------------------------------------------------------------------

fn next_href(page: &Value) -> Option<String> {
    page["links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == "next")
        .and_then(|l| l["href"].as_str())
        .map(str::to_owned)
}

/// Pages through `first` following next links; the ids in order, and every page's
/// numberMatched.
fn harvest(s: &Server, first: &str) -> (Vec<i64>, Vec<u64>) {
    let (status, mut page) = s.get_json(first);
    assert_eq!(status, 200, "{page}");
    let (mut seen, mut matched) = (Vec::new(), Vec::new());
    for hop in 0.. {
        assert!(hop < 10_000, "next links never end");
        matched.push(page["numberMatched"].as_u64().expect("numberMatched"));
        seen.extend(
            page["features"]
                .as_array()
                .expect("features")
                .iter()
                .map(|f| f["id"].as_i64().expect("id")),
        );
        let Some(next) = next_href(&page) else { break };
        let (status, p) = json_of(s.client().get(&next).send().expect("next"));
        assert_eq!(status, 200, "{next}: {p}");
        page = p;
    }
    (seen, matched)
}

/// Creates an incident with `fatalities` (so that a sortby=-fatalities page sees it early).
fn create(s: &Server, fatalities: i64) -> i64 {
    let mut f = incident("al-Zuhur");
    f["properties"]["fatalities"] = json!(fatalities);
    let (status, body) = s.post(ITEMS, &f);
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("id")
}

#[test]
fn page_sequences_neither_skip_nor_repeat_while_others_write() {
    let s = Arc::new(Server::start());
    // 16 incidents of the scenario plus 84: 100 to page through, 8 at a time.
    let created: Vec<i64> = (0..84).map(|n| create(&s, n % 7)).collect();
    // Writers delete these (so offsets before a reader's position shift)...
    let doomed: Vec<i64> = created[..40].to_vec();
    // ...and change these ones' fatalities (so sortby orders shift).
    let edited: Vec<i64> = created[40..60].to_vec();
    let untouched: BTreeSet<i64> = (1..=16).chain(created[60..].iter().copied()).collect();

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (s, stop) = (s.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut writes = 0;
            let (mut doomed, mut n) = (doomed.into_iter(), 0i64);
            while !stop.load(Ordering::SeqCst) && writes < 2_000 {
                n += 1;
                // New incidents that sort first (fatalities 100+), deletions, and edits.
                create(&s, 100 + n);
                if let Some(id) = doomed.next() {
                    let res = s
                        .client()
                        .delete(s.url(&format!("{ITEMS}/{id}")))
                        .bearer_auth(TOKEN)
                        .send()
                        .expect("delete");
                    assert_eq!(res.status(), 204);
                }
                let id = edited[(n as usize) % edited.len()];
                let (status, body) = s.send_json(
                    reqwest::Method::PATCH,
                    &format!("{ITEMS}/{id}"),
                    &json!({"properties": {"fatalities": 50 + n % 60}}),
                    Some(TOKEN),
                );
                assert_eq!(status, 200, "{body}");
                writes += 3;
            }
            writes
        })
    };
    let mut sequences = 0;
    for round in 0..12 {
        let first = match round % 3 {
            0 => format!("{ITEMS}?limit=8"),
            1 => format!("{ITEMS}?limit=8&sortby=-fatalities"),
            _ => format!("{ITEMS}?limit=8&sortby=event_date,-fatalities&bbox=40.0,36.0,41.5,37.0"),
        };
        let (seen, matched) = harvest(&s, &first);
        sequences += 1;
        let unique: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "{first}: a feature came twice");
        assert!(
            matched.iter().all(|&m| m == matched[0]),
            "{first}: numberMatched drifted: {matched:?}"
        );
        assert_eq!(
            seen.len() as u64,
            matched[0],
            "{first}: paged ≠ numberMatched"
        );
        let missed: Vec<_> = untouched.iter().filter(|id| !unique.contains(id)).collect();
        assert!(missed.is_empty(), "{first}: skipped {missed:?}");
    }
    stop.store(true, Ordering::SeqCst);
    let writes = writer.join().expect("writer");
    assert!(writes > 0 && sequences == 12);

    // A search's next link carries the snapshot in its body, with the same guarantee.
    let search = |body: &Value| {
        let res = s
            .client()
            .post(s.url("/collections/incidents/search"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .expect("search");
        json_of(res)
    };
    let (status, page1) = search(&json!({"limit": 5, "sortby": "-fatalities"}));
    assert_eq!(status, 200, "{page1}");
    let next = page1["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next")["body"]
        .clone();
    assert!(next["snapshot"].is_string(), "{next}");
    create(&s, 1_000); // sorts first now, but not in this sequence
    let (status, page2) = search(&next);
    assert_eq!(status, 200, "{page2}");
    assert_eq!(page2["numberMatched"], page1["numberMatched"]);
    let (first_ids, second_ids) = (ids(&page1), ids(&page2));
    assert!(first_ids.iter().all(|id| !second_ids.contains(id)));
}

#[test]
fn a_snapshot_token_that_is_not_kept_is_refused() {
    let s = Server::start();
    let (status, body) = s.get_json(&format!("{ITEMS}?limit=5&snapshot=junk"));
    assert_problem(status, &body, 400, "snapshot");
    // A token of another process (or one dropped since) is a 410, never another snapshot.
    let (status, page) = s.get_json(&format!("{ITEMS}?limit=5"));
    assert_eq!(status, 200);
    let next = next_href(&page).expect("next");
    let token = next
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("snapshot="))
        .expect("snapshot in next");
    let (epoch, version) = token.split_once('-').unwrap();
    let other_epoch = format!("{:08x}", u32::from_str_radix(epoch, 16).unwrap() ^ 1);
    let (status, body) = s.get_json(&format!(
        "{ITEMS}?limit=5&offset=5&snapshot={other_epoch}-{version}"
    ));
    assert_problem(status, &body, 410, "snapshot");
    // A page reached by offset alone pins its snapshot for both directions.
    let (status, middle) = s.get_json(&format!("{ITEMS}?limit=5&offset=5"));
    assert_eq!(status, 200);
    for rel in ["prev", "next"] {
        let href = middle["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == rel)
            .and_then(|l| l["href"].as_str())
            .unwrap_or_default();
        assert!(href.contains("snapshot="), "{rel}: {href}");
    }
    // Only the form the server writes is a token.
    for junk in ["00000001-01", "0000000A-1", "00000001-%2B1"] {
        let (status, body) = s.get_json(&format!("{ITEMS}?limit=5&snapshot={junk}"));
        assert_problem(status, &body, 400, "snapshot");
    }
    // The token of the current snapshot works with no pin needed.
    let (status, page2) = json_of(s.client().get(&next).send().expect("next"));
    assert_eq!(status, 200, "{page2}");
    assert_eq!(page2["numberReturned"], 5);
}

// --- Logs ----------------------------------------------------------------------------------

fn requests(s: &Server, n: usize) {
    for _ in 0..n {
        assert_eq!(s.get("/conformance").status(), 200);
    }
}

#[test]
fn access_logs_are_opt_in_and_structured() {
    let tmp = tempfile::tempdir().unwrap();
    let info = [("RUST_LOG", "info")];

    let quiet = Server::start_with_env(&tmp.path().join("a.sqlite"), &[], None, &info);
    requests(&quiet, 20);
    let log = quiet.log();
    assert!(
        log.contains("store opened"),
        "INFO events still come:\n{log}"
    );
    assert_eq!(log.matches("/conformance").count(), 0, "{log}");
    drop(quiet);

    let text = Server::start_with_env(&tmp.path().join("b.sqlite"), &["--access-log"], None, &info);
    requests(&text, 20);
    let log = text.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("/conformance")).collect();
    assert_eq!(lines.len(), 20, "{log}");
    assert!(lines.iter().all(|l| l.contains("status=200")), "{log}");
    drop(text);

    let json_log = Server::start_with_env(
        &tmp.path().join("c.sqlite"),
        &["--access-log", "--log-format", "json"],
        None,
        &info,
    );
    requests(&json_log, 20);
    let log = json_log.log();
    let events: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let access: Vec<&Value> = events
        .iter()
        .filter(|e| e["target"] == "incident_atlas::access")
        .collect();
    assert_eq!(access.len(), 20, "{log}");
    for e in access {
        assert_eq!(e["fields"]["method"], "GET", "{e}");
        assert_eq!(e["fields"]["path"], "/conformance", "{e}");
        assert_eq!(e["fields"]["status"], 200, "{e}");
        assert!(
            e["fields"]["bytes"].as_u64().is_some_and(|b| b > 100),
            "{e}"
        );
    }
}

// --- Equality parameters are read as their property's type ---------------------------------

#[test]
fn equality_values_that_cannot_match_their_type_are_a_400() {
    let s = Server::start();
    for (query, field, says) in [
        ("year=0.5", "year", "whole number"),
        ("fatalities=many", "fatalities", "a number"),
        ("event_type=Batles", "event_type", "Battles"),
    ] {
        let (status, body) = s.get_json(&format!("{ITEMS}?{query}"));
        assert_problem(status, &body, 400, field);
        let reason = body["errors"][0]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(says), "{query}: {body}");
    }
    // Whole numbers written with a fraction of zero, and listed values, still match.
    let (status, fc) = s.get_json(&format!("{ITEMS}?fatalities=4.0"));
    assert_eq!(status, 200, "{fc}");
    assert_eq!(ids(&fc), vec![json!(1), json!(10)]);
    let (status, fc) = s.get_json(&format!("{ITEMS}?event_type=Battles&limit=100"));
    assert_eq!(status, 200, "{fc}");
    assert!(fc["numberMatched"].as_u64().is_some_and(|n| n > 0), "{fc}");
}

// --- Slow bodies -----------------------------------------------------------------------------

#[test]
fn a_body_that_stops_arriving_is_a_408() {
    let s = Server::start();
    let addr = s.base.trim_start_matches("http://");
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    // A head that promises 100 bytes, then one byte, then nothing.
    conn.write_all(
        b"POST /collections/incidents/search HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The answer comes within the server's limit (10 s of silence); the read timeout is the
    // test's deadline.
    while !String::from_utf8_lossy(&answer).ends_with('}') {
        match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) => panic!("no answer to a stalled body: {e}"),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(text.contains("after 1 bytes"), "{text}");
    assert_still_serving(&s);
}
