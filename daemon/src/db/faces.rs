//! Face rows (issue 15): the faces the faces stage found in an item, with their embeddings, which content of the
//! item they were found in, and the writes clustering makes. Persons as users see them are in `db/people.rs`.

use rusqlite::{params, OptionalExtension, Row};

use super::{now, Db, DbError};

/// What the faces stage needs to know about an item.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceSource {
    pub item_id: i64,
    pub space_id: i64,
    pub hash: Option<String>,
    /// The content the item's thumbnails were rendered from, when they are ready.
    pub thumb_hash: Option<String>,
    /// The content its faces were found in, when they were.
    pub faces_hash: Option<String>,
    pub people_enabled: bool,
}

/// A face to store, its box and landmarks as fractions of the upright photo's width and height.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFace {
    pub bbox: [f32; 4],
    pub landmarks: [[f32; 2]; 5],
    pub score: f32,
    /// Its width in pixels of the image it was found in.
    pub size_px: f32,
    pub embedding: Vec<f32>,
}

/// A stored face as clustering sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterFace {
    pub id: i64,
    pub score: f32,
    pub size_px: f32,
    pub person: Option<i64>,
    /// The user put it where it is (in a person, or in none): clustering leaves it there.
    pub by_user: bool,
}

fn cluster_face(r: &Row) -> rusqlite::Result<ClusterFace> {
    Ok(ClusterFace {
        id: r.get(0)?,
        score: r.get::<_, f64>(1)? as f32,
        size_px: r.get::<_, f64>(2)? as f32,
        person: r.get(3)?,
        by_user: r.get::<_, String>(4)? == "user",
    })
}

const CLUSTER_FACE: &str = "SELECT f.id, f.score, f.size_px, f.person_id, f.assigned_by FROM face f";

/// How far the faces stage has come in the spaces it runs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FaceProgress {
    /// Photos and videos with a thumbnail, in spaces with People on.
    pub total: u64,
    /// Of those, the ones whose faces were looked for (found or not).
    pub done: u64,
}

/// Where People stands in one space, for `photosd people`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeopleSummary {
    pub space: super::Space,
    pub enabled: bool,
    pub photos: FaceProgress,
    pub faces: u64,
    pub persons: u64,
}

pub fn embedding_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn embedding_from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Items that need the faces stage: read, with thumbnails of their current content, in a space with People on,
/// and not yet looked at for that content.
const BACKLOG: &str = "SELECT i.id FROM item i JOIN space s ON s.id = i.space_id
     WHERE s.people_enabled = 1 AND i.state = 'ok' AND i.live_photo_id IS NULL AND i.thumb_state = 'ready'
       AND i.hash IS NOT NULL AND i.thumb_hash = i.hash AND (i.faces_hash IS NULL OR i.faces_hash <> i.hash)";

