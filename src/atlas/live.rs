//! Live push: one hub per process reads each new stretch of the change feed once, as the
//! served snapshot moves, and broadcasts it to every subscriber (the server-sent events of
//! GET /changes). Subscribers that fall behind the broadcast's buffer are told so and read
//! the store themselves; no subscriber ever slows a writer.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use super::Atlas;
use crate::store::FeedEntry;

/// Stretches of the feed kept for subscribers that are momentarily behind.
pub const BUFFERED: usize = 256;
/// Entries read from the store per stretch.
const STRETCH: usize = 1000;

/// A stretch of the feed, in order.
pub type Batch = Arc<Vec<FeedEntry>>;

impl Atlas {
    /// Every stretch of the feed published from now on (see `run_hub`).
    pub fn subscribe(&self) -> broadcast::Receiver<Batch> {
        self.live.subscribe()
    }
}

/// Starts the hub on a thread of its own: it wakes when a snapshot is published and reads
/// the feed past what it last broadcast.
pub fn run_hub(atlas: Arc<Atlas>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    std::thread::Builder::new()
        .name("live-hub".into())
        .spawn(move || {
            let mut published = atlas.published.subscribe();
            let mut last = atlas.served_seq();
            loop {
                if rt.block_on(published.changed()).is_err() {
                    return;
                }
                while atlas.served_seq() > last {
                    match atlas.feed.changes_after(last, STRETCH) {
                        Ok(entries) if entries.is_empty() => break,
                        Ok(entries) => {
                            last = entries.last().map_or(last, |e| e.change.seq);
                            // No subscriber is no error.
                            let _ = atlas.live.send(Arc::new(entries));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "live hub cannot read the feed; retrying");
                            std::thread::sleep(Duration::from_millis(500));
                        }
                    }
                }
            }
        })?;
    Ok(())
}
