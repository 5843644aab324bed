//! The faces of each space in memory, for nearest-neighbour search: every embedding quantised to one signed byte
//! per dimension with a scale of its own (140 bytes a face: 28 MB for 200,000), searched by brute force, which
//! at that size takes a few milliseconds and needs no index to keep in step. The database stays the truth: a
//! space is loaded from it on first use, and ids the database no longer has are dropped when met.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::db::{Db, DbError};

/// The faces of one space.
#[derive(Default)]
pub struct SpaceVectors {
    ids: Vec<i64>,
    codes: Vec<i8>,
    scales: Vec<f32>,
    dim: usize,
}

impl SpaceVectors {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn contains(&self, id: i64) -> bool {
        self.ids.contains(&id)
    }

    /// Adds a face (an L2-normalised embedding). A vector of another length than the others is refused.
    pub fn push(&mut self, id: i64, vector: &[f32]) {
        if vector.is_empty() || (self.dim != 0 && vector.len() != self.dim) {
            tracing::warn!(face = id, len = vector.len(), "an embedding of the wrong length is not searched");
            return;
        }
        self.dim = vector.len();
        let (codes, scale) = quantise(vector);
        self.ids.push(id);
        self.codes.extend(codes);
        self.scales.push(scale);
    }

    /// Drops faces the database no longer has.
    pub fn forget(&mut self, gone: &[i64]) {
        if gone.is_empty() {
            return;
        }
        let mut keep = 0;
        for i in 0..self.ids.len() {
            if !gone.contains(&self.ids[i]) {
                self.ids[keep] = self.ids[i];
                self.scales[keep] = self.scales[i];
                self.codes.copy_within(i * self.dim..(i + 1) * self.dim, keep * self.dim);
                keep += 1;
            }
        }
        self.ids.truncate(keep);
        self.scales.truncate(keep);
        self.codes.truncate(keep * self.dim);
    }

    /// The faces within `max_distance` (cosine distance, 1 − cos) of `vector`, nearest first, at most `limit`.
    pub fn within(&self, vector: &[f32], max_distance: f32, limit: usize) -> Vec<(i64, f32)> {
        if self.dim == 0 || vector.len() != self.dim {
            return Vec::new();
        }
        let (query, query_scale) = quantise(vector);
        let least_similarity = 1.0 - max_distance;
        let mut found: Vec<(i64, f32)> = Vec::new();
        for (i, codes) in self.codes.chunks_exact(self.dim).enumerate() {
            let dot = dot_i8(&query, codes) as f32 * query_scale * self.scales[i];
            if dot >= least_similarity {
                found.push((self.ids[i], 1.0 - dot));
            }
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found.truncate(limit);
        found
    }
}

/// Each component as a multiple of the vector's largest one / 127.
fn quantise(vector: &[f32]) -> (Vec<i8>, f32) {
    let largest = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    if largest == 0.0 || !largest.is_finite() {
        return (vec![0; vector.len()], 0.0);
    }
    let scale = largest / 127.0;
    (vector.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect(), scale)
}

/// Written so that the compiler vectorises it: widening multiplies summed in 32 bits.
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum()
}

/// The faces of every space that has been searched, loaded on first use.
#[derive(Default)]
pub struct FaceIndex {
    spaces: Mutex<HashMap<i64, Arc<Mutex<SpaceVectors>>>>,
}

impl FaceIndex {
    /// The faces of a space, loading them from the database the first time.
    pub fn space(&self, db: &Db, space_id: i64) -> Result<Arc<Mutex<SpaceVectors>>, DbError> {
        if let Some(loaded) = self.lock().get(&space_id) {
            return Ok(loaded.clone());
        }
        let mut vectors = SpaceVectors::default();
        for (id, vector) in db.face_vectors(space_id)? {
            vectors.push(id, &vector);
        }
        tracing::debug!(space = space_id, faces = vectors.len(), "face index loaded");
        Ok(self.lock().entry(space_id).or_insert_with(|| Arc::new(Mutex::new(vectors))).clone())
    }

    /// Forgets a space, to be loaded again (after a change the index cannot follow face by face).
    pub fn drop_space(&self, space_id: i64) {
        self.lock().remove(&space_id);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Arc<Mutex<SpaceVectors>>>> {
        self.spaces.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Locks one space's vectors (a panic elsewhere leaves them usable: they hold no invariant across calls).
pub fn lock(vectors: &Mutex<SpaceVectors>) -> MutexGuard<'_, SpaceVectors> {
    vectors.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn nearest_faces_come_first_and_far_ones_not_at_all() {
        let mut space = SpaceVectors::default();
        let a = unit(&[1.0, 0.1, 0.0, 0.3]);
        let near_a = unit(&[0.9, 0.15, 0.05, 0.3]);
        let b = unit(&[-0.2, 1.0, 0.4, 0.0]);
        space.push(1, &a);
        space.push(2, &b);
        space.push(3, &near_a);
        let found = space.within(&a, 0.1, 10);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [1, 3]);
        let exact: f32 = 1.0 - a.iter().zip(&near_a).map(|(x, y)| x * y).sum::<f32>();
        assert!((found[1].1 - exact).abs() < 0.01, "quantised {} against {exact}", found[1].1);
        space.forget(&[1]);
        assert_eq!(space.within(&a, 0.1, 10).iter().map(|f| f.0).collect::<Vec<_>>(), [3]);
        assert_eq!(space.within(&a, 2.0, 1).len(), 1, "at most `limit`");
        space.push(4, &[1.0, 0.0]);
        assert_eq!(space.len(), 2, "a vector of another length is refused");
    }
}
