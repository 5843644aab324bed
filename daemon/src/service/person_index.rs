//! The persons of each space in memory, as centroids: the sum of each person's face embeddings, and that sum
//! normalised, which clustering compares a new face against. A space holds a few thousand persons at most where it
//! holds 200,000 faces, so the nearest person is found by brute force in a millisecond, with no index to keep in
//! step. The database stays the truth: a space is loaded from it on first use (the daemon loads each space with
//! People on when it starts), and forgotten, to be loaded again, after any change clustering did not make itself,
//! such as a user's correction. A load that a correction overtook is not kept.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::db::{Db, DbError};

/// One person's centroid.
struct Centroid {
    id: i64,
    sum: Vec<f32>,
    unit: Vec<f32>,
    faces: i64,
    /// The user named, hid, merged or corrected it: clustering never merges it into another.
    user_set: bool,
}

/// The persons of one space.
#[derive(Default)]
pub struct SpacePersons {
    persons: Vec<Centroid>,
    /// Persons that changed since the last settling: only pairs with one of them can have come near.
    changed: HashSet<i64>,
}

impl SpacePersons {
    pub fn len(&self) -> usize {
        self.persons.len()
    }

    /// The nearest person to `vector` (cosine distance, 1 − cos), leaving `except` out.
    pub fn nearest(&self, vector: &[f32], except: Option<i64>) -> Option<(i64, f32)> {
        let unit = normalised(vector);
        self.persons
            .iter()
            .filter(|p| Some(p.id) != except && p.unit.len() == unit.len())
            .map(|p| (p.id, 1.0 - dot(&p.unit, &unit)))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
    }

    /// Adds a face to a person (made here if new).
    pub fn add(&mut self, person: i64, vector: &[f32], user_set: bool) {
        self.changed.insert(person);
        match self.persons.iter_mut().find(|p| p.id == person) {
            Some(p) if p.sum.len() == vector.len() => {
                p.sum.iter_mut().zip(vector).for_each(|(s, v)| *s += v);
                p.unit = normalised(&p.sum);
                p.faces += 1;
            }
            Some(_) => tracing::warn!(person, "an embedding of another length is left out of the person's centroid"),
            None => self.persons.push(Centroid {
                id: person,
                sum: vector.to_vec(),
                unit: normalised(vector),
                faces: 1,
                user_set,
            }),
        }
    }

    /// The closest two persons within `max_distance` of which one changed since the last settling and at most one
    /// is the user's: (the one that stays, the one merged into it, their distance). The user's person stays, else
    /// the larger.
    pub fn closest_pair(&self, max_distance: f32) -> Option<(i64, i64, f32)> {
        let mut best: Option<(usize, usize, f32)> = None;
        for (i, a) in self.persons.iter().enumerate().filter(|(_, p)| self.changed.contains(&p.id)) {
            for (j, b) in self.persons.iter().enumerate() {
                if i == j || (a.user_set && b.user_set) || a.unit.len() != b.unit.len() {
                    continue;
                }
                let distance = 1.0 - dot(&a.unit, &b.unit);
                if distance <= max_distance && best.is_none_or(|(_, _, d)| distance < d) {
                    best = Some((i, j, distance));
                }
            }
        }
        let (i, j, distance) = best?;
        let (a, b) = (&self.persons[i], &self.persons[j]);
        let a_stays = a.user_set || (!b.user_set && (a.faces, b.id) >= (b.faces, a.id));
        Some(if a_stays { (a.id, b.id, distance) } else { (b.id, a.id, distance) })
    }

    /// Merges person `from` into `into`.
    pub fn absorb(&mut self, into: i64, from: i64) {
        let Some(at) = self.persons.iter().position(|p| p.id == from) else { return };
        let gone = self.persons.swap_remove(at);
        self.changed.remove(&from);
        if let Some(p) = self.persons.iter_mut().find(|p| p.id == into) {
            p.sum.iter_mut().zip(&gone.sum).for_each(|(s, v)| *s += v);
            p.unit = normalised(&p.sum);
            p.faces += gone.faces;
            self.changed.insert(into);
        }
    }

    /// The persons changed since the last settling are settled now.
    pub fn settled(&mut self) {
        self.changed.clear();
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalised(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return vec![0.0; v.len()];
    }
    v.iter().map(|x| x / norm).collect()
}

/// The persons of every space that clustering has worked in, loaded on first use.
#[derive(Default)]
pub struct PersonIndex {
    spaces: Mutex<HashMap<i64, Arc<Mutex<SpacePersons>>>>,
    /// Counts the spaces forgotten: a load during which one was may hold what the correction changed.
    forgotten: AtomicU64,
}

impl PersonIndex {
    /// The persons of a space, loading them from the database the first time. A load that a correction
    /// overtook is read again; after three such, the last is used once and not kept.
    pub fn space(&self, db: &Db, space_id: i64) -> Result<Arc<Mutex<SpacePersons>>, DbError> {
        for _ in 0..3 {
            let before = {
                let spaces = self.lock();
                if let Some(loaded) = spaces.get(&space_id) {
                    return Ok(loaded.clone());
                }
                self.forgotten.load(Ordering::SeqCst)
            };
            let persons = Arc::new(Mutex::new(Self::load(db, space_id)?));
            let mut spaces = self.lock();
            if self.forgotten.load(Ordering::SeqCst) == before {
                return Ok(spaces.entry(space_id).or_insert(persons).clone());
            }
        }
        Ok(Arc::new(Mutex::new(Self::load(db, space_id)?)))
    }

    fn load(db: &Db, space_id: i64) -> Result<SpacePersons, DbError> {
        let mut persons = SpacePersons::default();
        db.each_placed_face(space_id, |person, user_set, vector| persons.add(person, vector, user_set))?;
        persons.settled();
        tracing::debug!(space = space_id, persons = persons.len(), "persons loaded");
        Ok(persons)
    }

    /// Forgets a space, to be loaded again after a change clustering did not make.
    pub fn forget(&self, space_id: i64) {
        let mut spaces = self.lock();
        spaces.remove(&space_id);
        self.forgotten.fetch_add(1, Ordering::SeqCst);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Arc<Mutex<SpacePersons>>>> {
        self.spaces.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Locks one space's persons (a panic elsewhere leaves them usable: each change is whole before the lock goes).
pub fn lock(persons: &Mutex<SpacePersons>) -> MutexGuard<'_, SpacePersons> {
    persons.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_person_and_the_closest_pair_come_from_centroids() {
        let mut space = SpacePersons::default();
        space.add(1, &[1.0, 0.0, 0.0], false);
        space.add(1, &[0.8, 0.6, 0.0], false);
        space.add(2, &[0.0, 0.0, 1.0], true);
        space.settled();
        let (person, distance) = space.nearest(&[0.9, 0.3, 0.0], None).unwrap();
        assert_eq!(person, 1);
        assert!(distance < 0.01, "near the centroid of both faces: {distance}");
        assert_eq!(space.nearest(&[0.9, 0.3, 0.0], Some(1)).unwrap().0, 2);
        assert_eq!(space.closest_pair(2.0), None, "nothing changed since the last settling");
        space.add(3, &[0.1, 0.0, 1.0], false);
        // 3 is near the user's 2, which stays.
        let (stays, goes, _) = space.closest_pair(0.1).unwrap();
        assert_eq!((stays, goes), (2, 3));
        space.absorb(2, 3);
        assert_eq!(space.len(), 2);
        assert_eq!(space.closest_pair(0.1), None);
    }
}
