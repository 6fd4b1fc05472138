//! The shared store: PostgreSQL with PostGIS, which several replicas write and follow.
//!
//! The trait methods are synchronous: each blocks on this store's own small tokio runtime
//! (callers are plain threads: start-up, actix's blocking pool, the CLI), over a pool of
//! connections that waits at most `WAIT` for one, so a database that is down answers
//! `Unavailable` quickly instead of hanging a request.

mod copy;
mod error;
mod listen;
mod rows;
mod schema;
mod tx;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls};

use super::feed::{collection_of, kind_of, Change, FeedEntry, Head, Op, Stored};
use super::record_row::Interner;
use super::{Backend, FeedRead, PoolUse, StoreError, Transaction};
use crate::collection::RecordKind;
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;
use error::{pg, pool};
pub use listen::Listener;

/// How long a caller waits for a connection (or for one to be made) before `Unavailable`.
const WAIT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: usize = 8;
/// Connections `load_incidents` reads over at once (each an id range).
const LOAD_PARTS: i64 = 4;
/// Below this many ids one connection loads everything.
const SPLIT_FROM: i64 = 50_000;

pub struct PgStore {
    /// The runtime and pool, shared with the feed reader (`feed_reader`).
    db: Pg,
    url: String,
}

impl PgStore {
    /// Connects, and migrates the schema (once, whichever replica gets there first).
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Postgres(format!("{}: {e}", redact(url))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(WAIT);
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("atlas-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Postgres(format!("cannot start the runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A closed connection is noticed and replaced without a round trip.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(MAX_CONNECTIONS)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .recycle_timeout(Some(WAIT))
            .build()
            .map_err(|e| StoreError::Postgres(e.to_string()))?;
        let store = PgStore {
            db: Pg {
                rt: Arc::new(rt),
                pool,
            },
            url: url.to_string(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The URL it was opened with (password included: for `Listener::connect`, not logs).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A listener for this database's commits (see `Listener`).
    pub fn listener(&self) -> Listener {
        Listener::connect(&self.url)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        self.db.rt.block_on(async {
            let mut client = self.db.pool.get().await.map_err(pool)?;
            let tx = client.transaction().await.map_err(pg)?;
            // Every replica starting at once waits here; the first migrates, the rest find it done.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::LOCK_KEY])
                .await
                .map_err(pg)?;
            tx.batch_execute(schema::LEDGER).await.map_err(pg)?;
            let version = version(tx.client()).await?;
            let known = schema::MIGRATIONS.len();
            if version > known {
                return Err(StoreError::TooNew {
                    found: version,
                    known,
                });
            }
            for (n, sql) in schema::MIGRATIONS.iter().enumerate().skip(version) {
                tx.batch_execute(sql).await.map_err(pg)?;
                let v = i32::try_from(n + 1).unwrap_or(i32::MAX);
                tx.execute("INSERT INTO schema_migration (version) VALUES ($1)", &[&v])
                    .await
                    .map_err(pg)?;
                tracing::info!(version = n + 1, "applied schema migration (PostgreSQL)");
            }
            tx.commit().await.map_err(pg)
        })
    }
}

async fn version(client: &Client) -> Result<usize, StoreError> {
    let row = client
        .query_one(
            "SELECT COALESCE(max(version), 0) FROM schema_migration",
            &[],
        )
        .await
        .map_err(pg)?;
    let v: i32 = row.get(0);
    Ok(usize::try_from(v).unwrap_or(0))
}

/// The URL without its password, for logs and messages.
pub fn redact(url: &str) -> String {
    // postgres://user:password@host...: the password is between the first ':' after the
    // scheme and the last '@' of the authority.
    let Some(scheme_end) = url.find("://").map(|n| n + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    match authority[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

async fn read_head(client: &Client, lock: bool) -> Result<Head, StoreError> {
    let sql = if lock {
        "SELECT seq, at FROM feed_head FOR UPDATE"
    } else {
        "SELECT seq, at FROM feed_head"
    };
    let row = client.query_one(sql, &[]).await.map_err(pg)?;
    Ok(Head {
        seq: row.get(0),
        at: row.get(1),
    })
}

impl Backend for PgStore {
    fn schema_version(&self) -> Result<usize, StoreError> {
        self.db.run(async |c| version(c).await)
    }

    fn load_incidents(&self) -> Result<Vec<Arc<Incident>>, StoreError> {
        self.db.rt.block_on(load::incidents(&self.db.pool))
    }

    fn load_reports(&self) -> Result<Vec<DisplacementReport>, StoreError> {
        self.db.run(async |c| {
            let sql = format!(
                "SELECT {} FROM displacement_report ORDER BY id",
                rows::REPORT.names
            );
            let found = c.query(&sql, &[]).await.map_err(pg)?;
            let mut out = Vec::with_capacity(found.len());
            for row in &found {
                out.extend(rows::report_at(row, 0)?);
            }
            Ok(out)
        })
    }

    fn load_deletions(&self) -> Result<Vec<(i64, DateTime<Utc>)>, StoreError> {
        self.db.run(async |c| {
            let found = c
                .query(
                    "SELECT record_id, at FROM change WHERE collection = $1 AND op = 'delete' \
                     ORDER BY seq",
                    &[&collection_of(RecordKind::Incidents)],
                )
                .await
                .map_err(pg)?;
            Ok(found.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn count(&self) -> Result<usize, StoreError> {
        self.db.run(async |c| {
            let row = c
                .query_one("SELECT count(*) FROM incident", &[])
                .await
                .map_err(pg)?;
            Ok(usize::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.db.run(async |c| {
            let row = c
                .query_opt("SELECT value FROM setting WHERE key = $1", &[&key])
                .await
                .map_err(pg)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn stamp_samples(&self, every: i64) -> Result<Vec<Head>, StoreError> {
        self.db.run(async |c| {
            let found = c
                .query(
                    "SELECT seq, at FROM change WHERE seq % $1 = 0 ORDER BY seq",
                    &[&every.max(1)],
                )
                .await
                .map_err(pg)?;
            Ok(found
                .iter()
                .map(|r| Head {
                    seq: r.get(0),
                    at: r.get(1),
                })
                .collect())
        })
    }

    fn feed_reader(&self) -> Result<Arc<dyn FeedRead>, StoreError> {
        Ok(Arc::new(self.db.clone()))
    }

    fn begin(&mut self) -> Result<Box<dyn Transaction + '_>, StoreError> {
        Ok(Box::new(tx::PgTx::begin(&self.db.rt, &self.db.pool)?))
    }
}

/// The store's runtime and pool: every read blocks on the one, over the other. Cloned as the
/// feed read from request threads (see `FeedRead`).
#[derive(Clone)]
struct Pg {
    rt: Arc<Runtime>,
    pool: Pool,
}

impl Pg {
    fn run<T>(
        &self,
        f: impl AsyncFnOnce(&Object) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.rt.block_on(async {
            let client = self.pool.get().await.map_err(pool)?;
            f(&client).await
        })
    }
}

impl FeedRead for Pg {
    fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>, StoreError> {
        self.run(async |c| feed_after(c, after, limit).await)
    }

    fn head(&self) -> Result<Head, StoreError> {
        self.run(async |c| read_head(c, false).await)
    }

    fn pool(&self) -> Option<PoolUse> {
        let status = self.pool.status();
        Some(PoolUse {
            size: status.size,
            idle: status.available,
        })
    }
}

/// The feed after `after`, with each entry's record, in one statement (so one snapshot: no
/// entry below the last returned can be missing, commits being in seq order).
async fn feed_after(
    client: &Object,
    after: i64,
    limit: usize,
) -> Result<Vec<FeedEntry>, StoreError> {
    let (inc, rep) = (&*rows::INCIDENT, &*rows::REPORT);
    let sql = format!(
        "SELECT c.seq, c.collection, c.record_id, c.op, c.at, {}, {} FROM change c \
         LEFT JOIN incident i ON c.collection = 'incidents' AND c.op <> 'delete' AND i.id = c.record_id \
         LEFT JOIN displacement_report r ON c.collection = 'displacement-reports' \
             AND c.op <> 'delete' AND r.id = c.record_id \
         WHERE c.seq > $1 ORDER BY c.seq LIMIT $2",
        inc.qualified("i"),
        rep.qualified("r"),
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let stmt = client.prepare_cached(&sql).await.map_err(pg)?;
    let found = client.query(&stmt, &[&after, &limit]).await.map_err(pg)?;
    let mut texts = Interner::default();
    let mut out = Vec::with_capacity(found.len());
    for row in &found {
        let (seq, collection, id, op, at): (i64, &str, i64, &str, DateTime<Utc>) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        let kind = kind_of(collection).ok_or_else(|| {
            error::corrupt(id, format!("change {seq}: collection '{collection}'"))
        })?;
        let op =
            Op::parse(op).ok_or_else(|| error::corrupt(id, format!("change {seq}: op '{op}'")))?;
        let record = match (op, kind) {
            (Op::Delete, _) => None,
            (_, RecordKind::Incidents) => {
                rows::incident_at(row, 5, &mut texts)?.map(Stored::Incident)
            }
            (_, RecordKind::DisplacementReports) => {
                rows::report_at(row, 5 + inc.len())?.map(Stored::Report)
            }
        };
        out.push(FeedEntry {
            change: Change {
                seq,
                kind,
                id,
                op,
                at,
            },
            record,
        });
    }
    Ok(out)
}

mod load {
    //! Every incident, read over several connections at once, each an id range, all in
    //! one snapshot (exported by the first, imported by the others).

    use super::*;

    const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    pub async fn incidents(pool: &Pool) -> Result<Vec<Arc<Incident>>, StoreError> {
        let lead = pool.get().await.map_err(error::pool)?;
        let out = from_lead(pool, &lead).await;
        finish(lead, out.is_ok()).await;
        out
    }

    /// Ends a read transaction; a connection in doubt leaves the pool.
    async fn finish(client: Object, ok: bool) {
        if !ok || client.batch_execute("COMMIT").await.is_err() {
            drop(Object::take(client));
        }
    }

    async fn from_lead(pool: &Pool, lead: &Client) -> Result<Vec<Arc<Incident>>, StoreError> {
        lead.batch_execute(BEGIN).await.map_err(pg)?;
        let row = lead
            .query_one(
                "SELECT MIN(id), MAX(id), pg_export_snapshot() FROM incident",
                &[],
            )
            .await
            .map_err(pg)?;
        let (first, last, snapshot): (Option<i64>, Option<i64>, String) =
            (row.get(0), row.get(1), row.get(2));
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        if last - first < SPLIT_FROM {
            return copy::incidents_in(lead, first, last).await;
        }
        let step = (last - first) / LOAD_PARTS + 1;
        let mut parts = Vec::new();
        for n in 1..LOAD_PARTS {
            let (lo, hi) = (first + n * step, (first + (n + 1) * step - 1).min(last));
            let pool = pool.clone();
            let set = format!("{BEGIN}; SET TRANSACTION SNAPSHOT '{snapshot}'");
            parts.push(tokio::spawn(async move {
                let c = pool.get().await.map_err(error::pool)?;
                let out = match c.batch_execute(&set).await {
                    Ok(()) => copy::incidents_in(&c, lo, hi).await,
                    Err(e) => Err(pg(e)),
                };
                finish(c, out.is_ok()).await;
                out
            }));
        }
        // The first range on the lead connection, whose transaction keeps the snapshot alive.
        let mut out = copy::incidents_in(lead, first, first + step - 1).await?;
        out.reserve((last - first) as usize);
        for part in parts {
            let part = part
                .await
                .map_err(|e| StoreError::Postgres(format!("a loading task failed: {e}")))??;
            out.extend(part);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("postgres://atlas:s3cr:et@db.example:5432/atlas"),
            "postgres://atlas:***@db.example:5432/atlas"
        );
        assert_eq!(
            redact("postgresql://u:p%40ss@h/db?sslmode=disable"),
            "postgresql://u:***@h/db?sslmode=disable"
        );
        assert_eq!(redact("postgres://u@h:5432/db"), "postgres://u@h:5432/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        // A password holding '@' (unencoded): the authority ends at the last '@'.
        assert_eq!(redact("postgres://u:a@b@h/db"), "postgres://u:***@h/db");
    }
}
