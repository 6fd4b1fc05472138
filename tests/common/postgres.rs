//! Throwaway PostgreSQL clusters (with PostGIS) for the tests of the shared store.
//!
//! Each `PgCluster` is a cluster of its own: `initdb` into a temporary directory, a `postgres`
//! started as this process's child, listening on 127.0.0.1 only, on a free port, with trust
//! authentication for the superuser `postgres`. Dropping it stops the server and removes the
//! directory. Nothing else on the machine is touched: Debian's own cluster, if any, is left
//! alone, and only processes started here are signalled, by pid.
//!
//! The binaries are Debian's, under /usr/lib/postgresql/<major>/bin (the newest major that has
//! PostGIS), or those in the folder `ATLAS_PG_BIN` names. Where they are missing, `start`
//! says "skipped: …" and gives `None`, as `skip_without` does; under CI, where `.ci/run`
//! installs `postgresql` and `postgresql-<major>-postgis-3`, it panics instead.
//!
//! PostgreSQL refuses to run as root, and tests run as root on CI machines: then the cluster's
//! processes run as Debian's `postgres` system user (created by the `postgresql` packages), or as
//! `nobody` where there is none, with the temporary directory handed to that user. As any other
//! user they run as that user.
#![allow(dead_code)]

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{run_within, skip_without};

/// The cluster's superuser, in every URL (trust authentication: no password).
pub const SUPERUSER: &str = "postgres";
/// How long initdb, a start, a stop or a kill may take on a busy machine before the test fails.
pub const PG_DEADLINE: Duration = Duration::from_secs(60);

/// How a cluster is set up.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Whether PostgreSQL flushes to disk (fsync, full page writes, synchronous commit). On by
    /// default, so that what PostgreSQL reports committed survives its being killed or restarted,
    /// as in production; off only for tests that neither kill nor restart PostgreSQL and want
    /// speed.
    pub fsync: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions { fsync: true }
    }
}

/// The PostgreSQL binaries a cluster runs.
#[derive(Clone, Debug)]
struct Install {
    bin: PathBuf,
    /// "15.18", from `postgres --version`.
    version: String,
}

/// The unprivileged user the cluster runs as when this process is root.
#[derive(Clone, Copy, Debug)]
struct RunAs {
    uid: u32,
    gid: u32,
}

pub struct PgCluster {
    install: Install,
    run_as: Option<RunAs>,
    port: u16,
    /// The temporary directory: data/ (the cluster) and postgres.log (its stderr, every run).
    dir: Option<tempfile::TempDir>,
    data: PathBuf,
    log: PathBuf,
    /// The postmaster while it runs.
    child: Option<Child>,
    /// The id of the shared-memory segment of a cluster killed and not started again since.
    stale_shm: Option<i32>,
    started_in: Duration,
    last_restart: Option<Duration>,
}

impl PgCluster {
    /// A new cluster with fsync on, running; `None` (having said why) where PostgreSQL or PostGIS
    /// is not installed, outside CI.
    pub fn start() -> Option<PgCluster> {
        PgCluster::start_with(PgOptions::default())
    }

