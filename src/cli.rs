//! The command line: typed configuration (clap, with environment fallbacks) and the
//! `serve`, `import` and `export` commands.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::api::{self, AppState};
use crate::atlas::{self, Atlas};
use crate::gazetteer::Gazetteer;
use crate::io;
use crate::store::{Location, Store};

pub mod config_file;

#[derive(Parser, Debug)]
#[command(
    name = "incident-atlas",
    version,
    about = "Conflict incidents on the map: gazetteer placement, R-tree index, SQLite store, OGC API – Features"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command, `serve` runs with these options.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Log lines as human-readable text or as JSON objects (one per line, with fields).
    #[arg(long, global = true, env = "ATLAS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A TOML file of settings: keys are the flags' long names (`bind = "0.0.0.0:8080"`), a
    /// table per command (`[serve]`) for that command alone. Flags and environment win.
    #[arg(long, global = true, env = "ATLAS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr at RUST_LOG's levels (default info), as text or JSON.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a terminal: escape codes in a log file get in the way of grep.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the OGC API – Features (the default command).
    Serve(ServeArgs),
    /// Import incidents from a GeoJSON FeatureCollection or ACLED-format CSV (all-or-nothing).
    Import(ImportArgs),
    /// Write every stored incident to stdout as GeoJSON or ACLED-format CSV.
    Export(ExportArgs),
    /// Write realistic synthetic incidents to stdout (for benchmarks and load tests).
    Generate(GenerateArgs),
    /// Copy a SQLite store into an empty PostgreSQL one: records, ids, timestamps and the
    /// change feed intact (all or nothing).
    Migrate(MigrateArgs),
    /// Make a new bearer token: prints the token (give it to its holder; it is not kept) and,
    /// on stderr, the line to add to the tokens file.
    Token(TokenArgs),
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Who holds it, as logs and messages will name it (no spaces).
    #[arg(long)]
    pub name: String,
    /// reader-exact (reads true locations) or editor (also writes).
    #[arg(long, value_parser = parse_role)]
    pub role: crate::access::Role,
}

fn parse_role(s: &str) -> Result<crate::access::Role, String> {
    crate::access::Role::parse(s).ok_or_else(|| {
        format!(
            "expected one of {}",
            crate::access::Role::ALL
                .map(crate::access::Role::as_str)
                .join(", ")
        )
    })
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The SQLite database file to copy.
    #[arg(long)]
    pub from: PathBuf,
    /// The PostgreSQL database to copy into: postgres://user:password@host:port/database.
    #[arg(long, value_parser = parse_location)]
    pub to: Location,
}

/// `--db`: a file path (SQLite) or a postgres:// URL.
fn parse_location(s: &str) -> Result<Location, String> {
    if s.trim().is_empty() {
        return Err("expected a SQLite file path or a postgres:// URL".into());
    }
    Ok(Location::parse(s))
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// How many incidents.
    #[arg(long)]
    pub count: u64,
    /// Random seed: the same seed gives the same incidents.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = ExportFormat::Geojson)]
    pub format: ExportFormat,
    /// Gazetteer to cluster around (default: the embedded al-Hasakah one).
    #[arg(long = "gazetteer", value_name = "PATH")]
    pub gazetteers: Vec<PathBuf>,
}

