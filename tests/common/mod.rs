//! Test harness: starts the real binary on an ephemeral port with a real SQLite file in a
//! temporary directory, and talks HTTP to it. With `ATLAS_TEST_STORE=postgres` the same
//! servers run on PostgreSQL instead: one throwaway cluster per test process, one database per
//! SQLite path a test names (so a test restarting a server on "its file" gets its database
//! back), which is how `.ci/run` runs the OGC, writes, sync, changes and durability suites
//! against both stores.
#![allow(dead_code)]

pub mod postgres;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use serde_json::Value;

pub const TOKEN: &str = "test-token";
pub const BIN: &str = env!("CARGO_BIN_EXE_incident-atlas");
/// Every collection the server publishes, derived ones included.
pub const COLLECTIONS: [&str; 6] = [
    "incidents",
    "places",
    "clash-zones",
    "displacement-reports",
    "displacement-flows",
    "displacement-origins",
];

/// The venv `.ci/run` installs the PyPI clients and schemathesis into (ATLAS_CLIENTS_VENV, or
/// ~/.cache/incident-atlas/clients-venv).
pub fn clients_venv() -> PathBuf {
    std::env::var_os("ATLAS_CLIENTS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
            home.join(".cache/incident-atlas/clients-venv")
        })
}

/// How long a server may take to print its address (a 1M-incident start takes ~3 s).
pub const START_DEADLINE: Duration = Duration::from_secs(120);

pub struct Server {
    child: Child,
    pub base: String,
    pub db: PathBuf,
    /// The server's stderr.
    pub log: PathBuf,
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

    /// As `start_on`, with extra environment variables (RUST_LOG is warn unless set here).
    pub fn start_with_env(
        db: &Path,
        args: &[&str],
        token: Option<&str>,
        env: &[(&str, &str)],
    ) -> Server {
        let dir = db.parent().expect("db has a folder");
        match pg_store::database_for(db) {
            Some(url) => Server::start_store(dir, url.as_ref(), args, token, env),
            None => Server::start_store(dir, db.as_os_str(), args, token, env),
        }
    }

