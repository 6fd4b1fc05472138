//! Test harness: starts the real binary on an ephemeral port with a real SQLite file in a
//! temporary directory, and talks HTTP to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use serde_json::Value;

pub const TOKEN: &str = "test-token";
pub const BIN: &str = env!("CARGO_BIN_EXE_incident-atlas");

pub struct Server {
    child: Child,
    pub base: String,
    pub db: PathBuf,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    client: Client,
}

impl Server {
    /// A server on a fresh database (seeded with the scenario), writes enabled.
    pub fn start() -> Server {
        let tmp = tempfile::tempdir().expect("temp dir");
        let db = tmp.path().join("atlas.sqlite");
        let mut s = Server::start_on(&db, &[], Some(TOKEN));
        s._tmp = Some(tmp);
        s
    }

    /// A server on `db` (kept after the server stops), with extra arguments and token.
    pub fn start_on(db: &Path, args: &[&str], token: Option<&str>) -> Server {
        Server::start_with_env(db, args, token, &[])
    }

    /// As `start_on`, with extra environment variables for the server.
    pub fn start_with_env(
        db: &Path,
        args: &[&str],
        token: Option<&str>,
        env: &[(&str, &Path)],
    ) -> Server {
        let dir = db.parent().expect("db has a folder").to_path_buf();
        let stderr = std::fs::File::create(dir.join(format!("server-{}.log", std::process::id())))
            .expect("log file");
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg("--bind")
            .arg("127.0.0.1:0")
            .arg("--db")
            .arg(db)
            .args(args)
            .env_remove("ATLAS_WRITE_TOKEN")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(t) = token {
            cmd.env("ATLAS_WRITE_TOKEN", t);
        }
        let mut child = cmd.spawn().expect("start incident-atlas");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read listening line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let log =
                    std::fs::read_to_string(dir.join(format!("server-{}.log", std::process::id())))
                        .unwrap_or_default();
                panic!("server did not start: stdout {line:?}, log:\n{log}")
            })
            .to_owned();
        Server {
            child,
            base,
            db: db.to_path_buf(),
            dir,
            _tmp: None,
            client: Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    /// The server's process id (for reading /proc/<pid>).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().expect("GET")
    }

    /// GET and parse the body as JSON, whatever the status.
    pub fn get_json(&self, path: &str) -> (u16, Value) {
        json_of(self.get(path))
    }

    pub fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> (u16, Value) {
        let content_type = if method == reqwest::Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/geo+json"
        };
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("Content-Type", content_type)
            .body(body.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        json_of(req.send().expect("send"))
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, path, body, Some(TOKEN))
    }

    /// Kills the server the hard way (SIGKILL): no shutdown code runs.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().ok();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

pub fn json_of(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts an RFC 9457 problem with this status whose errors name `field`.
pub fn assert_problem(status: u16, body: &Value, expected: u16, field: &str) {
    assert_eq!(status, expected, "status; body: {body}");
    assert_eq!(body["status"], expected, "problem status member: {body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail: {body}"
    );
    if !field.is_empty() {
        let named = body["errors"].as_array().is_some_and(|errs| {
            errs.iter()
                .any(|e| e["field"].as_str().is_some_and(|f| f.contains(field)))
        });
        assert!(named, "errors should name {field}: {body}");
    }
}

/// A minimal valid incident Feature placed by place name.
pub fn incident(place: &str) -> Value {
    serde_json::json!({
        "type": "Feature",
        "geometry": null,
        "properties": {
            "event_date": "2022-01-22",
            "event_type": "Battles",
            "sub_event_type": "Armed clash",
            "actor1": "Islamic State (Syria)",
            "actor2": "QSD: Syrian Democratic Forces",
            "place": place,
            "fatalities": 2,
            "source": "Test"
        }
    })
}

/// Ids of the features of a FeatureCollection.
pub fn ids(fc: &Value) -> Vec<Value> {
    fc["features"]
        .as_array()
        .map(|f| f.iter().map(|x| x["id"].clone()).collect())
        .unwrap_or_default()
}

/// Whether the GDAL tests are skipped: only with ATLAS_SKIP_GDAL=1, on a machine that cannot
/// have gdal-bin (CI installs it).
pub fn gdal_skipped() -> bool {
    std::env::var_os("ATLAS_SKIP_GDAL").is_some()
}

/// Runs a GDAL utility; stdout and stderr. It must succeed.
pub fn gdal(tool: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}: install gdal-bin (or set ATLAS_SKIP_GDAL=1)"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{tool} {args:?}: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// `ogrinfo`'s output, or `None` when the GDAL tests are skipped.
pub fn ogrinfo(args: &[&str]) -> Option<String> {
    if gdal_skipped() {
        return None;
    }
    Some(gdal("ogrinfo", args).0)
}
