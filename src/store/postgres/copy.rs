//! Bulk transfer with binary COPY: rows in (imports, restores) and every incident out (the
//! start-up load), which text or one-row-at-a-time statements would make several times slower.

use std::pin::pin;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio_postgres::binary_copy::{BinaryCopyInWriter, BinaryCopyOutStream};
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

use super::error::pg;
use super::rows::{self, Columns};
use crate::model::Incident;
use crate::store::record_row::Interner;
use crate::store::StoreError;

/// Below this many rows a prepared INSERT per row is quicker than setting up a COPY.
pub const COPY_FROM: usize = 64;

/// Writes `records` (each with the id `id_of` gives) into their table with binary COPY.
pub async fn copy_in<'r, T: 'r>(
    client: &Client,
    columns: &Columns<T>,
    records: impl IntoIterator<Item = &'r T>,
    id_of: impl Fn(&T) -> i64,
) -> Result<(), StoreError> {
    let sink = client.copy_in(&columns.copy_in).await.map_err(pg)?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &columns.types));
    for r in records {
        let cells = columns.cells(Some(id_of(r)), r);
        let values: Vec<&(dyn ToSql + Sync)> = rows::params(&cells);
        writer.as_mut().write(&values).await.map_err(pg)?;
    }
    writer.finish().await.map_err(pg)?;
    Ok(())
}

/// The incidents with ids in `lo..=hi`, in id order, read with binary COPY.
pub async fn incidents_in(
    client: &Client,
    lo: i64,
    hi: i64,
) -> Result<Vec<Arc<Incident>>, StoreError> {
    let columns = &*rows::INCIDENT;
    // Bounds are numbers we computed, so formatting them in is safe (COPY takes no params).
    let sql = format!(
        "COPY (SELECT {} FROM incident WHERE id BETWEEN {lo} AND {hi} ORDER BY id) \
         TO STDOUT (FORMAT binary)",
        columns.names
    );
    let stream = client.copy_out(&sql).await.map_err(pg)?;
    let mut rows = pin!(BinaryCopyOutStream::new(stream, &columns.types));
    let mut texts = Interner::default();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await {
        let row = row.map_err(pg)?;
        if let Some(i) = rows::incident_at(&row, 0, &mut texts)? {
            out.push(Arc::new(i));
        }
    }
    Ok(out)
}
