//! The shared store: PostgreSQL with PostGIS (to be written).

use super::{Backend, StoreError};

pub struct PgStore;

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        Err(StoreError::Postgres(format!("{}: not yet supported", redact(url))))
    }
}

/// The URL without its password, for logs and messages.
pub fn redact(url: &str) -> String {
    url.to_string()
}

impl Backend for PgStore {
    fn schema_version(&self) -> Result<usize, StoreError> { unimplemented!() }
    fn load_incidents(&self) -> Result<Vec<std::sync::Arc<crate::model::Incident>>, StoreError> { unimplemented!() }
    fn load_reports(&self) -> Result<Vec<crate::model::displacement::DisplacementReport>, StoreError> { unimplemented!() }
    fn load_deletions(&self) -> Result<Vec<(i64, chrono::DateTime<chrono::Utc>)>, StoreError> { unimplemented!() }
    fn count(&self) -> Result<usize, StoreError> { unimplemented!() }
    fn setting(&self, _: &str) -> Result<Option<String>, StoreError> { unimplemented!() }
    fn head(&self) -> Result<super::Head, StoreError> { unimplemented!() }
    fn stamp_samples(&self, _: i64) -> Result<Vec<super::Head>, StoreError> { unimplemented!() }
    fn changes_after(&self, _: i64, _: usize) -> Result<Vec<super::FeedEntry>, StoreError> { unimplemented!() }
    fn feed_reader(&self) -> Result<std::sync::Arc<dyn super::FeedRead>, StoreError> { unimplemented!() }
    fn begin(&mut self) -> Result<Box<dyn super::Transaction + '_>, StoreError> { unimplemented!() }
}

/// Wakes a replica when another commits (to be written).
pub struct Listener;

impl Listener {
    pub fn connect(_url: &str) -> Listener {
        Listener
    }

    pub fn wait(&mut self, timeout: std::time::Duration) -> Result<bool, StoreError> {
        std::thread::sleep(timeout);
        Ok(false)
    }
}
