//! Grouping faces into persons. A new face joins the person whose centroid (the mean of its faces) is nearest, if
//! within `join_distance`; else a clear face (score and size high enough) starts a person of its own, and any
//! other face waits, out of every person. A new photo joins an existing person without touching the rest of the
//! library. Once the library's queue has drained (`settle`), persons whose centroids came within `merge_distance`
//! are merged, closest first: two look-alikes that each started a person early are told apart by then, as each
//! person has gathered its own faces. What the user placed, and every person the user named, hid, merged or
//! corrected, stays: clustering never merges two of the user's persons, nor moves a face the user placed,
//! through a full re-cluster too.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::{ClusterFace, Db, DbError};
use crate::service::person_index::{self, PersonIndex};

/// The thresholds, tuned on the labelled faces of the corpus (`tests/tests/people.rs` prints the figures).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Cosine distance (1 − cos) from a face to a person's centroid, at most, to join it.
    pub join_distance: f32,
    /// Cosine distance between two persons' centroids, at most, to merge them when settling.
    pub merge_distance: f32,
    /// A face starts a person only if its detection score is at least this...
    pub min_score: f32,
    /// ...and it is at least this wide, in pixels of the image it was found in.
    pub min_size_px: f32,
}

impl Default for Tuning {
    fn default() -> Tuning {
        // Simulated on the corpus' faces in 101 orders of arrival, joins from 0.42 to 0.50 and merges from 0.55 to
        // 0.60 all give B-cubed precision 1.0 and recall ≥ 0.939: the middle of those ranges.
        Tuning { join_distance: 0.46, merge_distance: 0.57, min_score: 0.8, min_size_px: 40.0 }
    }
}

/// What becomes of one face.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decision {
    Join(i64),
    Start,
    Wait,
}

impl Tuning {
    /// `nearest`: the nearest person's centroid and its distance, if any.
    fn decide(&self, face: &ClusterFace, nearest: Option<(i64, f32)>) -> Decision {
        match nearest {
            Some((person, distance)) if distance <= self.join_distance => Decision::Join(person),
            _ if face.score >= self.min_score && face.size_px >= self.min_size_px => Decision::Start,
            _ => Decision::Wait,
        }
    }
}

/// Places faces in persons, one space at a time.
pub struct Clustering {
    pub tuning: Tuning,
    index: PersonIndex,
    /// One placement at a time: a face must see the person the face before it started.
    placing: Mutex<()>,
}

/// What a full re-cluster did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Reclustered {
    pub faces: usize,
    pub placed: usize,
    pub persons: usize,
}

impl Clustering {
    pub fn new(tuning: Tuning) -> Clustering {
        Clustering { tuning, index: PersonIndex::default(), placing: Mutex::new(()) }
    }

    /// Places new faces of a space (ids and embeddings, as stored). Blocking: call it off the async threads.
    pub fn add(&self, db: &Db, space_id: i64, faces: &[(i64, Vec<f32>)]) -> Result<(), DbError> {
        let _one_at_a_time = self.placing.lock().unwrap_or_else(|p| p.into_inner());
        for (id, vector) in faces {
            let Some(face) = db.cluster_faces(&[*id])?.pop() else { continue };
            self.place(db, space_id, &face, vector)?;
        }
        Ok(())
    }

    /// Places one face that no one placed yet; answers what became of it (`Wait` for one placed before).
    fn place(&self, db: &Db, space_id: i64, face: &ClusterFace, vector: &[f32]) -> Result<Decision, DbError> {
        if face.person.is_some() || face.by_user {
            return Ok(Decision::Wait);
        }
        let space = self.index.space(db, space_id)?;
        let mut persons = person_index::lock(&space);
        let decision = self.tuning.decide(face, persons.nearest(vector, None));
        match decision {
            Decision::Join(person) => {
                db.assign_faces(&[face.id], person)?;
                persons.add(person, vector, false);
            }
            Decision::Start => {
                let person = db.start_person(space_id, &[face.id])?;
                persons.add(person, vector, false);
            }
            Decision::Wait => {}
        }
        Ok(decision)
    }

