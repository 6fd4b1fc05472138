//! Thinning the points of a crowded tile: the grid is cut into square cells and each cell keeps
//! one point (the first in feature order, so the same data always give the same tile), which
//! carries how many points its cell holds. Cells start at a quarter of a 256-pixel tile's pixel
//! and double until at most `max_kept` cells are occupied, which bounds the tile's size
//! whatever the number of points.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// log2 of the first cell side in grid units: 4 units, a quarter pixel at 256 px per tile.
const FIRST_CELL_SHIFT: u32 = 2;
/// A cell of 2^13 units is wider than a tile with its buffer: at most 4 cells remain.
const LAST_CELL_SHIFT: u32 = 13;

/// Cell keys are two packed grid numbers: one multiplication (Fibonacci hashing) spreads
/// them well, at a fraction of a general-purpose hash's cost per point.
#[derive(Default)]
struct CellHasher(u64);

impl Hasher for CellHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

type Cells = HashMap<u64, Kept, BuildHasherDefault<CellHasher>>;

/// A point kept for its cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// Position (in the input) of the first point of the cell: the one drawn.
    pub first: usize,
    /// Points in the cell, the kept one included.
    pub count: u32,
}

/// The outcome: kept points in input order, and the cell side in grid units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thinned {
    pub kept: Vec<Kept>,
    pub cell: u32,
}

/// Thins points given in grid units, in feature order.
pub fn thin(points: &[(i32, i32)], max_kept: usize) -> Thinned {
    let key = |x: i32, y: i32, shift: u32| {
        // Arithmetic shifts floor, so cells line up across the tile edge and its buffer.
        let (cx, cy) = (x >> shift, y >> shift);
        (u64::from(cx as u32) << 32) | u64::from(cy as u32)
    };
    let mut shift = FIRST_CELL_SHIFT;
    let mut cells = Cells::with_capacity_and_hasher(points.len().min(1 << 16), Default::default());
    for (n, &(x, y)) in points.iter().enumerate() {
        cells
            .entry(key(x, y, shift))
            .and_modify(|k| k.count += 1)
            .or_insert(Kept { first: n, count: 1 });
    }
    while cells.len() > max_kept && shift < LAST_CELL_SHIFT {
        shift += 1;
        let mut coarser = Cells::with_capacity_and_hasher(cells.len() / 2, Default::default());
        for k in cells.into_values() {
            let (x, y) = points[k.first];
            coarser
                .entry(key(x, y, shift))
                .and_modify(|c| {
                    c.first = c.first.min(k.first);
                    c.count += k.count;
                })
                .or_insert(k);
        }
        cells = coarser;
    }
    let mut kept: Vec<Kept> = cells.into_values().collect();
    kept.sort_unstable_by_key(|k| k.first);
    Thinned {
        kept,
        cell: 1 << shift,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_per_cell_with_counts() {
        // Three points in one 4-unit cell, one alone, one in the buffer left of the tile.
        let points = [(10, 10), (11, 9), (4000, 4000), (8, 11), (-3, 5)];
        let t = thin(&points, 100);
        assert_eq!(t.cell, 4);
        assert_eq!(
            t.kept,
            vec![
                Kept { first: 0, count: 3 },
                Kept { first: 2, count: 1 },
                Kept { first: 4, count: 1 },
            ]
        );
    }

    #[test]
    fn cells_grow_until_few_enough() {
        // A 100 × 100 lattice every 8 units: 10,000 cells of 4 units.
        let points: Vec<(i32, i32)> = (0..100)
            .flat_map(|i| (0..100).map(move |j| (i * 8, j * 8)))
            .collect();
        let t = thin(&points, 3000);
        // 8-unit cells still hold one point each; 16-unit cells four: 2,500 kept.
        assert_eq!(t.cell, 16);
        assert_eq!(t.kept.len(), 2500);
        assert_eq!(t.kept.iter().map(|k| k.count).sum::<u32>(), 10_000);
        assert!(t.kept.windows(2).all(|w| w[0].first < w[1].first));
        // The kept point of each cell is its first: (0,0) keeps (0,0), (0,8), (8,0), (8,8).
        assert_eq!(t.kept[0], Kept { first: 0, count: 4 });
    }

    #[test]
    fn same_input_same_output() {
        let points: Vec<(i32, i32)> = (0..5000)
            .map(|n| ((n * 37) % 4096, (n * 91) % 4096))
            .collect();
        assert_eq!(thin(&points, 500), thin(&points, 500));
        assert!(thin(&points, 500).kept.len() <= 500);
    }
}