    /// A server on the store `db` (a SQLite path or a postgres:// URL), its log in `dir`
    /// (one file per server: several may share a folder).
    pub fn start_store(
        dir: &Path,
        db: &std::ffi::OsStr,
        args: &[&str],
        token: Option<&str>,
        env: &[(&str, &str)],
    ) -> Server {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = dir.to_path_buf();
        let log = dir.join(format!("server-{}-{n}.log", std::process::id()));
        let stderr = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg("--bind")
            .arg("127.0.0.1:0")
            .arg("--db")
            .arg(db)
            .args(args)
            .env_remove("ATLAS_WRITE_TOKEN")
            .env_remove("ATLAS_TOKENS")
            .env_remove("ATLAS_ACCESS_LOG")
            .env_remove("ATLAS_LOG_FORMAT")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(t) = token {
            cmd.env("ATLAS_WRITE_TOKEN", t);
        }
        cmd.envs(env.iter().copied());
        let mut child = cmd.spawn().expect("start incident-atlas");
        let stdout = child.stdout.take().expect("stdout piped");
        // The first line names the port; a server that never prints it fails the test by the
        // deadline instead of hanging it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).ok();
            tx.send(line).ok();
        });
        let line = match rx.recv_timeout(START_DEADLINE) {
            Ok(line) => line,
            Err(_) => {
                child.kill().ok();
                child.wait().ok();
                panic!("the server did not start within {START_DEADLINE:?}");
            }
        };
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("server did not start: stdout {line:?}, log:\n{log}")
            })
            .to_owned();
        Server {
            child,
            base,
            db: PathBuf::from(db),
            log,
            dir,
            _tmp: None,
            client: Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    /// What the server has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
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

    /// The server's process id: tests kill only what they started, by pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
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

/// Whether a test that needs an outside tool (GDAL, QGIS, a PyPI client) should skip:
/// `available` says whether the tool is there. A new user's `cargo test` passes without the
/// tools and says what it skipped; under CI (`CI` set), where `.ci/run` has installed them,
/// a missing tool fails the test instead of hiding behind a skip.
pub fn skip_without(tool: &str, available: bool) -> bool {
    if available {
        return false;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{tool} is missing, and CI is set: .ci/run should have installed it");
    }
    say_skipped(&format!("{tool} is not installed (run .ci/run to install)"));
    true
}

/// Prints "skipped: why" where the person running `cargo test` sees it: libtest captures
/// `eprintln!` of passing tests, but not writes to the stderr handle itself.
pub fn say_skipped(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("test").to_owned();
    let _ = writeln!(std::io::stderr().lock(), "skipped: {why} ({test})");
}

/// Whether `program args…` runs and exits 0 within a minute (a tool is installed and works).
pub fn runs(program: &str, args: &[&str]) -> bool {
    let mut cmd = Command::new(program);
    cmd.args(args);
    output_within(&mut cmd, Duration::from_secs(60)).is_ok_and(|out| out.status.success())
}

/// Runs a command to completion like `Command::output`, but kills it (by its pid) if it has
/// not finished by `deadline`: then, or when it cannot be started, an error callers fail on.
pub fn output_within(
    cmd: &mut Command,
    deadline: Duration,
) -> std::io::Result<std::process::Output> {
    run_within(cmd, deadline).map_err(std::io::Error::other)
}

/// Runs `cmd` to its end, stdout and stderr drained on threads (a chatty child never blocks
/// on a full pipe); past `deadline` it is killed by its pid and the answer is an error, not a
/// panic (the PostgreSQL harness runs commands in Drop too).
pub fn run_within(cmd: &mut Command, deadline: Duration) -> Result<std::process::Output, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut bytes).ok();
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let began = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if began.elapsed() > deadline => {
                child.kill().ok();
                child.wait().ok();
                return Err(format!("{cmd:?} did not finish within {deadline:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {cmd:?}: {e}")),
        }
    };
    Ok(std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Whether the GDAL tests are skipped: explicitly with ATLAS_SKIP_GDAL=1, or when gdal-bin
/// is missing outside CI.
pub fn gdal_skipped() -> bool {
    if std::env::var_os("ATLAS_SKIP_GDAL").is_some() {
        say_skipped("ATLAS_SKIP_GDAL is set");
        return true;
    }
    static PRESENT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let present = *PRESENT.get_or_init(|| runs("ogrinfo", &["--version"]));
    skip_without("GDAL (ogrinfo, from gdal-bin)", present)
}

/// Runs a GDAL utility; stdout and stderr. It must succeed.
pub fn gdal(tool: &str, args: &[&str]) -> (String, String) {
    let out = output_within(Command::new(tool).args(args), Duration::from_secs(300))
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

/// `ATLAS_TEST_STORE=postgres`: servers on PostgreSQL (see the module's comment).
mod pg_store {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, OnceLock};

    use super::postgres::{PgCluster, PgOptions};

    struct Shared {
        cluster: Option<PgCluster>,
        databases: HashMap<PathBuf, String>,
    }

    static SHARED: OnceLock<Mutex<Shared>> = OnceLock::new();

    /// Stops the cluster when the test process exits (statics are never dropped).
    extern "C" fn stop_cluster() {
        if let Some(shared) = SHARED.get() {
            if let Ok(mut shared) = shared.lock() {
                drop(shared.cluster.take());
            }
        }
    }

    /// The URL of the database standing for the SQLite file `db`, created on first use; `None`
    /// when the suites run on SQLite.
    pub fn database_for(db: &Path) -> Option<String> {
        if std::env::var("ATLAS_TEST_STORE").ok().as_deref() != Some("postgres") {
            return None;
        }
        let shared = SHARED.get_or_init(|| {
            let cluster = PgCluster::start_with(PgOptions { fsync: true })
                .expect("ATLAS_TEST_STORE=postgres needs PostgreSQL and PostGIS");
            // SAFETY: registers a plain function with no arguments, run once at exit.
            unsafe { libc::atexit(stop_cluster) };
            eprintln!(
                "ATLAS_TEST_STORE=postgres: servers run on PostgreSQL {} (port {})",
                cluster.version(),
                cluster.port()
            );
            Mutex::new(Shared {
                cluster: Some(cluster),
                databases: HashMap::new(),
            })
        });
        let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(url) = shared.databases.get(db) {
            return Some(url.clone());
        }
        let name = format!("t{}", shared.databases.len());
        let url = shared
            .cluster
            .as_ref()
            .expect("the cluster runs until exit")
            .create_database(&name);
        shared.databases.insert(db.to_path_buf(), url.clone());
        Some(url)
    }
}

/// Haversine distance in metres between two (lon, lat) points: within ~0.5% of the geodesic
/// distance the server reports, computed independently of it.
pub fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8;
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dla = la2 - la1;
    let dlo = (b.0 - a.0).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}
