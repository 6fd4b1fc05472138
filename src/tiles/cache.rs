//! Rendered tiles kept for the snapshot they were rendered from: a map's low-zoom tiles are
//! the same for every viewer and may each cover a million points, so they are rendered once
//! per snapshot. A new snapshot (a write) empties the cache; past `max_bytes` the oldest
//! entries go first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::TileId;

/// What a tile depends on besides the snapshot: collection, address and query (canonical).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub collection: String,
    pub tile: TileId,
    /// The request's parameters, sorted, as `k=v&…`.
    pub query: String,
    /// Whether it was drawn with true locations (a token holder's view) or public ones.
    pub exact: bool,
}

/// A rendered tile: its bytes, or `None` for an empty tile.
pub type Rendered = Arc<Option<Vec<u8>>>;

pub struct TileCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    version: u64,
    tiles: HashMap<TileKey, Rendered>,
    order: VecDeque<TileKey>,
    bytes: usize,
}

impl TileCache {
    pub fn new(max_bytes: usize) -> TileCache {
        TileCache {
            max_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The tile of snapshot `version`, rendered by `render` unless kept. Rendering runs
    /// outside the lock, so other tiles are served meanwhile.
    pub fn get_or_render<E>(
        &self,
        version: u64,
        key: TileKey,
        render: impl FnOnce() -> Result<Option<Vec<u8>>, E>,
    ) -> Result<Rendered, E> {
        if let Some(hit) = self.lock().kept(version, &key) {
            return Ok(hit);
        }
        let rendered: Rendered = Arc::new(render()?);
        let size = rendered.as_ref().as_ref().map_or(0, Vec::len) + 64;
        let mut inner = self.lock();
        if inner.version != version {
            if version < inner.version {
                // Rendered from a snapshot already replaced: serve it, keep nothing.
                return Ok(rendered);
            }
            inner.clear(version);
        }
        if size <= self.max_bytes && !inner.tiles.contains_key(&key) {
            while inner.bytes + size > self.max_bytes {
                let Some(old) = inner.order.pop_front() else {
                    break;
                };
                if let Some(t) = inner.tiles.remove(&old) {
                    inner.bytes -= t.as_ref().as_ref().map_or(0, Vec::len) + 64;
                }
            }
            inner.bytes += size;
            inner.order.push_back(key.clone());
            inner.tiles.insert(key, rendered.clone());
        }
        Ok(rendered)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere leaves only whole entries of pure data behind.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn kept(&mut self, version: u64, key: &TileKey) -> Option<Rendered> {
        if self.version != version {
            return None;
        }
        self.tiles.get(key).cloned()
    }

    fn clear(&mut self, version: u64) {
        self.version = version;
        self.tiles.clear();
        self.order.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> TileKey {
        TileKey {
            collection: "incidents".into(),
            tile: TileId { z: 1, x, y: 0 },
            query: String::new(),
            exact: false,
        }
    }

    #[test]
    fn renders_once_per_snapshot() {
        let cache = TileCache::new(1 << 20);
        let mut calls = 0;
        for _ in 0..3 {
            let t = cache
                .get_or_render::<()>(1, key(0), || {
                    calls += 1;
                    Ok(Some(vec![1, 2, 3]))
                })
                .unwrap();
            assert_eq!(t.as_deref(), Some(&[1u8, 2, 3][..]));
        }
        assert_eq!(calls, 1);
        // A new snapshot renders again.
        cache
            .get_or_render::<()>(2, key(0), || {
                calls += 1;
                Ok(None)
            })
            .unwrap();
        assert_eq!(calls, 2);
    }

    #[test]
    fn oldest_go_first_past_the_limit() {
        let cache = TileCache::new(3 * (100 + 64));
        for x in 0..4 {
            cache
                .get_or_render::<()>(1, key(x), || Ok(Some(vec![0; 100])))
                .unwrap();
        }
        let mut rendered = false;
        cache
            .get_or_render::<()>(1, key(0), || {
                rendered = true;
                Ok(None)
            })
            .unwrap();
        assert!(rendered, "the first tile was evicted");
        let kept = cache.get_or_render::<()>(1, key(3), || Ok(None)).unwrap();
        assert!(kept.is_some(), "the newest is kept");
    }
}