    /// Merges the persons of a space that came within `merge_distance` of each other, closest first; answers
    /// how many merged. Run when the library's queue has drained (no import, thumbnail or faces job left), and
    /// after a re-cluster.
    pub fn settle(&self, db: &Db, space_id: i64) -> Result<usize, DbError> {
        let _one_at_a_time = self.placing.lock().unwrap_or_else(|p| p.into_inner());
        let space = self.index.space(db, space_id)?;
        let mut persons = person_index::lock(&space);
        let mut merged = 0;
        while let Some((into, from, distance)) = persons.closest_pair(self.tuning.merge_distance) {
            tracing::debug!(space = space_id, into, from, distance, "persons merged");
            db.absorb_person(into, from)?;
            persons.absorb(into, from);
            merged += 1;
        }
        persons.settled();
        Ok(merged)
    }

    /// Forgets what it holds of a space after a change it did not make (a user's correction).
    pub fn forget(&self, space_id: i64) {
        self.index.forget(space_id);
    }

    /// Loads a space's persons now, so that the next face placed there does not wait for them (a third of a
    /// second at 200,000 faces). Blocking: call it off the async threads.
    pub fn warm(&self, db: &Db, space_id: i64) -> Result<(), DbError> {
        self.index.space(db, space_id).map(drop)
    }

    /// Groups every face of a space again, from what the user decided: clustering's own persons are undone, then
    /// each face is placed in the order it was found, as if the library were indexed anew, and the space settles.
    pub fn recluster(&self, db: &Db, space_id: i64) -> Result<Reclustered, DbError> {
        {
            let _one_at_a_time = self.placing.lock().unwrap_or_else(|p| p.into_inner());
            db.reset_clustering(space_id)?;
            self.index.forget(space_id);
        }
        let vector_of: HashMap<i64, Vec<f32>> = db.face_vectors(space_id)?.into_iter().collect();
        let faces = db.space_cluster_faces(space_id)?;
        let mut done = Reclustered { faces: faces.len(), ..Reclustered::default() };
        {
            let _one_at_a_time = self.placing.lock().unwrap_or_else(|p| p.into_inner());
            for face in &faces {
                if face.person.is_some() {
                    done.placed += 1; // kept in a person of the user's
                    continue;
                }
                let Some(vector) = vector_of.get(&face.id) else { continue };
                match self.place(db, space_id, face, vector)? {
                    Decision::Start => (done.persons, done.placed) = (done.persons + 1, done.placed + 1),
                    Decision::Join(_) => done.placed += 1,
                    Decision::Wait => {}
                }
            }
        }
        // Merging moves faces between persons: as many stay placed, in fewer persons.
        done.persons -= self.settle(db, space_id)?.min(done.persons);
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(score: f32, size_px: f32) -> ClusterFace {
        ClusterFace { id: 1, score, size_px, person: None, by_user: false }
    }

    #[test]
    fn a_face_joins_a_near_person_or_starts_one_only_when_clear() {
        let t = Tuning { join_distance: 0.5, merge_distance: 0.6, min_score: 0.8, min_size_px: 40.0 };
        assert_eq!(t.decide(&face(0.9, 100.0), Some((7, 0.3))), Decision::Join(7));
        assert_eq!(t.decide(&face(0.5, 10.0), Some((7, 0.5))), Decision::Join(7), "unclear faces join too");
        assert_eq!(t.decide(&face(0.9, 100.0), Some((7, 0.55))), Decision::Start, "too far: a person of its own");
        assert_eq!(t.decide(&face(0.9, 100.0), None), Decision::Start);
        assert_eq!(t.decide(&face(0.7, 100.0), None), Decision::Wait, "an unclear face starts nobody");
        assert_eq!(t.decide(&face(0.9, 30.0), Some((7, 0.9))), Decision::Wait, "a small face starts nobody");
    }
}