/// Where the data live; shared by every command.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Where the data live: a SQLite database file (created if missing), or a PostgreSQL
    /// database shared by several servers (postgres://user:password@host:port/database).
    #[arg(long, env = "ATLAS_DB", default_value = "incident-atlas.sqlite", value_parser = parse_location)]
    pub db: Location,
    /// Extra gazetteer: our GeoJSON format or GeoNames TSV. Repeatable.
    #[arg(long = "gazetteer", value_name = "PATH")]
    pub gazetteers: Vec<PathBuf>,
    /// Do not load the embedded al-Hasakah gazetteer (nor seed its scenario).
    #[arg(long)]
    pub no_default_gazetteer: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, env = "ATLAS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    #[command(flatten)]
    pub data: DataArgs,
    /// Do not load the January 2022 scenario into an empty database.
    #[arg(long)]
    pub no_seed: bool,
    /// Base URL for links, when served behind a proxy (default: from each request's Host).
    #[arg(long, env = "ATLAS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Log every request (method, path, status, bytes, duration) at INFO; without it they
    /// are DEBUG events, shown only with RUST_LOG=incident_atlas::access=debug.
    #[arg(long, env = "ATLAS_ACCESS_LOG")]
    pub access_log: bool,
    /// FlatGeobuf downloads written at once (each holds a temporary file and its index in
    /// memory); more are answered 503 with Retry-After.
    #[arg(long, env = "ATLAS_MAX_EXPORTS", default_value_t = 2)]
    pub max_exports: usize,
    /// Temporary disk space, in bytes, that the FlatGeobuf downloads being written may hold
    /// together; a download that would exceed it is answered 503 with Retry-After.
    #[arg(long, env = "ATLAS_EXPORT_TEMP_BYTES", default_value_t = 1 << 30)]
    pub export_temp_bytes: u64,
    /// Seconds a FlatGeobuf download waits on a client that has stopped reading before it
    /// drops the download (and gives back its place and temporary space).
    #[arg(long, env = "ATLAS_EXPORT_STALL_SECS", default_value_t = 60)]
    pub export_stall_secs: u64,
    /// Milliseconds a read carrying a change-feed cursor newer than this server's snapshot
    /// (a write made through another replica) waits for it before answering 503.
    #[arg(long, env = "ATLAS_READ_WAIT_MS", default_value_t = 2000)]
    pub read_wait_ms: u64,
    /// Milliseconds between polls of a shared (PostgreSQL) store's change feed; notifications
    /// wake the server sooner, the poll catches anything a lost notification missed.
    #[arg(long, env = "ATLAS_POLL_MS", default_value_t = 1000)]
    pub poll_ms: u64,
    /// Live subscribers (GET /changes as server-sent events) served at once; more are
    /// answered 503 with Retry-After.
    #[arg(long, env = "ATLAS_MAX_SUBSCRIBERS", default_value_t = 1000)]
    pub max_subscribers: usize,
    /// A tokens file: one `SHA256-HEX NAME ROLE` per line (role reader-exact or editor), as
    /// `incident-atlas token` prints them. ATLAS_WRITE_TOKEN is an editor besides.
    #[arg(long, env = "ATLAS_TOKENS", value_name = "PATH")]
    pub tokens: Option<PathBuf>,
    /// An online XYZ tile layer the map viewer draws over its offline base map, e.g.
    /// 'https://tiles.example.org/{z}/{x}/{y}.png'; none by default (the viewer loads
    /// nothing from outside this server unless this is set).
    #[arg(long, env = "ATLAS_BASEMAP", value_name = "URL-TEMPLATE")]
    pub basemap: Option<String>,
    /// The attribution the tile provider asks for, shown with --basemap.
    #[arg(long, env = "ATLAS_BASEMAP_ATTRIBUTION", requires = "basemap")]
    pub basemap_attribution: Option<String>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file to import (.geojson / .json or .csv).
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
    pub format: ImportFormat,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// By extension, else by the first character ('{' is GeoJSON).
    Auto,
    Geojson,
    Csv,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Geojson)]
    pub format: ExportFormat,
    /// A SQLite database file or a postgres:// URL (see `serve --db`).
    #[arg(long, env = "ATLAS_DB", default_value = "incident-atlas.sqlite", value_parser = parse_location)]
    pub db: Location,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Geojson,
    Csv,
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Import(args)) => import(args),
        Some(Command::Export(args)) => export(args),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Migrate(args)) => migrate(args),
        Some(Command::Token(args)) => token(args),
    }
}

fn token(args: TokenArgs) -> anyhow::Result<()> {
    if args.name.is_empty() || args.name.chars().any(char::is_whitespace) {
        bail!("--name must be one word: it is a field of the tokens file");
    }
    let (token, line) = crate::access::new_token(&args.name, args.role);
    println!("{token}");
    eprintln!(
        "add this line to the tokens file (--tokens), which keeps only the token's hash:\n{line}"
    );
    Ok(())
}

