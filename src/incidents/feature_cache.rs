//! The GeoJSON of recently served incidents, shared by every snapshot. During a crisis many
//! people open the same area, so the same features are written again and again; writing one
//! is mostly escaping its strings (the notes), copying it is a memcpy. An entry remembers the
//! incident it was written from (`Arc` identity), so an edited or deleted incident is never
//! served stale: its new version is a different `Arc`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use crate::model::Incident;

/// Shards keep readers from queueing on one lock; each is held only to look up or insert.
const SHARDS: usize = 64;
/// Memory the cache may hold, counting each entry's bytes plus what keeping its incident
/// alive may cost; a full shard is emptied (cheap, and hot features come straight back).
const BUDGET_BYTES: usize = 64 << 20;
const ENTRY_OVERHEAD: usize = 640;

/// The incident the bytes were written from, and the bytes.
type Written = (Arc<Incident>, Arc<[u8]>);

#[derive(Default)]
struct Shard {
    entries: HashMap<i64, Written, xxhash_rust::xxh3::Xxh3DefaultBuilder>,
    bytes: usize,
}

static CACHE: LazyLock<Vec<Mutex<Shard>>> =
    LazyLock::new(|| (0..SHARDS).map(|_| Mutex::default()).collect());

/// Appends `incident`'s Feature to `out`: the cached bytes when they were written from this
/// very incident, else what `write` appends (then cached).
pub fn write_cached(incident: &Arc<Incident>, out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let shard = &CACHE[incident.id.rem_euclid(SHARDS as i64) as usize];
    // A poisoned shard (a panic while holding it) is only skipped: the cache is an aid.
    if let Ok(s) = shard.lock() {
        if let Some((source, bytes)) = s.entries.get(&incident.id) {
            if Arc::ptr_eq(source, incident) {
                out.extend_from_slice(bytes);
                return;
            }
        }
    }
    let start = out.len();
    write(out);
    let bytes: Arc<[u8]> = out[start..].into();
    if let Ok(mut s) = shard.lock() {
        let cost = bytes.len() + ENTRY_OVERHEAD;
        if s.bytes + cost > BUDGET_BYTES / SHARDS {
            s.entries.clear();
            s.bytes = 0;
        }
        s.bytes += cost;
        if let Some((_, old)) = s.entries.insert(incident.id, (incident.clone(), bytes)) {
            s.bytes -= old.len() + ENTRY_OVERHEAD;
        }
    }
}
