//! Persons as users see them (issue 15): lists and counts narrowed by the caller's `Reach` (a person shows only
//! while one of its photos is in reach, and counts only those), the faces of items, and the user's corrections:
//! naming, hiding, merging, moving faces. Every correction marks the persons it touches `user_set`, which a
//! re-cluster never undoes.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Transaction};

use super::{now, Db, DbError, Reach};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub hidden: bool,
    /// Photos of the person the caller may see.
    pub item_count: i64,
    /// The face shown for the person: the user's choice, else its clearest.
    pub cover: Option<ItemFace>,
}

/// A face in an item, with its person.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemFace {
    pub id: i64,
    pub item_id: i64,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    /// Whether its person is hidden.
    pub hidden: bool,
    /// x, y, width, height as fractions of the upright photo.
    pub bbox: [f64; 4],
    pub score: f64,
    /// The item's thumbnail cache key (as `Browse.Item` gives it).
    pub cache_key: String,
    /// The upright photo's width / height, to crop the face from its thumbnail.
    pub image_ratio: f64,
}

const ITEM_FACE: &str = "SELECT f.id, f.item_id, f.person_id, p.name, coalesce(p.hidden, 0), f.x, f.y, f.width,
        f.height, f.score, i.id || '_' || i.indexed_at,
        CAST(coalesce(i.width, 1) AS REAL) / max(coalesce(i.height, 1), 1)
     FROM face f JOIN item i ON i.id = f.item_id LEFT JOIN person p ON p.id = f.person_id";

