//! Schemathesis fuzzes the real server from its own OpenAPI document (/api): every operation,
//! valid and invalid inputs, writes included (it sends the bearer token). It fails on any 5xx,
//! any response its documented schema or content type does not describe, any status code the
//! document does not list for that operation, and any method it does not list that is not
//! answered 405 with the right Allow header.
//!
//! `.ci/run` installs schemathesis (pinned in tests/clients/requirements.txt) into the clients'
//! venv. Without it the test fails under CI and is skipped elsewhere (`skip_without`).
mod common;
use common::*;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The four that matter most, and the 405s' (undocumented methods answer 405 with an Allow
/// header listing what the document has).
const CHECKS: &str = "not_a_server_error,response_schema_conformance,\
                      status_code_conformance,content_type_conformance,\
                      unsupported_method,allow_header_conformance";
/// Test cases per operation and phase: about 9,500 requests over 67 operations, 70 s on two
/// cores.
const MAX_EXAMPLES: &str = "10";
/// Fixed, so a failure found once is found again.
const SEED: &str = "20261205";
/// Past this the run is killed and the test fails.
const DEADLINE: Duration = Duration::from_secs(300);

/// The schemathesis of the venv `.ci/run` builds (ATLAS_CLIENTS_VENV, or
/// ~/.cache/incident-atlas/clients-venv), else one on the PATH.
fn schemathesis() -> Option<PathBuf> {
    let in_venv = clients_venv().join("bin/schemathesis");
    if in_venv.exists() {
        return Some(in_venv);
    }
    runs("schemathesis", &["--version"]).then(|| PathBuf::from("schemathesis"))
}

#[test]
fn schemathesis_finds_no_server_error_or_undocumented_response() {
    let st = schemathesis();
    if skip_without("schemathesis", st.is_some()) {
        return;
    }
    let st = st.expect("checked above");
    let s = Server::start();
    let work = tempfile::tempdir().expect("temp dir");
    let report = work.path().join("report.json");
    let started = Instant::now();
    let mut cmd = Command::new(&st);
    cmd.arg("run")
        .arg(s.url("/api"))
        .args(["--checks", CHECKS])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        // One worker: Debian's Python 3.11 can fail parsing source in several threads at once
        // ("AST constructor recursion depth mismatch"), inside Hypothesis.
        .args(["--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--request-timeout", "60"])
        // Hypothesis' health checks judge the generator (slow or filtered data), not the
        // server; on a loaded machine they would fail the run for nothing.
        .args(["--suppress-health-check", "all"])
        // Nothing kept between runs, nothing written into the clone.
        .args(["--generation-database", "none"])
        .args(["--report", "json", "--report-json-path"])
        .arg(&report)
        .arg("--no-color")
        .current_dir(work.path());
    let out =
        output_within(&mut cmd, DEADLINE).unwrap_or_else(|e| panic!("start {}: {e}", st.display()));
    let took = started.elapsed();
    let output = String::from_utf8_lossy(&out.stdout);
    let report: Value = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| {
            panic!(
                "no JSON report ({}); output:\n{output}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });

    // One request per test case (a HAR of the same run lists as many entries).
    let requests = report["test_cases"]["generated"].as_u64().unwrap_or(0);
    let failures = listed(&report["failures"]);
    let errors = listed(&report["errors"]);
    let count = |kinds: &Value| -> u64 {
        let kinds = kinds.as_array().map_or(&[][..], Vec::as_slice);
        kinds.iter().map(|k| k["count"].as_u64().unwrap_or(1)).sum()
    };
    // To the stderr handle, which libtest does not capture: CI's log shows the counts.
    let mut summary = format!(
        "schemathesis: {requests} requests, {} failures, {} errors in {:.0} s (seed {SEED})\n",
        count(&report["failures"]),
        count(&report["errors"]),
        took.as_secs_f64()
    );
    for line in failures.iter().chain(&errors) {
        summary.push_str(&format!("  {line}\n"));
    }
    let _ = std::io::stderr().lock().write_all(summary.as_bytes());
    assert!(
        out.status.success() && failures.is_empty() && errors.is_empty(),
        "schemathesis ({}) found: {failures:?} {errors:?}; output:\n{}",
        out.status,
        from_failures(&output)
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
fn from_failures(text: &str) -> String {
    let from = ["= FAILURES =", "= ERRORS ="]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .map_or(0, |i| text[..i].rfind('\n').map_or(0, |n| n + 1));
    text[from..].chars().take(30_000).collect()
}