fn open_atlas(data: &DataArgs) -> anyhow::Result<Atlas> {
    let gazetteer = Gazetteer::load(!data.no_default_gazetteer, &data.gazetteers)?;
    tracing::info!(places = gazetteer.len(), "gazetteer loaded");
    let store = Store::open(&data.db)?;
    Ok(Atlas::open(store, gazetteer)?)
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if args.max_exports == 0 {
        bail!("--max-exports must be at least 1");
    }
    let basemap = args
        .basemap
        .as_deref()
        .map(|url| api::viewer::TileLayer::new(url, args.basemap_attribution.as_deref()))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let atlas = open_atlas(&args.data)?;
    if !args.no_seed && !args.data.no_default_gazetteer {
        let n = atlas.seed_scenario()?;
        if n > 0 {
            tracing::info!(
                incidents = n,
                "loaded the January 2022 al-Hasakah scenario into the new database"
            );
        }
    }
    tracing::info!(incidents = atlas.snapshot().incidents.len(), seq = atlas.snapshot().seq, db = %args.data.db, "store opened");
    return_freed_memory();
    let atlas = Arc::new(atlas);
    if let Location::Postgres(url) = &args.data.db {
        // What others committed while this server loaded, before it serves anything.
        atlas.catch_up()?;
        // Other replicas write to the same store: follow its feed.
        let listener = crate::store::postgres::Listener::connect(url);
        atlas::follow::follow(
            atlas.clone(),
            listener,
            std::time::Duration::from_millis(args.poll_ms.max(10)),
        );
    }
    atlas::live::run_hub(atlas.clone()).context("cannot start the live hub")?;
    let mut tokens = match &args.tokens {
        Some(path) => crate::access::Tokens::load(path)?,
        None => crate::access::Tokens::default(),
    };
    if let Some(t) = std::env::var("ATLAS_WRITE_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        tokens.add(&t, "ATLAS_WRITE_TOKEN", crate::access::Role::Editor);
    }
    if !tokens.any_editor() {
        tracing::warn!("writes are disabled: set ATLAS_WRITE_TOKEN=<secret>, or list an editor in --tokens, to enable POST/PUT/PATCH/DELETE with 'Authorization: Bearer <secret>'");
    }
    let cannot = || format!("cannot listen on {}", args.bind);
    let listeners = api::server::listen(&args.bind).with_context(cannot)?;
    let locals = listeners
        .iter()
        .map(|l| l.local_addr())
        .collect::<Result<Vec<_>, _>>()
        .with_context(cannot)?;
    let Some(&local) = locals.first() else {
        bail!("{} resolves to no address", args.bind);
    };
    let state = actix_web::web::Data::new(AppState {
        atlas,
        tokens,
        public_url: args.public_url.clone(),
        listen_host: local.to_string(),
        max_body_bytes: args.max_body_bytes,
        access_log: args.access_log,
        exports: api::export_limits::ExportLimits::new(
            args.max_exports,
            args.export_temp_bytes,
            std::time::Duration::from_secs(args.export_stall_secs),
        ),
        metrics: api::metrics::Metrics::new().context("cannot set up the metrics")?,
        read_wait: match args.data.db {
            // Only another server sharing the store can be ahead of this one.
            Location::Postgres(_) => std::time::Duration::from_millis(args.read_wait_ms),
            Location::File(_) => std::time::Duration::ZERO,
        },
        subscribers: Arc::new(tokio::sync::Semaphore::new(args.max_subscribers)),
        basemap,
        writer: atlas::writer_thread::WriterThread::start()
            .context("cannot start the writer thread")?,
    });
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    actix_web::rt::System::new().block_on(async move {
        let server = api::server::serve(listeners, workers, state).with_context(cannot)?;
        for addr in &locals {
            // Tests and scripts read this line to find an ephemeral port.
            println!("listening on http://{addr}");
        }
        std::io::stdout().flush().ok();
        server.await.context("server failed")
    })
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let open = || {
        std::fs::File::open(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))
    };
    // Both formats are streamed from the file (a million records need not sit in memory);
    // the start of the file tells them apart when the extension does not: an object, or the
    // record separator of a GeoJSON text sequence.
    let mut head = [0u8; 1024];
    let read = std::io::Read::read(&mut open()?, &mut head)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let looks_like_json = head[..read]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == 0x1e);
    let format = match args.format {
        ImportFormat::Auto => {
            let ext = args
                .file
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            match ext.as_str() {
                "csv" => ImportFormat::Csv,
                "geojson" | "json" | "geojsons" | "geojsonseq" => ImportFormat::Geojson,
                _ if looks_like_json => ImportFormat::Geojson,
                _ => ImportFormat::Csv,
            }
        }
        f => f,
    };
    let gazetteer = Gazetteer::load(!args.data.no_default_gazetteer, &args.data.gazetteers)?;
    let existed = match &args.data.db {
        Location::File(path) => path.exists(),
        Location::Postgres(_) => true,
    };
    let mut store = Store::open(&args.data.db)?;
    // The count is known only at the end of a streamed file: show how many and how fast.
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos} incidents ({per_sec})")
            .expect("static template is valid"),
    );
    bar.set_message("placing and storing");
    const CHUNK: usize = 4096;
    let progress = |done: usize| bar.set_position(done as u64);
    let result = match format {
        ImportFormat::Csv => {
            let input = std::io::BufReader::with_capacity(1 << 20, open()?);
            let (headers, chunks) = io::acled_csv::record_chunks(input, CHUNK)
                .map_err(|e| anyhow::anyhow!("{e}; nothing imported"))?;
            atlas::import::import(
                &mut store,
                &gazetteer,
                chunks,
                |chunk| {
                    chunk
                        .map_err(|e| vec![e])
                        .and_then(|records| io::acled_csv::drafts_from(&headers, records))
                },
                progress,
            )
        }
        // GeoJSON (a FeatureCollection, a Feature or a text sequence) is streamed too: one
        // thread finds the features, every worker parses and places them.
        _ => atlas::import::import(
            &mut store,
            &gazetteer,
            io::geojson_stream::chunks(open()?, CHUNK),
            |chunk| {
                chunk
                    .map_err(|e| vec![e])
                    .and_then(|chunk| io::geojson_stream::drafts(&chunk))
            },
            progress,
        ),
    };
    bar.finish_and_clear();
    if let (true, false, Location::File(db)) = (result.is_err(), existed, &args.data.db) {
        // A rejected import into a new file leaves no file behind.
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let mut path = db.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
    let stored = match result {
        Ok(n) => n,
        Err(atlas::import::ImportError::Rejected(problems)) => {
            return Err(rejected(&args.file, problems.into_iter()))
        }
        Err(e) => bail!("{e}; nothing imported"),
    };
    eprintln!("imported {stored} incidents into {}", args.data.db);
    Ok(())
}