fn item_face(r: &rusqlite::Row) -> rusqlite::Result<ItemFace> {
    Ok(ItemFace {
        id: r.get(0)?,
        item_id: r.get(1)?,
        person_id: r.get(2)?,
        person_name: r.get(3)?,
        hidden: r.get(4)?,
        bbox: [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
        score: r.get(9)?,
        cache_key: r.get(10)?,
        image_ratio: r.get(11)?,
    })
}

/// The condition that a person (alias `p`) has a photo in reach, and its values. The whole space needs no look at
/// the photos: a person has faces (kept by triggers), and a photo's faces go with it when it is purged.
fn in_reach(reach: &Reach) -> (String, Vec<Value>) {
    if reach.is_whole() {
        return ("p.face_count > 0".into(), Vec::new());
    }
    let (clause, values) = reach.clause("i");
    (
        format!("EXISTS (SELECT 1 FROM face f JOIN item i ON i.id = f.item_id WHERE f.person_id = p.id AND {clause})"),
        values,
    )
}

impl Db {
    /// The persons of a space the caller sees, named ones first, then by how many faces they have.
    pub fn persons(&self, reach: &Reach, hidden_too: bool, offset: i64, limit: i64) -> Result<Vec<PersonRow>, DbError> {
        let (visible, mut values) = in_reach(reach);
        let sql = format!(
            "SELECT p.id FROM person p WHERE p.space_id = ? AND p.face_count > 0 AND (? OR p.hidden = 0) AND {visible}
             ORDER BY p.name = '', p.face_count DESC, p.id LIMIT ? OFFSET ?"
        );
        values.splice(0..0, [Value::from(reach.space_id), Value::from(hidden_too)]);
        values.extend([Value::from(limit), Value::from(offset)]);
        if !reach.is_whole() {
            let ids: Vec<i64> = {
                let conn = self.read();
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut persons = Vec::with_capacity(ids.len());
            for id in ids {
                persons.extend(self.person(reach, id)?);
            }
            return Ok(persons);
        }
        // The whole space: the page in one statement (chosen first, so that only its persons are counted), its
        // counts and covers from the indexes on faces alone.
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.name, p.hidden,
                    (SELECT count(DISTINCT item_id) FROM face WHERE person_id = p.id),
                    coalesce((SELECT id FROM face WHERE id = p.cover_face AND person_id = p.id),
                             (SELECT id FROM face WHERE person_id = p.id
                              ORDER BY score * min(size_px, 160) DESC LIMIT 1))
             FROM (SELECT id, name, hidden, cover_face, face_count FROM person
                   WHERE space_id = ?1 AND face_count > 0 AND (?2 OR hidden = 0)
                   ORDER BY name = '', face_count DESC, id LIMIT ?3 OFFSET ?4) p
             ORDER BY p.name = '', p.face_count DESC, p.id",
        )?;
        let rows = stmt.query_map(params![reach.space_id, hidden_too, limit, offset], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, Option<i64>>(4)?))
        })?;
        let mut cover_of = conn.prepare_cached(&format!("{ITEM_FACE} WHERE f.id = ?1"))?;
        let mut persons = Vec::new();
        for row in rows {
            let (id, name, hidden, item_count, cover) = row?;
            let cover = match cover {
                Some(face) => cover_of.query_row([face], item_face).optional()?,
                None => None,
            };
            persons.push(PersonRow { id, name, hidden, item_count, cover });
        }
        Ok(persons)
    }

    pub fn person_count(&self, reach: &Reach, hidden_too: bool) -> Result<i64, DbError> {
        let (visible, mut values) = in_reach(reach);
        values.splice(0..0, [Value::from(reach.space_id), Value::from(hidden_too)]);
        Ok(self.read().query_row(
            &format!(
                "SELECT count(*) FROM person p WHERE p.space_id = ? AND p.face_count > 0 AND (? OR p.hidden = 0)
                 AND {visible}"
            ),
            params_from_iter(values),
            |r| r.get(0),
        )?)
    }

    /// One person, if it has a photo in reach.
    pub fn person(&self, reach: &Reach, id: i64) -> Result<Option<PersonRow>, DbError> {
        let conn = self.read();
        let (clause, values) = reach.clause("i");
        let row: Option<(String, bool, Option<i64>)> = conn
            .query_row(
                "SELECT name, hidden, cover_face FROM person WHERE id = ?1 AND space_id = ?2",
                params![id, reach.space_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((name, hidden, cover_face)) = row else { return Ok(None) };
        let with_id = |first: i64| std::iter::once(Value::from(first)).chain(values.iter().cloned());
        // The whole space counts from the faces alone (the covering index `face_person`), 15 times faster than
        // looking at each photo; a part of it (the Shared Space's folder rules) must look.
        let item_count: i64 = if reach.is_whole() {
            conn.prepare_cached("SELECT count(DISTINCT item_id) FROM face WHERE person_id = ?1")?
                .query_row([id], |r| r.get(0))?
        } else {
            conn.query_row(
                &format!(
                    "SELECT count(DISTINCT f.item_id) FROM face f JOIN item i ON i.id = f.item_id
                     WHERE f.person_id = ? AND {clause}"
                ),
                params_from_iter(with_id(id)),
                |r| r.get(0),
            )?
        };
        if item_count == 0 {
            return Ok(None);
        }
        // The user's cover while it is still this person's and in reach, else the clearest large face (read from
        // the index `face_cover`, whose expression this ORDER BY repeats).
        let users_cover = match cover_face {
            Some(face) => conn
                .query_row(
                    &format!("{ITEM_FACE} WHERE f.id = ? AND f.person_id = ? AND {clause}"),
                    params_from_iter(std::iter::once(Value::from(face)).chain(with_id(id))),
                    item_face,
                )
                .optional()?,
            None => None,
        };
        let cover = match users_cover {
            Some(cover) => Some(cover),
            None => conn
                .query_row(
                    &format!(
                        "{ITEM_FACE} WHERE f.person_id = ? AND {clause} ORDER BY f.score * min(f.size_px, 160) DESC LIMIT 1"
                    ),
                    params_from_iter(with_id(id)),
                    item_face,
                )
                .optional()?,
        };
        Ok(Some(PersonRow { id, name, hidden, item_count, cover }))
    }

    /// The faces of items, each item's in reading order (left to right).
    pub fn item_faces(&self, item_ids: &[i64]) -> Result<Vec<ItemFace>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("{ITEM_FACE} WHERE f.item_id = ?1 ORDER BY f.x, f.id"))?;
        let mut faces = Vec::new();
        for &item in item_ids {
            let rows = stmt.query_map([item], item_face)?;
            for face in rows {
                faces.push(face?);
            }
        }
        Ok(faces)
    }

    /// Faces by id (absent ones are left out).
    pub fn faces_by_id(&self, ids: &[i64]) -> Result<Vec<ItemFace>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("{ITEM_FACE} WHERE f.id = ?1"))?;
        let mut faces = Vec::new();
        for &id in ids {
            faces.extend(stmt.query_row([id], item_face).optional()?);
        }
        Ok(faces)
    }

    /// Persons of a space whose name holds `text` (case-insensitive).
    pub fn persons_named(&self, space_id: i64, text: &str) -> Result<Vec<(i64, String)>, DbError> {
        let like = super::query::contains_pattern(text);
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name FROM person WHERE space_id = ?1 AND name <> '' AND name LIKE ?2 ESCAPE '\\'
               AND face_count > 0 ORDER BY face_count DESC LIMIT 50",
        )?;
        let rows = stmt.query_map(params![space_id, like], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The faces of a person in some items.
    pub fn person_faces_in(&self, person: i64, item_ids: &[i64]) -> Result<Vec<i64>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT id FROM face WHERE person_id = ?1 AND item_id = ?2")?;
        let mut faces = Vec::new();
        for &item in item_ids {
            for id in stmt.query_map(params![person, item], |r| r.get(0))? {
                faces.push(id?);
            }
        }
        Ok(faces)
    }

    /// The user names or hides a person.
    pub fn set_person(&self, id: i64, name: Option<&str>, hidden: Option<bool>) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE person SET name = coalesce(?2, name), hidden = coalesce(?3, hidden), user_set = 1 WHERE id = ?1",
            params![id, name, hidden],
        )?;
        Ok(())
    }

    pub fn set_person_cover(&self, id: i64, face: i64) -> Result<(), DbError> {
        self.lock().execute("UPDATE person SET cover_face = ?2, user_set = 1 WHERE id = ?1", params![id, face])?;
        Ok(())
    }

    /// The user merges persons into `target`, which keeps its name (or takes the first name among them).
    pub fn merge_persons(&self, target: i64, sources: &[i64]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for &source in sources.iter().filter(|&&s| s != target) {
            tx.execute(
                "UPDATE person SET name = (SELECT name FROM person WHERE id = ?2) WHERE id = ?1 AND name = ''",
                params![target, source],
            )?;
            tx.execute("UPDATE face SET person_id = ?1 WHERE person_id = ?2", params![target, source])?;
            tx.execute("DELETE FROM person WHERE id = ?1", [source])?;
        }
        tx.execute("UPDATE person SET user_set = 1 WHERE id = ?1", [target])?;
        tx.commit()?;
        Ok(())
    }

    /// The user says who faces are: `to` a person (or a new one with `new_name`), or nobody (`None`). The persons
    /// they leave are corrected too, so a re-cluster does not put the faces back.
    pub fn place_faces(
        &self,
        space_id: i64,
        faces: &[i64],
        to: Option<i64>,
        new_name: Option<&str>,
    ) -> Result<Option<i64>, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let to = match (to, new_name) {
            (Some(person), _) => Some(person),
            (None, Some(name)) => Some(new_user_person_tx(&tx, space_id, name)?),
            (None, None) => None,
        };
        for &face in faces {
            tx.execute("UPDATE person SET user_set = 1 WHERE id = (SELECT person_id FROM face WHERE id = ?1)", [face])?;
            tx.execute("UPDATE face SET person_id = ?2, assigned_by = 'user' WHERE id = ?1", params![face, to])?;
        }
        if let Some(person) = to {
            tx.execute("UPDATE person SET user_set = 1 WHERE id = ?1", [person])?;
        }
        tx.commit()?;
        Ok(to)
    }
}

fn new_user_person_tx(tx: &Transaction, space_id: i64, name: &str) -> Result<i64, DbError> {
    tx.execute(
        "INSERT INTO person (space_id, name, user_set, created_at) VALUES (?1, ?2, 1, ?3)",
        params![space_id, name, now()],
    )?;
    Ok(tx.last_insert_rowid())
}
