//! Bounds on FlatGeobuf downloads (`serve --max-exports`, `--export-temp-bytes`): beyond them
//! the answer is a 503 problem with Retry-After, at once; within them the file is whole; the
//! temporary files are gone when a download ends or its client goes away. Nothing is timed:
//! every wait polls with a deadline.

mod common;
use common::*;

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use flatgeobuf::{FallibleStreamingIterator, FgbReader};
use reqwest::blocking::Response;

const ITEMS: &str = "/collections/incidents/items";
const FGB: &str = "/collections/incidents/items?f=fgb";
/// About 18 MB of FlatGeobuf: more than the socket buffers between server and client hold,
/// so a download whose body is not read stays in progress.
const INCIDENTS: u64 = 20_000;
/// The longest any wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(120);

/// A database of `INCIDENTS` generated incidents, imported with the CLI.
fn imported_db(dir: &Path) -> PathBuf {
    let file = dir.join("generated.geojson");
    let out = output_within(
        Command::new(BIN).args(["generate", "--count", &INCIDENTS.to_string()]),
        DEADLINE,
    )
    .expect("run generate");
    assert!(out.status.success(), "generate failed");
    std::fs::write(&file, out.stdout).expect("write generated incidents");
    let db = dir.join("big.sqlite");
    let out = output_within(
        Command::new(BIN)
            .arg("import")
            .arg(&file)
            .arg("--db")
            .arg(&db)
            .env("RUST_LOG", "warn"),
        DEADLINE,
    )
    .expect("run import");
    assert!(
        out.status.success(),
        "import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// Features in a FlatGeobuf file, read one by one.
fn features_in(bytes: &[u8]) -> u64 {
    let reader = FgbReader::open(Cursor::new(bytes)).expect("a FlatGeobuf file");
    let declared = reader.header().features_count();
    let mut features = reader.select_all().expect("select all");
    let mut read = 0;
    while features.next().expect("feature").is_some() {
        read += 1;
    }
    assert_eq!(read, declared, "features read vs declared");
    read
}

/// A 503 problem whose detail says `why`, with a Retry-After in seconds.
fn assert_unavailable(res: Response, why: &str) {
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    let media = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let (status, body) = json_of(res);
    assert_problem(status, &body, 503, "");
    assert_eq!(media, "application/problem+json");
    assert!(retry_after.is_some_and(|s| s > 0), "Retry-After seconds");
    let detail = body["detail"].as_str().unwrap_or("");
    assert!(detail.contains(why), "detail should say {why:?}: {detail}");
}

/// Temporary files the server holds open: its files in `tmp` (its TMPDIR), all deleted.
fn temp_files(s: &Server, tmp: &Path) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", s.pid())) else {
        return 0;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(tmp))
        .count()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The next FlatGeobuf download that is not turned away (one ending may still be giving its
/// place back).
fn download_when_free(s: &Server) -> Response {
    let start = Instant::now();
    loop {
        let res = s.get(FGB);
        if res.status() != 503 {
            assert_eq!(res.status(), 200);
            return res;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the export place never came back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server on `INCIDENTS` imported incidents with `args`, whose temporary files go to a
/// folder of its own (returned), so that the test can count them.
fn server_with_own_tmp(dir: &Path, args: &[&str]) -> (Server, PathBuf) {
    let db = imported_db(dir);
    let tmp = dir.join("server-tmp");
    std::fs::create_dir(&tmp).expect("server TMPDIR");
    let args: Vec<&str> = ["--no-seed"].iter().chain(args).copied().collect();
    let tmp_dir = tmp.to_str().expect("UTF-8 temp path");
    let s = Server::start_with_env(&db, &args, None, &[("TMPDIR", tmp_dir)]);
    (s, tmp)
}

#[test]
fn one_download_at_a_time_and_its_temporary_file_goes_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (s, tmp) = server_with_own_tmp(dir.path(), &["--max-exports", "1"]);

    // The first download is answered and then left unread: it stays in progress, holding
    // the only place and its temporary file.
    let first = s.get(FGB);
    assert_eq!(first.status(), 200);
    assert_eq!(temp_files(&s, &tmp), 1, "the features' temporary file");
    assert_unavailable(s.get(FGB), "at once");
    // The streamed formats are not bounded.
    assert_eq!(s.get(&format!("{ITEMS}?f=csv&limit=5")).status(), 200);

    let bytes = first.bytes().expect("first body").to_vec();
    assert_eq!(features_in(&bytes), INCIDENTS);
    let again = download_when_free(&s).bytes().expect("body").to_vec();
    assert_eq!(features_in(&again), INCIDENTS);
    wait_until("temporary files deleted after complete downloads", || {
        temp_files(&s, &tmp) == 0
    });

    // A client that goes away mid-download: the writer stops, its file is deleted and the
    // place is given back.
    let mut gone = download_when_free(&s);
    let mut start = vec![0; 64 * 1024];
    gone.read_exact(&mut start).expect("the file's first bytes");
    assert_eq!(&start[..3], b"fgb");
    drop(gone);
    wait_until("the temporary file deleted after a disconnect", || {
        temp_files(&s, &tmp) == 0
    });
    let after = download_when_free(&s).bytes().expect("body").to_vec();
    assert_eq!(features_in(&after), INCIDENTS);
}

#[test]
fn a_client_that_stops_reading_loses_its_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (s, tmp) = server_with_own_tmp(
        dir.path(),
        &["--max-exports", "1", "--export-stall-secs", "1"],
    );
    // Answered, then never read: once the socket buffers and the queue are full, the writer
    // waits a second for the client, then drops the download and gives its place back.
    let stalled = s.get(FGB);
    assert_eq!(stalled.status(), 200);
    wait_until("the stalled download dropped", || temp_files(&s, &tmp) == 0);
    let next = download_when_free(&s).bytes().expect("body").to_vec();
    assert_eq!(features_in(&next), INCIDENTS);
    // The stalled client's download is broken off, not closed as if the file were whole.
    let rest = stalled.bytes();
    assert!(
        rest.is_err(),
        "a cut download must not end like a whole one: {:?} bytes",
        rest.map(|b| b.len())
    );
}

#[test]
fn a_download_beyond_the_temporary_space_budget_is_turned_away() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("seeded.sqlite");
    // Room for one incident's file, not for the scenario's.
    let s = Server::start_on(&db, &["--export-temp-bytes", "4000"], None);
    assert_unavailable(s.get(FGB), "temporary space");
    let one = s.get(&format!("{ITEMS}/10?f=fgb"));
    assert_eq!(one.status(), 200);
    assert_eq!(features_in(&one.bytes().expect("body")), 1);
    // Other formats do not use it.
    assert_eq!(s.get(&format!("{ITEMS}?f=geojsonseq")).status(), 200);
}