impl Db {
    pub fn face_source(&self, item_id: i64) -> Result<Option<FaceSource>, DbError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT i.id, i.space_id, i.hash, CASE WHEN i.thumb_state = 'ready' THEN i.thumb_hash END,
                        i.faces_hash, s.people_enabled
                 FROM item i JOIN space s ON s.id = i.space_id WHERE i.id = ?1 AND i.state = 'ok'",
                [item_id],
                |r| {
                    Ok(FaceSource {
                        item_id: r.get(0)?,
                        space_id: r.get(1)?,
                        hash: r.get(2)?,
                        thumb_hash: r.get(3)?,
                        faces_hash: r.get(4)?,
                        people_enabled: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// Replaces the faces of an item with those found in its content `hash`, unless the file changed meanwhile
    /// (then `None`: the job for the new content stores its own). Returns the new faces' ids.
    pub fn store_faces(&self, item_id: i64, hash: &str, faces: &[NewFace]) -> Result<Option<Vec<i64>>, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let space: Option<i64> = tx
            .query_row("SELECT space_id FROM item WHERE id = ?1 AND hash = ?2", params![item_id, hash], |r| r.get(0))
            .optional()?;
        let Some(space) = space else { return Ok(None) };
        tx.execute("DELETE FROM face WHERE item_id = ?1", [item_id])?;
        let mut ids = Vec::with_capacity(faces.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO face (item_id, space_id, x, y, width, height, landmarks, score, size_px, embedding)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for f in faces {
                let [x, y, w, h] = f.bbox;
                let landmarks = serde_json::to_string(&f.landmarks).unwrap_or_else(|_| "[]".into());
                insert.execute(params![
                    item_id,
                    space,
                    x,
                    y,
                    w,
                    h,
                    landmarks,
                    f.score,
                    f.size_px,
                    embedding_blob(&f.embedding)
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.execute("UPDATE item SET faces_hash = ?2, faces_error = NULL WHERE id = ?1", params![item_id, hash])?;
        tx.commit()?;
        Ok(Some(ids))
    }

    /// Records that the faces of an item's content `hash` could not be looked for, and why.
    pub fn set_faces_error(&self, item_id: i64, hash: &str, error: &str) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE item SET faces_hash = ?2, faces_error = ?3 WHERE id = ?1 AND hash = ?2",
            params![item_id, hash, error],
        )?;
        Ok(())
    }

    /// Every face of a space with its embedding, oldest first: what the nearest-neighbour index holds.
    pub fn face_vectors(&self, space_id: i64) -> Result<Vec<(i64, Vec<f32>)>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT id, embedding FROM face WHERE space_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([space_id], |r| Ok((r.get(0)?, embedding_from_blob(&r.get::<_, Vec<u8>>(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Hands every face of a space that is in a person to `each`: (person, whether the user set it, embedding),
    /// what the persons' centroids are made of. One row at a time: 200,000 embeddings at once would be 100 MB.
    pub fn each_placed_face(&self, space_id: i64, mut each: impl FnMut(i64, bool, &[f32])) -> Result<(), DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT f.person_id, p.user_set, f.embedding FROM face f JOIN person p ON p.id = f.person_id
             WHERE f.space_id = ?1 ORDER BY f.id",
        )?;
        let mut rows = stmt.query([space_id])?;
        while let Some(row) = rows.next()? {
            each(row.get(0)?, row.get(1)?, &embedding_from_blob(&row.get::<_, Vec<u8>>(2)?));
        }
        Ok(())
    }

    /// Clustering merges person `from` (its own, never the user's) into `into`.
    pub fn absorb_person(&self, into: i64, from: i64) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let moved = tx.execute(
            "UPDATE face SET person_id = ?1 WHERE person_id = ?2
               AND EXISTS (SELECT 1 FROM person WHERE id = ?2 AND user_set = 0)",
            params![into, from],
        )?;
        tx.execute("DELETE FROM person WHERE id = ?1 AND user_set = 0", [from])?;
        tracing::trace!(into, from, moved, "person absorbed");
        tx.commit()?;
        Ok(())
    }

    /// The faces among `ids` that still exist, as clustering sees them.
    pub fn cluster_faces(&self, ids: &[i64]) -> Result<Vec<ClusterFace>, DbError> {
        // A reader: the faces were committed before, and the writer is busy with imports and thumbnails.
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("{CLUSTER_FACE} WHERE f.id = ?1"))?;
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(face) = stmt.query_row([id], cluster_face).optional()? {
                found.push(face);
            }
        }
        Ok(found)
    }

    /// Every face of a space as clustering sees it, oldest first.
    pub fn space_cluster_faces(&self, space_id: i64) -> Result<Vec<ClusterFace>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("{CLUSTER_FACE} WHERE f.space_id = ?1 ORDER BY f.id"))?;
        let rows = stmt.query_map([space_id], cluster_face)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A person that clustering starts, for faces of `space_id`.
    pub fn start_person(&self, space_id: i64, faces: &[i64]) -> Result<i64, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO person (space_id, created_at) VALUES (?1, ?2)", params![space_id, now()])?;
        let person = tx.last_insert_rowid();
        assign_auto_tx(&tx, faces, person)?;
        tx.commit()?;
        Ok(person)
    }

    /// Clustering puts faces in a person; a face the user placed stays where the user put it.
    pub fn assign_faces(&self, faces: &[i64], person: i64) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        assign_auto_tx(&tx, faces, person)?;
        tx.commit()?;
        Ok(())
    }

    /// Undoes clustering's own work in a space before a full re-cluster: its faces leave the persons the user
    /// never touched, and those persons go. What the user named, merged, hid or corrected stays.
    pub fn reset_clustering(&self, space_id: i64) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE face SET person_id = NULL WHERE space_id = ?1 AND assigned_by = 'auto'
               AND person_id IN (SELECT id FROM person WHERE space_id = ?1 AND user_set = 0)",
            [space_id],
        )?;
        tx.execute("DELETE FROM person WHERE space_id = ?1 AND user_set = 0", [space_id])?;
        tx.commit()?;
        Ok(())
    }

    /// Items that still need the faces stage, in every space with People on (or in one).
    pub fn face_backlog(&self, space_id: Option<i64>) -> Result<Vec<i64>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("{BACKLOG} AND (?1 IS NULL OR i.space_id = ?1) ORDER BY i.id"))?;
        let rows = stmt.query_map([space_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn face_progress(&self, space_id: i64) -> Result<FaceProgress, DbError> {
        let (total, done): (i64, i64) = self.read().query_row(
            "SELECT count(*), coalesce(sum(i.faces_hash = i.hash), 0) FROM item i JOIN space s ON s.id = i.space_id
             WHERE i.space_id = ?1 AND s.people_enabled = 1 AND i.state = 'ok' AND i.live_photo_id IS NULL
               AND i.thumb_state = 'ready'",
            [space_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(FaceProgress { total: total as u64, done: done as u64 })
    }

    /// Every space's People figures (a space with People off counts no photo to look at).
    pub fn people_summaries(&self) -> Result<Vec<PeopleSummary>, DbError> {
        let rows: Vec<(super::Space, bool, u64, u64)> = {
            let conn = self.read();
            let mut stmt = conn.prepare(
                "SELECT s.id, s.kind, s.owner_uid, s.owner_name, s.root, s.people_enabled,
                        (SELECT count(*) FROM face f WHERE f.space_id = s.id),
                        (SELECT count(*) FROM person p WHERE p.space_id = s.id AND p.face_count > 0)
                 FROM space s ORDER BY s.id",
            )?;
            let rows = stmt.query_map([], |r| {
                let space = super::spaces::space_from_row(r)?;
                Ok((space, r.get(5)?, r.get::<_, i64>(6)? as u64, r.get::<_, i64>(7)? as u64))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let mut summaries = Vec::new();
        for (space, enabled, faces, persons) in rows {
            let photos = self.face_progress(space.id)?;
            summaries.push(PeopleSummary { space, enabled, photos, faces, persons });
        }
        Ok(summaries)
    }

    /// The spaces with People on.
    pub fn spaces_with_people(&self) -> Result<Vec<i64>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT id FROM space WHERE people_enabled = 1 ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    pub fn people_enabled(&self, space_id: i64) -> Result<bool, DbError> {
        Ok(self.read().query_row("SELECT people_enabled FROM space WHERE id = ?1", [space_id], |r| r.get(0))?)
    }

    pub fn set_people_enabled(&self, space_id: i64, enabled: bool) -> Result<(), DbError> {
        self.lock().execute("UPDATE space SET people_enabled = ?2 WHERE id = ?1", params![space_id, enabled])?;
        Ok(())
    }
}

fn assign_auto_tx(tx: &rusqlite::Transaction, faces: &[i64], person: i64) -> Result<(), DbError> {
    let mut stmt = tx.prepare_cached("UPDATE face SET person_id = ?2 WHERE id = ?1 AND assigned_by = 'auto'")?;
    for &face in faces {
        stmt.execute(params![face, person])?;
    }
    Ok(())
}
