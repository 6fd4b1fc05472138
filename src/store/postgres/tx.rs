//! One write transaction on a pooled connection (see `Backend::begin`).

use std::collections::HashMap;

use deadpool_postgres::{Object, Pool};
use tokio::runtime::Runtime;

use super::copy::{self, COPY_FROM};
use super::error::pg;
use super::rows::{self, Columns};
use super::{read_head, WAIT};
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;
use crate::store::feed::{collection_of, Change, Head, Stored};
use crate::store::record_row::Interner;
use crate::store::{StoreError, Transaction};

/// The channel `set_head` notifies at commit (the payload is the new head's seq).
pub const CHANNEL: &str = "atlas_changes";
/// Feed entries upserted per statement.
const LOG_CHUNK: usize = 10_000;

pub struct PgTx<'a> {
    rt: &'a Runtime,
    /// `None` once committed or given up.
    client: Option<Object>,
    /// A statement failed outside a savepoint: PostgreSQL would turn COMMIT into ROLLBACK
    /// without an error, so `commit` must refuse instead.
    failed: bool,
    /// The connection was lost (or the server went away) during the transaction: nothing of it
    /// can commit, and the caller should hear "unavailable", not "failed".
    lost: Option<String>,
    in_savepoint: bool,
}

impl<'a> PgTx<'a> {
    pub fn begin(rt: &'a Runtime, pool: &Pool) -> Result<PgTx<'a>, StoreError> {
        let client = rt.block_on(async {
            let client = pool.get().await.map_err(super::error::pool)?;
            // READ COMMITTED suffices: writers serialize on the head row (`head`).
            client.batch_execute("BEGIN").await.map_err(pg)?;
            Ok::<_, StoreError>(client)
        })?;
        Ok(PgTx {
            rt,
            client: Some(client),
            failed: false,
            lost: None,
            in_savepoint: false,
        })
    }

    fn run<T>(
        &mut self,
        f: impl AsyncFnOnce(&Object) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(client) = self.client.as_ref() else {
            return Err(StoreError::Postgres("the transaction has ended".into()));
        };
        let out = self.rt.block_on(f(client));
        match &out {
            Err(StoreError::Unavailable(why)) if self.lost.is_none() => {
                self.lost = Some(why.clone());
            }
            Err(_) if !self.in_savepoint => self.failed = true,
            _ => {}
        }
        out
    }

    fn insert_one<T>(
        &mut self,
        columns: &Columns<T>,
        id: Option<i64>,
        record: &T,
    ) -> Result<i64, StoreError> {
        self.run(async |c| {
            let stmt = c.prepare_cached(&columns.insert).await.map_err(pg)?;
            let cells = columns.cells(id, record);
            let row = c
                .query_one(&stmt, &rows::params(&cells))
                .await
                .map_err(pg)?;
            Ok(row.get(0))
        })
    }

    fn update_one<T>(
        &mut self,
        columns: &Columns<T>,
        id: i64,
        record: &T,
    ) -> Result<bool, StoreError> {
        self.run(async |c| {
            let stmt = c.prepare_cached(&columns.update).await.map_err(pg)?;
            let cells = columns.cells(Some(id), record);
            Ok(c.execute(&stmt, &rows::params(&cells)).await.map_err(pg)? == 1)
        })
    }

    fn delete_one(&mut self, table: &str, id: i64) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {table} WHERE id = $1");
        self.run(async |c| Ok(c.execute(&sql, &[&id]).await.map_err(pg)? == 1))
    }

    /// Inserts records with their own ids (COPY when many), then moves the table's sequence
    /// past them so that ids handed out later are higher.
    fn restore_all<T>(
        &mut self,
        columns: &Columns<T>,
        records: &[&T],
        id_of: impl Fn(&T) -> i64,
    ) -> Result<(), StoreError> {
        let Some(max) = records.iter().map(|r| id_of(r)).max() else {
            return Ok(());
        };
        if records.len() < COPY_FROM {
            for r in records {
                self.insert_one(columns, Some(id_of(r)), r)?;
            }
        } else {
            self.run(async |c| copy::copy_in(c, columns, records.iter().copied(), &id_of).await)?;
        }
        let table = columns.table;
        self.run(async |c| {
            c.execute(
                "SELECT setval(s, GREATEST($1, COALESCE(pg_sequence_last_value(s), 0))) \
                 FROM (SELECT pg_get_serial_sequence($2, 'id')::regclass AS s) q",
                &[&max, &table],
            )
            .await
            .map_err(pg)?;
            Ok(())
        })
    }
}

