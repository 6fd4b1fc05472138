//! Bounds on FlatGeobuf downloads, the one format that needs more than a chunk at a time:
//! its packed index precedes the features, so every feature is first written to a temporary
//! file and the index built in memory. Without a bound, 8 parallel downloads of 200,000
//! incidents wrote 2.6 GB of temporary files. Two bounds, set by `serve --max-exports` and
//! `--export-temp-bytes`: how many run at once, and how much temporary space they hold
//! together (each reserves an upper bound of its features' size before writing them, and
//! a lower bound, from its number of features, before even sizing them).
//! Beyond either, the answer is a 503 with Retry-After, at once: nothing queues.
//!
//! CSV and GeoJSON text sequences are written chunk by chunk as the connection takes them,
//! holding one chunk each, so they are not bounded here.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::problem::ApiError;

/// What a client is told to wait before trying again: a large download takes seconds.
pub const RETRY_AFTER_SECS: u32 = 10;

pub struct ExportLimits {
    max_exports: usize,
    temp_budget: u64,
    /// How long a download waits on a client that has stopped reading before dropping it,
    /// so that stalled clients cannot hold every place.
    pub stall_limit: std::time::Duration,
    usage: Mutex<Usage>,
}

#[derive(Default)]
struct Usage {
    exports: usize,
    temp_bytes: u64,
}

/// One running export's share of the bounds, given back when it is dropped: when the
/// download has been written out, or has stopped because the client went away.
pub struct ExportPermit {
    pub limits: Arc<ExportLimits>,
    temp_bytes: u64,
}

impl ExportLimits {
    pub fn new(
        max_exports: usize,
        temp_budget: u64,
        stall_limit: std::time::Duration,
    ) -> Arc<ExportLimits> {
        Arc::new(ExportLimits {
            max_exports,
            temp_budget,
            stall_limit,
            usage: Mutex::default(),
        })
    }

    fn usage(&self) -> MutexGuard<'_, Usage> {
        // The counters stay consistent even if a holder panicked: each update is one step.
        self.usage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place among the exports running at once, or a 503 if all are taken.
    pub fn start(self: &Arc<Self>) -> Result<ExportPermit, ApiError> {
        let mut usage = self.usage();
        if usage.exports >= self.max_exports {
            return Err(unavailable(format!(
                "{} FlatGeobuf download(s) are being written, the most this server runs at once; \
                 try again shortly, or download CSV or GeoJSON text sequences (f=csv, \
                 f=geojsonseq), which stream without temporary files",
                usage.exports
            )));
        }
        usage.exports += 1;
        Ok(ExportPermit {
            limits: self.clone(),
            temp_bytes: 0,
        })
    }
}

impl ExportPermit {
    /// Grows this export's share of temporary space to `bytes` in all, or a 503 if the
    /// exports running would then hold more than the budget.
    pub fn reserve_temp(&mut self, bytes: u64) -> Result<(), ApiError> {
        let more = bytes.saturating_sub(self.temp_bytes);
        let limits = &self.limits;
        let mut usage = limits.usage();
        let wanted = usage.temp_bytes.saturating_add(more);
        if wanted > limits.temp_budget {
            let detail = if bytes > limits.temp_budget {
                format!(
                    "this FlatGeobuf download would reserve {bytes} bytes of temporary space, more \
                     than the server's whole budget of {} bytes: ask for fewer features (limit, \
                     bbox, filters) or download f=csv or f=geojsonseq",
                    limits.temp_budget
                )
            } else {
                format!(
                    "this FlatGeobuf download would reserve {bytes} bytes of temporary space and \
                     the downloads being written hold {} of the server's {} bytes; try again \
                     shortly",
                    usage.temp_bytes.saturating_sub(self.temp_bytes),
                    limits.temp_budget
                )
            };
            return Err(unavailable(detail));
        }
        usage.temp_bytes = wanted;
        self.temp_bytes += more;
        Ok(())
    }
}

impl Drop for ExportPermit {
    fn drop(&mut self) {
        let mut usage = self.limits.usage();
        usage.exports = usage.exports.saturating_sub(1);
        usage.temp_bytes = usage.temp_bytes.saturating_sub(self.temp_bytes);
    }
}

fn unavailable(detail: String) -> ApiError {
    ApiError::ServiceUnavailable {
        detail,
        retry_after: RETRY_AFTER_SECS,
    }
}

/// Hands memory that an export freed back to the system; called on the export's blocking
/// thread once it is done (it walks the allocator's free lists: not for async workers). An
/// export allocates tens of megabytes (its features' index, each feature's buffers) on a
/// blocking thread; glibc keeps what such threads free in their own arenas, so without this
/// the server stayed tens of megabytes larger after a burst of downloads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() {
    // SAFETY: malloc_trim takes no pointers and has no preconditions; it only returns free
    // pages of glibc's arenas to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_space_are_given_back() {
        let limits = ExportLimits::new(2, 100, std::time::Duration::from_secs(60));
        let mut a = limits.start().expect("first");
        let b = limits.start().expect("second");
        assert!(matches!(
            limits.start(),
            Err(ApiError::ServiceUnavailable { .. })
        ));
        a.reserve_temp(30).expect("within budget");
        a.reserve_temp(60).expect("grown within budget");
        drop(b);
        let mut c = limits.start().expect("a place is free again");
        assert!(c.reserve_temp(50).is_err(), "60 + 50 > 100");
        c.reserve_temp(40).expect("60 + 40 fits");
        drop(a);
        c.reserve_temp(100).expect("a's 60 came back");
        assert!(c.reserve_temp(101).is_err());
        let mut d = limits.start().expect("second place");
        let big = d.reserve_temp(101);
        assert!(
            matches!(&big, Err(ApiError::ServiceUnavailable { detail, .. }) if detail.contains("whole budget")),
            "{big:?}"
        );
    }
}