    /// As `start`, set up as `options` say.
    pub fn start_with(options: PgOptions) -> Option<PgCluster> {
        let install = match find_install() {
            Ok(install) => install,
            Err(missing) => {
                skip_without(&missing, false);
                return None;
            }
        };
        let began = Instant::now();
        let run_as = unprivileged_user();
        let dir = tempfile::Builder::new()
            .prefix("atlas-pg-")
            .tempdir()
            .expect("temp dir for PostgreSQL");
        if let Some(user) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(user.uid), Some(user.gid))
                .expect("hand the temp dir to the PostgreSQL user");
        }
        let data = dir.path().join("data");
        let log = dir.path().join("postgres.log");
        let mut cluster = PgCluster {
            install,
            run_as,
            port: 0,
            dir: Some(dir),
            data,
            log,
            child: None,
            stale_shm: None,
            started_in: Duration::ZERO,
            last_restart: None,
        };
        cluster.initdb(&options);
        // Another process may take the free port before postgres binds it: then a new one.
        let mut attempts = 0;
        loop {
            attempts += 1;
            cluster.port = free_port();
            cluster.write_port();
            match cluster.launch() {
                Ok(()) => break,
                Err(e) if e.port_taken && attempts < 5 => continue,
                Err(e) => panic!("PostgreSQL did not start: {}", e.why),
            }
        }
        cluster.started_in = began.elapsed();
        Some(cluster)
    }

    /// The port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:PORT/DB`: the superuser, no password.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    /// "15.18": the version of the server.
    pub fn version(&self) -> &str {
        &self.install.version
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// The postmaster's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// How long `start` took, initdb included.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// How long the last `restart` took, stop included.
    pub fn last_restart(&self) -> Option<Duration> {
        self.last_restart
    }

    /// What the server has written to its log, every run so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Creates database `name` (lower-case letters, digits, `_`) owned by the superuser, and
    /// gives its URL. PostGIS is installed for the server, so `CREATE EXTENSION postgis` works
    /// in it.
    pub fn create_database(&self, name: &str) -> String {
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "database name {name:?}: lower-case letters, digits and _ only"
        );
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(name)
    }

    /// Runs `sql` in `db` with psql (stopping at the first error, which fails the test) and gives
    /// what it printed: unaligned, tuples only, `|` between columns.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut cmd = self.command("psql");
        cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, "-d", db, "-c", sql]);
        let out = run_within(&mut cmd, PG_DEADLINE).unwrap_or_else(|e| panic!("psql: {e}"));
        assert!(
            out.status.success(),
            "psql {sql:?} in {db}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// Stops the server as `pg_ctl stop -m fast` does (clients disconnected, a checkpoint
    /// written), waiting at most `PG_DEADLINE`. The cluster stays; `restart` starts it again.
    pub fn stop(&mut self) {
        if let Err(why) = self.shut_down("fast") {
            panic!("{why}\nlog:\n{}", self.log());
        }
    }

    /// Stops the server if it runs (`pg_ctl stop -m fast`), then starts it again on the same port
    /// and data, waiting for it to accept connections; after `kill`, this is crash recovery.
    /// Gives how long it took.
    pub fn restart(&mut self) -> Duration {
        let began = Instant::now();
        if self.child.is_some() {
            self.stop();
        }
        if let Err(e) = self.launch() {
            panic!("PostgreSQL did not start again: {}", e.why);
        }
        let took = began.elapsed();
        self.last_restart = Some(took);
        took
    }

    /// Kills the server the hard way: SIGKILL to the postmaster and to every process it had
    /// started, so nothing is written or cleaned up (as a crash would leave it). Returns once
    /// none of them is left.
    pub fn kill(&mut self) {
        if let Err(why) = self.kill_now() {
            panic!("{why}");
        }
    }

    fn initdb(&self, options: &PgOptions) {
        let mut cmd = self.command("initdb");
        cmd.arg("-D")
            .arg(&self.data)
            .args(["-U", SUPERUSER, "--auth=trust"])
            .args(["--encoding=UTF8", "--locale=C"])
            // A throwaway cluster: initdb need not flush its files (the server still does).
            .args(["--no-sync", "--no-instructions"]);
        let out = run_within(&mut cmd, PG_DEADLINE).unwrap_or_else(|e| panic!("initdb: {e}"));
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let durability = if options.fsync {
            "fsync = on\n".to_owned()
        } else {
            "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n".to_owned()
        };
        let settings = format!(
            "\n# incident-atlas test cluster (tests/common/postgres.rs)\n\
             listen_addresses = '127.0.0.1'\n\
             # TCP only: no socket in /var/run/postgresql, which is not ours to write.\n\
             unix_socket_directories = ''\n\
             # Dynamic shared memory in files of the data directory, so that even a killed\n\
             # cluster leaves nothing in /dev/shm once its directory is removed.\n\
             dynamic_shared_memory_type = mmap\n\
             huge_pages = off\n\
             shared_buffers = 32MB\n\
             max_connections = 100\n\
             timezone = 'UTC'\n\
             log_timezone = 'UTC'\n\
             lc_messages = 'C'\n\
             {durability}"
        );
        let conf = self.data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        text.push_str(&settings);
        std::fs::write(&conf, text).expect("write postgresql.conf");
    }

    /// Writes the port into postgresql.conf (later lines win).
    fn write_port(&self) {
        let conf = self.data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        text.push_str(&format!("port = {}\n", self.port));
        std::fs::write(&conf, text).expect("write postgresql.conf");
    }

    /// Starts the postmaster and waits until it accepts connections.
    fn launch(&mut self) -> Result<(), LaunchError> {
        assert!(self.child.is_none(), "PostgreSQL is already running");
        let log_start = std::fs::metadata(&self.log).map_or(0, |m| m.len());
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("PostgreSQL log file");
        let mut cmd = self.command("postgres");
        cmd.arg("-D")
            .arg(&self.data)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            // In the tests' process group: a Ctrl-C that stops the tests (and so skips Drop)
            // stops it too, SIGINT being PostgreSQL's fast shutdown.
            .stderr(log);
        let child = cmd
            .spawn()
            .map_err(|e| LaunchError::new(format!("cannot run postgres: {e}")))?;
        let pid = child.id();
        self.child = Some(child);
        self.stale_shm = None;
        let began = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.as_mut().expect("child").try_wait() {
                self.child = None;
                let log = self.log_since(log_start);
                let port_taken = log.contains("could not bind")
                    || log.contains("Address already in use")
                    || log.contains("could not create any TCP/IP sockets");
                return Err(LaunchError {
                    why: format!("postgres exited ({status}); log:\n{log}"),
                    port_taken,
                });
            }
            if self.postmaster_pid_file().is_some_and(|pidfile| {
                pidfile.first().map(|l| l.trim()) == Some(&pid.to_string())
                    && pidfile.get(7).map(|l| l.trim()) == Some("ready")
            }) {
                return Ok(());
            }
            if began.elapsed() > PG_DEADLINE {
                let why = match self.kill_now() {
                    Ok(()) => String::new(),
                    Err(e) => format!(" ({e})"),
                };
                return Err(LaunchError::new(format!(
                    "postgres was not ready within {PG_DEADLINE:?}{why}; log:\n{}",
                    self.log_since(log_start)
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops a running server with `pg_ctl stop -m MODE` and reaps it.
    fn shut_down(&mut self, mode: &str) -> Result<(), String> {
        if self.child.is_none() {
            return Ok(());
        }
        let mut cmd = self.command("pg_ctl");
        cmd.arg("stop")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", mode, "-w", "-t"])
            .arg(PG_DEADLINE.as_secs().to_string());
        let out = run_within(&mut cmd, PG_DEADLINE + Duration::from_secs(5))?;
        if !out.status.success() {
            return Err(format!(
                "pg_ctl stop -m {mode} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        // pg_ctl has seen the postmaster go; reap it.
        wait_child(self.child.as_mut().expect("child"), Duration::from_secs(10))?;
        self.child = None;
        Ok(())
    }

    fn kill_now(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pid = child.id() as i32;
        let shm = self.shm_id();
        // Frozen first, so that it starts nothing while its children are listed and killed.
        signal(pid, libc::SIGSTOP);
        let children = children_of(pid);
        for &c in &children {
            signal(c, libc::SIGKILL);
        }
        signal(pid, libc::SIGKILL);
        wait_child(&mut child, PG_DEADLINE)?;
        // The children, reparented, are reaped by init; the shared-memory segment counts those
        // still attached, which must be none before the cluster can start again.
        let began = Instant::now();
        loop {
            let left: Vec<i32> = children.iter().copied().filter(|&c| alive(c)).collect();
            let attached = shm.and_then(shm_attached).unwrap_or(0);
            if left.is_empty() && attached == 0 {
                break;
            }
            if began.elapsed() > PG_DEADLINE {
                return Err(format!(
                    "PostgreSQL's processes {left:?} (shared memory attached {attached} times) \
                     were still there {PG_DEADLINE:?} after SIGKILL"
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stale_shm = shm;
        Ok(())
    }

    /// The lines of postmaster.pid, if there is one.
    fn postmaster_pid_file(&self) -> Option<Vec<String>> {
        let text = std::fs::read_to_string(self.data.join("postmaster.pid")).ok()?;
        Some(text.lines().map(str::to_owned).collect())
    }

    /// The id of the server's System V shared-memory segment (postmaster.pid, line 7).
    fn shm_id(&self) -> Option<i32> {
        let lines = self.postmaster_pid_file()?;
        lines.get(6)?.split_whitespace().nth(1)?.parse().ok()
    }

    fn log_since(&self, offset: u64) -> String {
        let text = self.log();
        text.get(offset as usize..).unwrap_or(&text).to_owned()
    }

    /// A command for one of the PostgreSQL programs, as the cluster's user, with an environment
    /// of its own (no PG* variable of ours reaches it), run in the temporary directory.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.install.bin.join(program));
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LC_ALL", "C")
            .current_dir(self.dir.as_ref().expect("temp dir").path());
        // The clients (psql) need no privilege to drop.
        if let (Some(user), false) = (self.run_as, program == "psql") {
            cmd.uid(user.uid).gid(user.gid);
        }
        cmd
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // The data goes with the directory, so immediate (no checkpoint) is enough.
        if let Err(why) = self.shut_down("immediate") {
            let _ = writeln_stderr(&format!("PostgreSQL did not stop ({why}); killing it"));
            if let Err(why) = self.kill_now() {
                let _ = writeln_stderr(&why);
            }
        }
        // A killed cluster's segment is removed by its next start; with no next start, here.
        if let Some(id) = self.stale_shm.take() {
            if shm_attached(id) == Some(0) {
                // SAFETY: IPC_RMID takes no buffer.
                unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
            }
        }
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_owned();
            if let Err(e) = dir.close() {
                let _ = writeln_stderr(&format!("could not remove {}: {e}", path.display()));
            }
        }
    }
}

struct LaunchError {
    why: String,
    port_taken: bool,
}

impl LaunchError {
    fn new(why: String) -> Self {
        LaunchError {
            why,
            port_taken: false,
        }
    }
}

/// The binaries to use, or what is missing (for the "skipped: … is not installed" line).
fn find_install() -> Result<Install, String> {
    const TOOLS: [&str; 5] = ["initdb", "pg_ctl", "postgres", "psql", "pg_config"];
    let from_env = std::env::var_os("ATLAS_PG_BIN").map(PathBuf::from);
    let dirs: Vec<PathBuf> = match &from_env {
        Some(dir) => vec![dir.clone()],
        None => {
            // /usr/lib/postgresql/<major>/bin, the newest major first.
            let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    let major = e.file_name().to_str()?.parse().ok()?;
                    Some((major, e.path().join("bin")))
                })
                .collect();
            majors.sort_by_key(|m| std::cmp::Reverse(m.0));
            majors.into_iter().map(|(_, dir)| dir).collect()
        }
    };
    let complete: Vec<&PathBuf> = dirs
        .iter()
        .filter(|dir| TOOLS.iter().all(|t| dir.join(t).is_file()))
        .collect();
    if complete.is_empty() {
        let place = match &from_env {
            Some(dir) => format!("in {}, from ATLAS_PG_BIN", dir.display()),
            None => "under /usr/lib/postgresql/*/bin, from Debian's postgresql".to_owned(),
        };
        return Err(format!("PostgreSQL ({} {place})", TOOLS.join(", ")));
    }
    let mut without_postgis = Vec::new();
    for bin in complete {
        let Some(sharedir) = tool_line(&bin.join("pg_config"), &["--sharedir"]) else {
            continue;
        };
        let version = tool_line(&bin.join("postgres"), &["--version"])
            .and_then(|v| v.split_whitespace().nth(2).map(str::to_owned))
            .unwrap_or_else(|| "?".to_owned());
        if Path::new(&sharedir)
            .join("extension/postgis.control")
            .is_file()
        {
            return Ok(Install {
                bin: bin.clone(),
                version,
            });
        }
        without_postgis.push(version);
    }
    let major = without_postgis
        .first()
        .and_then(|v| v.split('.').next())
        .unwrap_or("<major>")
        .to_owned();
    Err(format!(
        "PostGIS for PostgreSQL {} (postgresql-{major}-postgis-3)",
        without_postgis.join(", ")
    ))
}

/// The first line a tool prints, if it runs and succeeds.
fn tool_line(program: &Path, args: &[&str]) -> Option<String> {
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear().env("LC_ALL", "C");
    let out = run_within(&mut cmd, PG_DEADLINE).ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()?
            .trim()
            .to_owned(),
    )
}

/// Who the cluster runs as: `None` (this process's user) unless this process is root, where
/// PostgreSQL will not run; then Debian's `postgres` system user, or `nobody`.
fn unprivileged_user() -> Option<RunAs> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for wanted in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() >= 4 && fields[0] == wanted {
                if let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse()) {
                    if uid != 0 {
                        return Some(RunAs { uid, gid });
                    }
                }
            }
        }
    }
    panic!("running as root, with neither a postgres nor a nobody user to run PostgreSQL as");
}

/// A port free on 127.0.0.1 just now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn signal(pid: i32, sig: libc::c_int) {
    // SAFETY: kill has no memory preconditions; pid is a process this harness started.
    unsafe { libc::kill(pid, sig) };
}

/// The pids whose parent is `pid` (from /proc).
fn children_of(pid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if stat_fields(child).is_some_and(|(_, ppid)| ppid == pid) {
            found.push(child);
        }
    }
    found
}

/// A process's state and parent, from /proc/PID/stat.
fn stat_fields(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; it ends at the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Whether a process is still there (and not just a zombie waiting to be reaped).
fn alive(pid: i32) -> bool {
    stat_fields(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

/// How many processes have the segment attached; `None` if it is gone.
fn shm_attached(id: i32) -> Option<u64> {
    // SAFETY: shmid_ds is plain data; IPC_STAT fills it.
    unsafe {
        let mut ds: libc::shmid_ds = std::mem::zeroed();
        if libc::shmctl(id, libc::IPC_STAT, &mut ds) != 0 {
            return None;
        }
        Some(ds.shm_nattch as u64)
    }
}

fn wait_child(child: &mut Child, deadline: Duration) -> Result<(), String> {
    let began = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return Ok(()),
            Ok(None) if began.elapsed() > deadline => {
                return Err(format!(
                    "postgres (pid {}) had not exited after {deadline:?}",
                    child.id()
                ))
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for postgres: {e}")),
        }
    }
}

fn writeln_stderr(line: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr().lock(), "{line}")
}

/// The owner of a path (for tests of the harness).
pub fn owner_of(path: &Path) -> Option<u32> {
    std::fs::metadata(path).ok().map(|m| m.uid())
}
