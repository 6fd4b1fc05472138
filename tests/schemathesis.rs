//! Schemathesis fuzzes the real server from its own OpenAPI document (/api): every operation,
//! valid and invalid inputs, writes included (it sends the bearer token). It fails on any 5xx,
//! any response its documented schema or content type does not describe, any status code the
//! document does not list for that operation, and any method it does not list that is not
//! answered 405 with the right Allow header.
//!
//! `.ci/run` installs schemathesis (pinned in tests/clients/requirements.txt) into the clients'
//! venv. Without it the test fails under CI and is skipped elsewhere.
mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The four that matter most, and the 405s' (undocumented methods answer 405 with an Allow
/// header listing what the document has).
const CHECKS: &str = "not_a_server_error,response_schema_conformance,\
                      status_code_conformance,content_type_conformance,\
                      unsupported_method,allow_header_conformance";
/// Test cases per operation and phase: about 9,000 requests over 67 operations, a minute or
/// so on two cores.
const MAX_EXAMPLES: &str = "10";
/// Fixed, so a failure found once is found again.
const SEED: &str = "20261205";
/// Past this the run is killed and the test fails.
const DEADLINE: Duration = Duration::from_secs(300);

/// The schemathesis of the venv `.ci/run` builds (ATLAS_CLIENTS_VENV, or
/// ~/.cache/incident-atlas/clients-venv), else one on the PATH.
fn schemathesis() -> Option<PathBuf> {
    let venv = std::env::var_os("ATLAS_CLIENTS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
            home.join(".cache/incident-atlas/clients-venv")
        });
    let in_venv = venv.join("bin/schemathesis");
    if in_venv.exists() {
        return Some(in_venv);
    }
    let on_path = Command::new("schemathesis")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    on_path.then(|| PathBuf::from("schemathesis"))
}

#[test]
fn schemathesis_finds_no_server_error_or_undocumented_response() {
    let Some(st) = schemathesis() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "schemathesis missing: .ci/run installs it"
        );
        println!("skipped: schemathesis not installed (run .ci/run to install)");
        return;
    };
    let s = Server::start();
    let work = tempfile::tempdir().expect("temp dir");
    let report = work.path().join("report.json");
    let output = work.path().join("output.txt");
    let started = Instant::now();
    let mut child = Command::new(&st)
        .arg("run")
        .arg(s.url("/api"))
        .args(["--checks", CHECKS])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        // One worker: Debian's Python 3.11 can fail parsing source in several threads at once
        // ("AST constructor recursion depth mismatch"), inside Hypothesis.
        .args(["--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--request-timeout", "60"])
        // Nothing kept between runs, nothing written into the clone.
        .args(["--generation-database", "none"])
        .args(["--report", "json", "--report-json-path"])
        .arg(&report)
        .arg("--no-color")
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&output).expect("output file"))
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", st.display()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for schemathesis") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "schemathesis (pid {}) ran past {DEADLINE:?} and was killed; output:\n{}",
                child.id(),
                tail(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let took = started.elapsed();
    let report: Value = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("no JSON report ({status}); output:\n{}", tail(&output)));

    // One request per test case (a HAR of the same run lists as many entries).
    let requests = report["test_cases"]["generated"].as_u64().unwrap_or(0);
    let failures = listed(&report["failures"]);
    let errors = listed(&report["errors"]);
    println!(
        "schemathesis: {requests} requests, {} failures, {} errors in {:.0} s (seed {SEED})",
        failures.len(),
        errors.len(),
        took.as_secs_f64()
    );
    for line in failures.iter().chain(&errors) {
        println!("  {line}");
    }
    assert!(
        status.success() && failures.is_empty() && errors.is_empty(),
        "schemathesis ({status}) found: {failures:?} {errors:?}; output:\n{}",
        tail(&output)
    );
    assert_eq!(report["complete"], true, "run incomplete: {report}");
    assert!(requests > 1_000, "only {requests} requests were made");
}

/// One line per failure or error kind of the report: code, title, count, operations.
fn listed(kinds: &Value) -> Vec<String> {
    let Some(kinds) = kinds.as_array() else {
        return vec![];
    };
    kinds
        .iter()
        .map(|k| {
            format!(
                "{} {} ×{}: {}",
                k["code"].as_str().unwrap_or(""),
                k["title"].as_str().unwrap_or(""),
                k["count"],
                k["operations"]
            )
        })
        .collect()
}

/// Schemathesis' output from its list of failures and errors on (how to reproduce each), at
/// most 30,000 characters of it.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let from = ["= FAILURES =", "= ERRORS ="]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .map_or(0, |i| text[..i].rfind('\n').map_or(0, |n| n + 1));
    text[from..].chars().take(30_000).collect()
}
