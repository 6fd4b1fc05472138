//! Snapshots pinned for page sequences. A client that harvests a collection page by page
//! (GDAL, QGIS, a mirror) must see one consistent set: if each page were cut from the newest
//! snapshot, a write between two pages would shift the offsets, so features would be skipped
//! or repeated and `numberMatched` would drift. So the first page's snapshot is kept, and every
//! `next` link names it by a token; the pages of one sequence all come from it.
//!
//! A pin is only an `Arc` of a snapshot that shares all unchanged structure with the newer
//! ones, so keeping a few is cheap. They are kept while they are young (`ttl` since the last
//! page served from them) and at most `capacity` at a time, the least recently used going
//! first; a token that names a dropped snapshot, or one from before a restart, is refused
//! rather than silently served from another snapshot.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Snapshot;

/// What can be pinned: anything that knows its version (a `Snapshot`; a stand-in in tests).
pub trait Versioned {
    fn version(&self) -> u64;
}

impl Versioned for Snapshot {
    fn version(&self) -> u64 {
        self.version
    }
}

/// How long a pinned snapshot is kept after the last page served from it.
pub const DEFAULT_TTL: Duration = Duration::from_secs(10 * 60);
/// How many page sequences may hold an older snapshot at once.
pub const DEFAULT_CAPACITY: usize = 64;
/// The longest a snapshot is kept, however often it is read: a deleted or edited record
/// stays readable through a pin no longer than this.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PinError {
    #[error("'{0}' is not a snapshot token; take next links as they are given")]
    Malformed(String),
    #[error(
        "the snapshot this page sequence started on is no longer kept (pages are kept for \
         {ttl_minutes} minutes after the last one is read and {max_age_minutes} minutes in \
         all, and the server may have restarted); start again from the first page"
    )]
    Expired {
        ttl_minutes: u64,
        max_age_minutes: u64,
    },
}

struct Pin<S> {
    snapshot: Arc<S>,
    pinned_at: Instant,
    last_used: Instant,
}

impl<S> Pin<S> {
    fn alive(&self, now: Instant, ttl: Duration, max_age: Duration) -> bool {
        now.duration_since(self.last_used) < ttl && now.duration_since(self.pinned_at) < max_age
    }
}

pub struct PinnedSnapshots<S = Snapshot> {
    /// Distinguishes this process's tokens from an earlier one's: versions restart at 0.
    epoch: u32,
    ttl: Duration,
    max_age: Duration,
    capacity: usize,
    /// A handful of entries, scanned linearly; only paged reads take this lock, never writers.
    pins: Mutex<Vec<Pin<S>>>,
}

impl<S: Versioned> PinnedSnapshots<S> {
    pub fn new(ttl: Duration, max_age: Duration, capacity: usize) -> PinnedSnapshots<S> {
        PinnedSnapshots {
            epoch: rand::random(),
            ttl,
            max_age,
            capacity: capacity.max(1),
            pins: Mutex::new(Vec::new()),
        }
    }

    /// Keeps `snapshot` for a page sequence and returns the token its next links carry.
    pub fn pin(&self, snapshot: &Arc<S>) -> String {
        let now = Instant::now();
        let mut pins = self.lock();
        pins.retain(|p| p.alive(now, self.ttl, self.max_age));
        match pins
            .iter_mut()
            .find(|p| p.snapshot.version() == snapshot.version())
        {
            Some(pin) => pin.last_used = now,
            None => {
                if pins.len() >= self.capacity {
                    // The least recently used sequence loses its snapshot (it gets Expired).
                    if let Some(oldest) = (0..pins.len()).min_by_key(|&i| pins[i].last_used) {
                        pins.swap_remove(oldest);
                    }
                }
                pins.push(Pin {
                    snapshot: snapshot.clone(),
                    pinned_at: now,
                    last_used: now,
                });
            }
        }
        self.token(snapshot.version())
    }

    /// The snapshot a token names: `current` when it is that one, else a pinned one.
    pub fn resolve(&self, token: &str, current: Arc<S>) -> Result<Arc<S>, PinError> {
        let (epoch, version) = parse_token(token)?;
        if epoch == self.epoch && version == current.version() {
            return Ok(current);
        }
        let expired = PinError::Expired {
            ttl_minutes: self.ttl.as_secs().div_ceil(60),
            max_age_minutes: self.max_age.as_secs().div_ceil(60),
        };
        if epoch != self.epoch {
            return Err(expired);
        }
        let now = Instant::now();
        let mut pins = self.lock();
        match pins
            .iter_mut()
            .find(|p| p.snapshot.version() == version && p.alive(now, self.ttl, self.max_age))
        {
            Some(pin) => {
                pin.last_used = now;
                Ok(pin.snapshot.clone())
            }
            None => Err(expired),
        }
    }

