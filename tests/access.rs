//! Roles and tokens: a tokens file names each token's holder and role (`reader-exact` reads,
//! `editor` also writes), ATLAS_WRITE_TOKEN stays an editor, a token that is not valid is a
//! 401 on any route, and no token is ever written to the log.
mod common;
use common::*;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// A new token from `incident-atlas token`: the token (stdout) and the tokens-file line
/// (the last line of stderr).
fn new_token(name: &str, role: &str) -> (String, String) {
    let out = output_within(
        Command::new(BIN).args(["token", "--name", name, "--role", role]),
        Duration::from_secs(60),
    )
    .expect("token runs");
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "{token}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = stderr.lines().last().expect("a line").to_owned();
    assert!(line.ends_with(&format!(" {name} {role}")), "{line}");
    assert!(
        !line.contains(&token),
        "the line holds the hash, not the token"
    );
    (token, line)
}

fn send(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = s.client().request(method, s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/geo+json")
            .body(b.to_string());
    }
    json_of(req.send().expect("request"))
}

#[test]
fn tokens_carry_roles_and_never_reach_the_log() {
    let (alice, alice_line) = new_token("alice", "editor");
    let (bob, bob_line) = new_token("bob", "reader-exact");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("tokens");
    std::fs::write(&file, format!("# holders\n{alice_line}\n{bob_line}\n")).unwrap();
    let s = Server::start_with_env(
        &tmp.path().join("a.sqlite"),
        &["--tokens", file.to_str().unwrap(), "--access-log"],
        Some("the-write-token"),
        &[("RUST_LOG", "info")],
    );
    let post = reqwest::Method::POST;
    let items = "/collections/incidents/items";

    // An editor writes; so does ATLAS_WRITE_TOKEN.
    let (status, created) = send(
        &s,
        post.clone(),
        items,
        Some(&alice),
        Some(&incident("al-Zuhur")),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["properties"]["location"], "al-Zuhur");
    let (status, _) = send(
        &s,
        post.clone(),
        items,
        Some("the-write-token"),
        Some(&incident("Ghweiran")),
    );
    assert_eq!(status, 201);

    // A reader reads and may not write: 403 naming the holder and the role.
    let (status, fc) = send(&s, reqwest::Method::GET, items, Some(&bob), None);
    assert_eq!(status, 200);
    assert_eq!(fc["numberMatched"], 18);
    let (status, body) = send(
        &s,
        post.clone(),
        items,
        Some(&bob),
        Some(&incident("al-Zuhur")),
    );
    assert_eq!(status, 403, "{body}");
    let detail = body["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("bob") && detail.contains("reader-exact"),
        "{detail}"
    );
    let id = created["id"].as_i64().unwrap();
    let (status, _) = send(
        &s,
        reqwest::Method::DELETE,
        &format!("{items}/{id}"),
        Some(&bob),
        None,
    );
    assert_eq!(status, 403);

    // A token that is not valid is refused on reads too, and on writes; none is stored.
    for method in [reqwest::Method::GET, post.clone()] {
        let (status, body) = send(
            &s,
            method.clone(),
            items,
            Some("not-a-token"),
            Some(&incident("al-Zuhur")),
        );
        assert_problem(status, &body, 401, "");
        assert!(
            body["detail"].as_str().unwrap_or("").contains("not valid"),
            "{method} {body}"
        );
    }
    let res = s
        .client()
        .get(s.url("/"))
        .bearer_auth("nope")
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    let (status, body) = send(&s, post.clone(), items, None, Some(&incident("al-Zuhur")));
    assert_problem(status, &body, 401, "");
    let (_, fc) = s.get_json(items);
    assert_eq!(fc["numberMatched"], 18);

    // The log names requests, never a token.
    let log = s.log();
    assert!(
        log.contains("/collections/incidents/items"),
        "the access log is on"
    );
    for secret in [&alice, &bob, "the-write-token", "not-a-token"] {
        assert!(!log.contains(secret), "the log holds a token");
    }
}

#[test]
fn a_bad_tokens_file_stops_start_up_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("tokens");
    let (_, line) = new_token("carol", "editor");
    std::fs::write(
        &file,
        format!("{line}\n{} dave admin\n", line.split(' ').next().unwrap()),
    )
    .unwrap();
    let out = output_within(
        Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--db"])
            .arg(tmp.path().join("a.sqlite"))
            .arg("--tokens")
            .arg(&file)
            .env_remove("ATLAS_WRITE_TOKEN"),
        Duration::from_secs(60),
    )
    .expect("exits");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("\"admin\""), "{err}");
}

#[test]
fn without_an_editor_writes_are_off() {
    let tmp = tempfile::tempdir().unwrap();
    let (bob, line) = new_token("bob", "reader-exact");
    let file = tmp.path().join("tokens");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let s = Server::start_on(
        &tmp.path().join("a.sqlite"),
        &["--tokens", file.to_str().unwrap()],
        None,
    );
    let (status, body) = send(
        &s,
        reqwest::Method::POST,
        "/collections/incidents/items",
        Some(&bob),
        Some(&incident("al-Zuhur")),
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("writes are disabled"),
        "{body}"
    );
    let (status, _) = send(
        &s,
        reqwest::Method::GET,
        "/collections/incidents/items",
        Some(&bob),
        None,
    );
    assert_eq!(status, 200);
}