/// Prints the first problems and fails with their count.
fn rejected(file: &std::path::Path, problems: impl Iterator<Item = String>) -> anyhow::Error {
    let mut count = 0;
    for p in problems {
        if count < 20 {
            eprintln!("  {p}");
        }
        count += 1;
    }
    anyhow::anyhow!("{count} problem(s) in {}; nothing imported", file.display())
}

fn export(args: ExportArgs) -> anyhow::Result<()> {
    if let Location::File(path) = &args.db {
        if !path.exists() {
            bail!("no database at {}", path.display());
        }
    }
    let store = Store::open(&args.db)?;
    let incidents = store.load_all()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        ExportFormat::Geojson => io::write_geojson(&incidents, &mut out)?,
        ExportFormat::Csv => io::acled_csv::write(&incidents, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let gazetteer = Gazetteer::load(args.gazetteers.is_empty(), &args.gazetteers)?;
    if gazetteer.is_empty() {
        bail!("the gazetteer is empty: nothing to place incidents around");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let incidents =
        crate::generate::Generator::new(&gazetteer, args.seed).take(args.count as usize);
    match args.format {
        ExportFormat::Geojson => io::write_geojson_iter(incidents, &mut out)?,
        ExportFormat::Csv => io::acled_csv::write_iter(incidents, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    if !args.from.exists() {
        bail!("no database at {}", args.from.display());
    }
    if !matches!(args.to, Location::Postgres(_)) {
        bail!("--to must be a postgres:// URL");
    }
    let from = Store::open(&Location::File(args.from.clone()))?;
    let mut to = Store::open(&args.to)?;
    if to.head()?.seq > 0 || to.count()? > 0 {
        bail!(
            "{} already holds data; migrate copies into an empty database only",
            args.to
        );
    }
    // One transaction: the copy is whole or absent. The feed is read in stretches, oldest
    // first, so memory stays bounded by one stretch of records.
    const STRETCH: usize = 20_000;
    let mut copied = 0;
    to.write(|w| {
        let mut after = 0;
        loop {
            let entries = from.changes_after(after, STRETCH)?;
            let Some(last) = entries.last() else {
                return Ok(());
            };
            after = last.change.seq;
            copied += entries.iter().filter(|e| e.record.is_some()).count();
            w.restore(&entries)?;
        }
    })?;
    eprintln!(
        "copied {copied} records (feed up to {}) from {} into {}",
        to.head()?.seq,
        args.from.display(),
        args.to
    );
    Ok(())
}

/// Hands the memory loading freed back to the system: mimalloc (the binary's allocator) keeps
/// freed pages for reuse, and loading a million incidents frees ~90 MiB of temporary rows that
/// would otherwise stay resident (979 MiB after start instead of 893).
fn return_freed_memory() {
    // SAFETY: mi_collect has no preconditions; it only returns free pages. Where mimalloc is
    // not the global allocator (tests), its heaps are empty and this does nothing.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