    /// Forgets every pinned snapshot: their page sequences get 410 and start again. For a
    /// write that hides what older snapshots show (a location newly protected).
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    /// How many snapshots are pinned now (for tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn token(&self, version: u64) -> String {
        format!("{:08x}-{version}", self.epoch)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Pin<S>>> {
        // The list is valid after any panic (each change is one push or remove).
        self.pins.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn parse_token(token: &str) -> Result<(u32, u64), PinError> {
    let malformed = || PinError::Malformed(token.chars().take(64).collect());
    let (epoch, version) = token.split_once('-').ok_or_else(malformed)?;
    // Only the form `token` writes: eight lower-case hex digits, a decimal without sign or
    // leading zeros.
    let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    let canonical_version = !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit())
        && (version == "0" || !version.starts_with('0'));
    if epoch.len() != 8 || !epoch.chars().all(hex) || !canonical_version {
        return Err(malformed());
    }
    let epoch = u32::from_str_radix(epoch, 16).map_err(|_| malformed())?;
    let version = version.parse().map_err(|_| malformed())?;
    Ok((epoch, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct V(u64);
    impl Versioned for V {
        fn version(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn a_pinned_version_resolves_after_newer_ones_are_current() {
        let pins = PinnedSnapshots::new(DEFAULT_TTL, DEFAULT_MAX_AGE, 4);
        let old = Arc::new(V(7));
        let token = pins.pin(&old);
        let got = pins.resolve(&token, Arc::new(V(9))).unwrap();
        assert!(Arc::ptr_eq(&got, &old));
        // The current version needs no pin.
        let current = Arc::new(V(9));
        let got = pins.resolve(&pins.token(9), current.clone()).unwrap();
        assert!(Arc::ptr_eq(&got, &current));
        // A version never pinned, and another process's token, are refused.
        assert!(matches!(
            pins.resolve(&pins.token(8), Arc::new(V(9))),
            Err(PinError::Expired {
                ttl_minutes: 10,
                max_age_minutes: 30
            })
        ));
        let other = format!("{:08x}-7", pins.epoch.wrapping_add(1));
        assert!(pins.resolve(&other, Arc::new(V(9))).is_err());
    }

    #[test]
    fn the_least_recently_used_pin_goes_first_beyond_capacity() {
        let pins = PinnedSnapshots::new(DEFAULT_TTL, DEFAULT_MAX_AGE, 2);
        let (a, b, c) = (Arc::new(V(1)), Arc::new(V(2)), Arc::new(V(3)));
        let (ta, tb) = (pins.pin(&a), pins.pin(&b));
        // Reading a page of `a` makes `b` the least recently used.
        std::thread::sleep(Duration::from_millis(2));
        pins.resolve(&ta, Arc::new(V(10))).unwrap();
        let tc = pins.pin(&c);
        assert_eq!(pins.len(), 2);
        assert!(pins.resolve(&ta, Arc::new(V(10))).is_ok());
        assert!(pins.resolve(&tc, Arc::new(V(10))).is_ok());
        assert!(pins.resolve(&tb, Arc::new(V(10))).is_err());
        // Pinning the same version twice keeps one entry.
        pins.pin(&c);
        assert_eq!(pins.len(), 2);
    }

    #[test]
    fn pins_expire_after_their_ttl() {
        let pins = PinnedSnapshots::new(Duration::from_millis(1), DEFAULT_MAX_AGE, 4);
        let token = pins.pin(&Arc::new(V(1)));
        std::thread::sleep(Duration::from_millis(5));
        assert!(pins.resolve(&token, Arc::new(V(2))).is_err());
        pins.pin(&Arc::new(V(2)));
        assert_eq!(pins.len(), 1, "expired pins are dropped on the next pin");
    }

    #[test]
    fn reading_a_pin_does_not_keep_it_past_its_max_age() {
        let pins = PinnedSnapshots::new(DEFAULT_TTL, Duration::from_millis(30), 4);
        let token = pins.pin(&Arc::new(V(1)));
        for _ in 0..3 {
            // Read often enough for the idle TTL, but not the max age.
            pins.resolve(&token, Arc::new(V(2))).unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(30));
        assert!(pins.resolve(&token, Arc::new(V(2))).is_err());
    }

    #[test]
    fn tokens_round_trip_and_junk_is_malformed() {
        let pins = PinnedSnapshots::<V>::new(DEFAULT_TTL, DEFAULT_MAX_AGE, 4);
        let token = pins.token(42);
        assert_eq!(parse_token(&token), Ok((pins.epoch, 42)));
        for junk in [
            "",
            "42",
            "zz-1",
            "0000000g-1",
            "00000001-",
            "00000001-x",
            "1-1",
        ] {
            assert!(
                matches!(parse_token(junk), Err(PinError::Malformed(_))),
                "{junk}"
            );
        }
    }
}