impl Transaction for PgTx<'_> {
    fn head(&mut self) -> Result<Head, StoreError> {
        // The row lock is held until commit: every writer, in every process, waits here, so
        // sequence numbers commit in the order they are handed out.
        self.run(async |c| read_head(c, true).await)
    }

    fn set_head(&mut self, head: Head) -> Result<(), StoreError> {
        self.run(async |c| {
            // NOTIFY is delivered at commit, and only if it commits.
            c.execute(
                "WITH moved AS (UPDATE feed_head SET seq = $1, at = $2 RETURNING seq) \
                 SELECT pg_notify($3, seq::text) FROM moved",
                &[&head.seq, &head.at, &CHANNEL],
            )
            .await
            .map_err(pg)?;
            Ok(())
        })
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(why) = self.lost.take() {
            return Err(StoreError::Unavailable(why));
        }
        if self.failed {
            return Err(StoreError::Commit(
                "a statement of the transaction failed; it was rolled back".into(),
            ));
        }
        let Some(client) = self.client.take() else {
            return Err(StoreError::Postgres("the transaction has ended".into()));
        };
        let out = self.rt.block_on(client.batch_execute("COMMIT")).map_err(pg);
        if out.is_err() {
            // Whatever state the connection is in, it does not go back to the pool.
            drop(Object::take(client));
        }
        out
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        self.run(async |c| c.batch_execute("SAVEPOINT one_write").await.map_err(pg))?;
        self.in_savepoint = true;
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<(), StoreError> {
        self.in_savepoint = false;
        self.run(async |c| {
            c.batch_execute("RELEASE SAVEPOINT one_write")
                .await
                .map_err(pg)
        })
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), StoreError> {
        self.in_savepoint = false;
        self.run(async |c| {
            c.batch_execute("ROLLBACK TO SAVEPOINT one_write; RELEASE SAVEPOINT one_write")
                .await
                .map_err(pg)
        })
    }

    fn insert_incidents(&mut self, batch: &mut [Incident]) -> Result<(), StoreError> {
        if batch.len() < COPY_FROM {
            for i in batch.iter_mut() {
                i.id = self.insert_one(&rows::INCIDENT, None, i)?;
            }
            return Ok(());
        }
        let n = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        let mut ids: Vec<i64> = self.run(async |c| {
            let found = c
                .query(
                    "SELECT nextval(pg_get_serial_sequence('incident', 'id')) \
                     FROM generate_series(1, $1::int8)",
                    &[&n],
                )
                .await
                .map_err(pg)?;
            Ok(found.iter().map(|r| r.get(0)).collect())
        })?;
        // In input order, ascending (the rows come back so, but nothing promises it).
        ids.sort_unstable();
        for (i, id) in batch.iter_mut().zip(ids) {
            i.id = id;
        }
        let batch = &*batch;
        self.run(async |c| copy::copy_in(c, &rows::INCIDENT, batch.iter(), |i| i.id).await)
    }

    fn restore(&mut self, records: &[Stored]) -> Result<(), StoreError> {
        let incidents: Vec<&Incident> = records
            .iter()
            .filter_map(|r| match r {
                Stored::Incident(i) => Some(i),
                Stored::Report(_) => None,
            })
            .collect();
        let reports: Vec<&DisplacementReport> = records
            .iter()
            .filter_map(|r| match r {
                Stored::Report(r) => Some(r),
                Stored::Incident(_) => None,
            })
            .collect();
        self.restore_all(&rows::INCIDENT, &incidents, |i| i.id)?;
        self.restore_all(&rows::REPORT, &reports, |r| r.id)
    }

    fn update_incident(&mut self, i: &Incident) -> Result<bool, StoreError> {
        self.update_one(&rows::INCIDENT, i.id, i)
    }

    fn incident(&mut self, id: i64) -> Result<Option<Incident>, StoreError> {
        let sql = format!(
            "SELECT {} FROM incident WHERE id = $1",
            rows::INCIDENT.names
        );
        self.run(async |c| {
            let stmt = c.prepare_cached(&sql).await.map_err(pg)?;
            match c.query_opt(&stmt, &[&id]).await.map_err(pg)? {
                Some(row) => rows::incident_at(&row, 0, &mut Interner::default()),
                None => Ok(None),
            }
        })
    }

    fn delete_incident(&mut self, id: i64) -> Result<bool, StoreError> {
        self.delete_one("incident", id)
    }

    fn insert_report(&mut self, r: &mut DisplacementReport) -> Result<(), StoreError> {
        r.id = self.insert_one(&rows::REPORT, None, r)?;
        Ok(())
    }

    fn update_report(&mut self, r: &DisplacementReport) -> Result<bool, StoreError> {
        self.update_one(&rows::REPORT, r.id, r)
    }

    fn report(&mut self, id: i64) -> Result<Option<DisplacementReport>, StoreError> {
        let sql = format!(
            "SELECT {} FROM displacement_report WHERE id = $1",
            rows::REPORT.names
        );
        self.run(async |c| {
            let stmt = c.prepare_cached(&sql).await.map_err(pg)?;
            match c.query_opt(&stmt, &[&id]).await.map_err(pg)? {
                Some(row) => rows::report_at(&row, 0),
                None => Ok(None),
            }
        })
    }

    fn delete_report(&mut self, id: i64) -> Result<bool, StoreError> {
        self.delete_one("displacement_report", id)
    }

    fn log_changes(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        // One statement cannot upsert a row twice: keep each record's last change only.
        let mut last: HashMap<(&str, i64), usize> = HashMap::with_capacity(changes.len());
        for (n, c) in changes.iter().enumerate() {
            last.insert((collection_of(c.kind), c.id), n);
        }
        let mut kept: Vec<usize> = last.into_values().collect();
        kept.sort_unstable();
        for chunk in kept.chunks(LOG_CHUNK) {
            let seqs: Vec<i64> = chunk.iter().map(|&n| changes[n].seq).collect();
            let collections: Vec<&str> = chunk
                .iter()
                .map(|&n| collection_of(changes[n].kind))
                .collect();
            let ids: Vec<i64> = chunk.iter().map(|&n| changes[n].id).collect();
            let ops: Vec<&str> = chunk.iter().map(|&n| changes[n].op.as_str()).collect();
            let ats: Vec<chrono::DateTime<chrono::Utc>> =
                chunk.iter().map(|&n| changes[n].at).collect();
            self.run(async |c| {
                let stmt = c
                    .prepare_cached(
                        "INSERT INTO change (seq, collection, record_id, op, at) \
                         SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::text[], \
                             $5::timestamptz[]) \
                         ON CONFLICT (collection, record_id) DO UPDATE \
                         SET seq = excluded.seq, op = excluded.op, at = excluded.at",
                    )
                    .await
                    .map_err(pg)?;
                c.execute(&stmt, &[&seqs, &collections, &ids, &ops, &ats])
                    .await
                    .map_err(pg)?;
                Ok(())
            })?;
        }
        Ok(())
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.run(async |c| {
            let row = c
                .query_opt("SELECT value FROM setting WHERE key = $1", &[&key])
                .await
                .map_err(pg)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.run(async |c| {
            c.execute(
                "INSERT INTO setting (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .await
            .map_err(pg)?;
            Ok(())
        })
    }
}

impl Drop for PgTx<'_> {
    /// Not committed: rolled back, and the connection goes back to the pool only if the
    /// rollback worked (a connection left inside a transaction would poison the next user).
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let rolled_back = self.rt.block_on(async {
            tokio::time::timeout(WAIT, client.batch_execute("ROLLBACK"))
                .await
                .is_ok_and(|r| r.is_ok())
        });
        if !rolled_back {
            drop(Object::take(client));
        }
    }
}
