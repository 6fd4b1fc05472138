//! Density-based clustering (DBSCAN) of lon/lat points with a distance in metres, on a grid
//! over Earth-centred coordinates: correct anywhere on the globe (no projection seams) and
//! close to linear for dense data, since a cell's diagonal is the distance threshold and a
//! cell with enough points is core as a whole (Gunawan's grid DBSCAN).

use std::collections::HashMap;

const EARTH_RADIUS_M: f64 = 6_371_008.8;

type Cell = [i64; 3];

fn ecef(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [
        EARTH_RADIUS_M * lat.cos() * lon.cos(),
        EARTH_RADIUS_M * lat.cos() * lon.sin(),
        EARTH_RADIUS_M * lat.sin(),
    ]
}

fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Cluster label of each point (numbered in order of first appearance), or `None` for
/// noise. Points within `distance_m` (great-circle) are neighbours; a point with at least
/// `min_points` neighbours (itself included) is core. With `min_points` 1 every point is
/// core and clusters are the connected groups.
pub fn dbscan(points: &[(f64, f64)], distance_m: f64, min_points: usize) -> Vec<Option<usize>> {
    let n = points.len();
    let xyz: Vec<[f64; 3]> = points.iter().map(|&(lon, lat)| ecef(lon, lat)).collect();
    // Chord length of the great-circle distance: what straight-line ECEF distance measures.
    let chord = 2.0
        * EARTH_RADIUS_M
        * (distance_m / (2.0 * EARTH_RADIUS_M))
            .min(std::f64::consts::FRAC_PI_2)
            .sin();
    let chord2 = chord * chord;
    let side = chord / 3f64.sqrt();
    let cell_of = |p: &[f64; 3]| -> Cell {
        [
            (p[0] / side).floor() as i64,
            (p[1] / side).floor() as i64,
            (p[2] / side).floor() as i64,
        ]
    };
    let mut cells: HashMap<Cell, Vec<usize>> = HashMap::new();
    for (i, p) in xyz.iter().enumerate() {
        cells.entry(cell_of(p)).or_default().push(i);
    }
    // Points up to `chord` apart lie at most two cells apart on each axis.
    let neighbour_cells = |c: &Cell| {
        let mut out = Vec::with_capacity(125);
        for dx in -2..=2 {
            for dy in -2..=2 {
                for dz in -2..=2 {
                    out.push([c[0] + dx, c[1] + dy, c[2] + dz]);
                }
            }
        }
        out
    };

    let mut core = vec![false; n];
    for (cell, members) in &cells {
        if members.len() >= min_points {
            members.iter().for_each(|&i| core[i] = true);
            continue;
        }
        for &i in members {
            let mut count = 0;
            'cells: for nc in neighbour_cells(cell) {
                for &j in cells.get(&nc).into_iter().flatten() {
                    if dist2(&xyz[i], &xyz[j]) <= chord2 {
                        count += 1;
                        if count >= min_points {
                            core[i] = true;
                            break 'cells;
                        }
                    }
                }
            }
        }
    }

    let mut uf = UnionFind((0..n).collect());
    for (cell, members) in &cells {
        let cores: Vec<usize> = members.iter().copied().filter(|&i| core[i]).collect();
        // Any two points of one cell are within the threshold (the diagonal is `chord`).
        for w in cores.windows(2) {
            uf.union(w[0], w[1]);
        }
        let Some(&first) = cores.first() else {
            continue;
        };
        for nc in neighbour_cells(cell) {
            if nc <= *cell {
                continue;
            }
            let Some(others) = cells.get(&nc) else {
                continue;
            };
            if uf.find(first)
                == others
                    .iter()
                    .find(|&&j| core[j])
                    .map_or(usize::MAX, |&j| uf.find(j))
            {
                continue;
            }
            let linked = cores.iter().find_map(|&i| {
                others
                    .iter()
                    .find(|&&j| core[j] && dist2(&xyz[i], &xyz[j]) <= chord2)
                    .map(|&j| (i, j))
            });
            if let Some((i, j)) = linked {
                uf.union(i, j);
            }
        }
    }

    let mut labels = vec![None; n];
    let mut numbering: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let root = if core[i] {
            Some(uf.find(i))
        } else {
            // A border point joins the cluster of a core point within reach.
            let c = cell_of(&xyz[i]);
            neighbour_cells(&c)
                .iter()
                .flat_map(|nc| cells.get(nc).into_iter().flatten())
                .find(|&&j| core[j] && dist2(&xyz[i], &xyz[j]) <= chord2)
                .map(|&j| uf.find(j))
        };
        if let Some(root) = root {
            let next = numbering.len();
            labels[i] = Some(*numbering.entry(root).or_insert(next));
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point `metres` east of (lon, lat).
    fn east(lon: f64, lat: f64, metres: f64) -> (f64, f64) {
        (lon + metres / (111_195.0 * lat.to_radians().cos()), lat)
    }

    #[test]
    fn two_separated_groups_make_two_clusters() {
        let a: Vec<(f64, f64)> = (0..5)
            .map(|i| east(40.76, 36.47, i as f64 * 300.0))
            .collect();
        let b: Vec<(f64, f64)> = (0..5)
            .map(|i| east(40.90, 36.47, i as f64 * 300.0))
            .collect();
        let pts: Vec<(f64, f64)> = a.iter().chain(&b).copied().collect();
        let labels = dbscan(&pts, 1_000.0, 1);
        assert!(labels[..5].iter().all(|l| *l == Some(0)));
        assert!(labels[5..].iter().all(|l| *l == Some(1)));
    }

    #[test]
    fn chains_link_and_gaps_split() {
        // 900 m steps link at 1000 m; a 1100 m gap splits.
        let pts = vec![
            east(40.0, 36.0, 0.0),
            east(40.0, 36.0, 900.0),
            east(40.0, 36.0, 1_800.0),
            east(40.0, 36.0, 2_900.0),
        ];
        assert_eq!(
            dbscan(&pts, 1_000.0, 1),
            vec![Some(0), Some(0), Some(0), Some(1)]
        );
    }

    #[test]
    fn min_points_makes_noise_and_borders() {
        let mut pts: Vec<(f64, f64)> = (0..4).map(|i| east(40.0, 36.0, i as f64 * 50.0)).collect();
        pts.push(east(40.0, 36.0, 1_100.0)); // within 1000 m of the last core point only: border
        pts.push(east(40.0, 36.0, 5_000.0)); // alone: noise
        let labels = dbscan(&pts, 1_000.0, 3);
        assert_eq!(
            labels,
            vec![Some(0), Some(0), Some(0), Some(0), Some(0), None]
        );
    }

    #[test]
    fn works_across_the_antimeridian() {
        let pts = vec![(179.999, 0.0), (-179.999, 0.0)];
        assert_eq!(dbscan(&pts, 500.0, 1), vec![Some(0), Some(0)]);
    }
}
