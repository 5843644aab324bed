//! Subjects (issue 18): the concepts of the vocabulary by stable id, what the subjects stage found in each item
//! (with the classes it came from, so a new vocabulary needs no new classification), the Subjects album's lists
//! and counts narrowed by the caller's `Reach`, and the user's corrections: hiding a concept, taking an item out
//! of one, choosing its cover.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};

use super::{Db, DbError, Reach};

/// A concept as the Subjects album shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConceptRow {
    pub id: i64,
    pub name: String,
    pub hidden: bool,
    /// Photos of the concept the caller may see.
    pub item_count: i64,
    /// The item shown for it: the user's choice while it is in the concept, else its best scored; with the item's
    /// thumbnail cache key.
    pub cover: Option<(i64, String)>,
}

/// What the subjects stage needs to know about an item.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectSource {
    pub space_id: i64,
    pub hash: Option<String>,
    /// The content the item's thumbnails were rendered from, when they are ready.
    pub thumb_hash: Option<String>,
    /// The content its subjects were found in, when they were.
    pub subjects_hash: Option<String>,
    /// Subjects go with People: one setting, as Synology Photos has it.
    pub enabled: bool,
    /// What tells a screenshot: its name, type, camera (none) and size.
    pub filename: String,
    pub mime: Option<String>,
    pub make: Option<String>,
    pub size: (i64, i64),
}

/// An item whose subjects were found, with what they came from: the classes stored then (JSON), and what tells a
/// screenshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub id: i64,
    pub hash: String,
    pub classes: String,
    pub source: SubjectSource,
}

/// Items that need the subjects stage: read, with thumbnails of their current content, in a space with People
/// (and so Subjects) on, and not yet classified for that content.
const BACKLOG: &str = "SELECT i.id FROM item i JOIN space s ON s.id = i.space_id
     WHERE s.people_enabled = 1 AND i.state = 'ok' AND i.live_photo_id IS NULL AND i.thumb_state = 'ready'
       AND i.hash IS NOT NULL AND i.thumb_hash = i.hash AND (i.subjects_hash IS NULL OR i.subjects_hash <> i.hash)";

/// The condition that an item concept row (alias `row`, its item `i`) counts for the caller: not taken out by the
/// user, and its item in reach.
fn counted(reach: &Reach, row: &str) -> (String, Vec<Value>) {
    let (clause, values) = reach.clause("i");
    (format!("{row}.hidden = 0 AND i.state = 'ok' AND {clause}"), values)
}

impl Db {
    /// The ids of the vocabulary's concepts, in its order, adding those this library has not seen yet.
    pub fn concept_ids(&self, names: &[&str]) -> Result<Vec<i64>, DbError> {
        let conn = self.lock();
        let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO concept (name) VALUES (?1)")?;
        let mut select = conn.prepare_cached("SELECT id FROM concept WHERE name = ?1")?;
        let mut ids = Vec::with_capacity(names.len());
        for name in names {
            insert.execute([name])?;
            ids.push(select.query_row([name], |r| r.get(0))?);
        }
        Ok(ids)
    }

    pub fn subject_source(&self, item_id: i64) -> Result<Option<SubjectSource>, DbError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT i.space_id, i.hash, CASE WHEN i.thumb_state = 'ready' THEN i.thumb_hash END,
                        i.subjects_hash, s.people_enabled, i.filename, i.mime, i.make, coalesce(i.width, 0),
                        coalesce(i.height, 0)
                 FROM item i JOIN space s ON s.id = i.space_id WHERE i.id = ?1 AND i.state = 'ok'",
                [item_id],
                |r| {
                    Ok(SubjectSource {
                        space_id: r.get(0)?,
                        hash: r.get(1)?,
                        thumb_hash: r.get(2)?,
                        subjects_hash: r.get(3)?,
                        enabled: r.get(4)?,
                        filename: r.get(5)?,
                        mime: r.get(6)?,
                        make: r.get(7)?,
                        size: (r.get(8)?, r.get(9)?),
                    })
                },
            )
            .optional()?)
    }

    /// Replaces the subjects of an item with those found in its content `hash` (`classes` is what they came
    /// from, as JSON), unless the file changed meanwhile. What the user took out stays out.
    pub fn store_subjects(
        &self,
        item_id: i64,
        hash: &str,
        classes: &str,
        subjects: &[(i64, f32)],
    ) -> Result<bool, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let current: bool = tx
            .query_row("SELECT 1 FROM item WHERE id = ?1 AND hash = ?2", params![item_id, hash], |_| Ok(true))
            .optional()?
            .unwrap_or(false);
        if !current {
            return Ok(false);
        }
        // Only the subjects it no longer has go: rows that stay are not rewritten, so that condition albums by
        // subject keep their lists (db/members.rs) when an item is classified again with the same result.
        let found: Vec<i64> = subjects.iter().map(|&(concept, _)| concept).collect();
        tx.execute(
            "DELETE FROM item_concept WHERE item_id = ?1 AND hidden = 0
               AND concept_id NOT IN (SELECT value FROM json_each(?2))",
            params![item_id, serde_json::to_string(&found).unwrap_or_else(|_| "[]".into())],
        )?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO item_concept (item_id, concept_id, score) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET score = excluded.score",
            )?;
            for &(concept, score) in subjects {
                insert.execute(params![item_id, concept, score])?;
            }
        }
        tx.execute(
            "UPDATE item SET subjects_hash = ?2, subjects_error = NULL, subject_classes = ?3 WHERE id = ?1",
            params![item_id, hash, classes],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Records that the subjects of an item's content `hash` could not be found, and why; the subjects of its
    /// earlier content go (what the user took out stays out).
    pub fn set_subjects_error(&self, item_id: i64, hash: &str, error: &str) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE item SET subjects_hash = ?2, subjects_error = ?3, subject_classes = NULL WHERE id = ?1 AND hash = ?2",
            params![item_id, hash, error],
        )?;
        if changed > 0 {
            tx.execute("DELETE FROM item_concept WHERE item_id = ?1 AND hidden = 0", [item_id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The fingerprint of the vocabulary the stored subjects were derived with (`ml::concepts::fingerprint`).
    pub fn subject_vocabulary(&self) -> Result<Option<String>, DbError> {
        let conn = self.read();
        Ok(conn.query_row("SELECT fingerprint FROM subject_vocabulary", [], |r| r.get(0)).optional()?)
    }

    pub fn set_subject_vocabulary(&self, fingerprint: &str) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT INTO subject_vocabulary (id, fingerprint) VALUES (1, ?1)
             ON CONFLICT DO UPDATE SET fingerprint = excluded.fingerprint",
            [fingerprint],
        )?;
        Ok(())
    }

    /// Up to `limit` items classified for their current content, with the classes stored, after item `after`.
    pub fn classified_items(&self, after: i64, limit: usize) -> Result<Vec<Classified>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT i.id, i.hash, i.subject_classes, i.space_id, s.people_enabled, i.filename, i.mime, i.make,
                    coalesce(i.width, 0), coalesce(i.height, 0)
             FROM item i JOIN space s ON s.id = i.space_id
             WHERE i.id > ?1 AND i.subjects_hash = i.hash AND i.subject_classes IS NOT NULL
             ORDER BY i.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            let hash: String = r.get(1)?;
            Ok(Classified {
                id: r.get(0)?,
                classes: r.get(2)?,
                source: SubjectSource {
                    space_id: r.get(3)?,
                    hash: Some(hash.clone()),
                    thumb_hash: None,
                    subjects_hash: Some(hash.clone()),
                    enabled: r.get(4)?,
                    filename: r.get(5)?,
                    mime: r.get(6)?,
                    make: r.get(7)?,
                    size: (r.get(8)?, r.get(9)?),
                },
                hash,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Items that still need the subjects stage, in every space with People on (or in one).
    pub fn subject_backlog(&self, space_id: Option<i64>) -> Result<Vec<i64>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("{BACKLOG} AND (?1 IS NULL OR i.space_id = ?1) ORDER BY i.id"))?;
        let rows = stmt.query_map([space_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Photos with thumbnails in the space, and how many of them were classified: the `concept` counter.
    pub fn subject_progress(&self, space_id: i64) -> Result<(u64, u64), DbError> {
        let (total, done): (i64, i64) = self.read().query_row(
            "SELECT count(*), coalesce(sum(i.subjects_hash = i.hash), 0) FROM item i JOIN space s ON s.id = i.space_id
             WHERE i.space_id = ?1 AND s.people_enabled = 1 AND i.state = 'ok' AND i.live_photo_id IS NULL
               AND i.thumb_state = 'ready'",
            [space_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((total as u64, done as u64))
    }

    /// The concepts with photos the caller may see, the most photos first; `id` narrows to one concept.
    pub fn concepts(
        &self,
        reach: &Reach,
        hidden_too: bool,
        id: Option<i64>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ConceptRow>, DbError> {
        let (visible, reach_values) = counted(reach, "ic");
        let (chosen, _) = counted(reach, "x");
        let (best, _) = counted(reach, "ic2");
        // The cover the user chose counts only while it is one of the caller's photos of the subject.
        let sql = format!(
            "SELECT c.id, c.name, coalesce(s.hidden, 0), count(*),
                    coalesce((SELECT x.item_id FROM item_concept x JOIN item i ON i.id = x.item_id
                              WHERE x.concept_id = c.id AND x.item_id = s.cover_item AND {chosen}),
                             (SELECT ic2.item_id FROM item_concept ic2 JOIN item i ON i.id = ic2.item_id
                              WHERE ic2.concept_id = c.id AND {best} ORDER BY ic2.score DESC, ic2.item_id LIMIT 1))
             FROM item_concept ic JOIN item i ON i.id = ic.item_id JOIN concept c ON c.id = ic.concept_id
             LEFT JOIN concept_setting s ON s.space_id = ? AND s.concept_id = c.id
             WHERE {visible} AND (? OR coalesce(s.hidden, 0) = 0) AND (? IS NULL OR c.id = ?)
             GROUP BY c.id ORDER BY count(*) DESC, c.name LIMIT ? OFFSET ?"
        );
        // In the order of the placeholders: the chosen cover's reach, the best one's, the join's space, the list's.
        let mut values: Vec<Value> = reach_values.clone();
        values.extend(reach_values.clone());
        values.push(reach.space_id.into());
        values.extend(reach_values);
        values.extend([Value::from(hidden_too), Value::from(id), Value::from(id), limit.into(), offset.into()]);
        let rows: Vec<(i64, String, bool, i64, Option<i64>)> = {
            let conn = self.read();
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let conn = self.read();
        let mut key = conn.prepare_cached("SELECT id || '_' || indexed_at FROM item WHERE id = ?1")?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, name, hidden, item_count, cover) in rows {
            let cover = match cover {
                Some(item) => key.query_row([item], |r| r.get::<_, String>(0)).optional()?.map(|k| (item, k)),
                None => None,
            };
            out.push(ConceptRow { id, name, hidden, item_count, cover });
        }
        Ok(out)
    }

    pub fn concept_count(&self, reach: &Reach, hidden_too: bool) -> Result<i64, DbError> {
        let (visible, reach_values) = counted(reach, "ic");
        // In the order of the placeholders: the join's space, then the reach, then the flag.
        let mut values = vec![Value::from(reach.space_id)];
        values.extend(reach_values);
        values.push(hidden_too.into());
        Ok(self.read().query_row(
            &format!(
                "SELECT count(DISTINCT ic.concept_id) FROM item_concept ic JOIN item i ON i.id = ic.item_id
                 LEFT JOIN concept_setting s ON s.space_id = ? AND s.concept_id = ic.concept_id
                 WHERE {visible} AND (? OR coalesce(s.hidden, 0) = 0)"
            ),
            params_from_iter(values),
            |r| r.get(0),
        )?)
    }

    /// Hides a concept from the space's Subjects album, or shows it again.
    pub fn set_concept_hidden(&self, space_id: i64, concept: i64, hidden: bool) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT INTO concept_setting (space_id, concept_id, hidden) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET hidden = excluded.hidden",
            params![space_id, concept, hidden],
        )?;
        Ok(())
    }

    pub fn set_concept_cover(&self, space_id: i64, concept: i64, item: i64) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT INTO concept_setting (space_id, concept_id, cover_item) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET cover_item = excluded.cover_item",
            params![space_id, concept, item],
        )?;
        Ok(())
    }

    /// Takes items out of a concept (and of the concepts below it, which a wrong subject also was): they stay out
    /// when the item is classified again. Returns how many rows changed.
    pub fn hide_items_from_concept(&self, concept: i64, below: &[i64], items: &[i64]) -> Result<usize, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut changed = 0;
        {
            let mut hide =
                tx.prepare_cached("UPDATE item_concept SET hidden = 1 WHERE item_id = ?1 AND concept_id = ?2")?;
            for &item in items {
                for &c in std::iter::once(&concept).chain(below) {
                    changed += hide.execute(params![item, c])?;
                }
            }
        }
        tx.commit()?;
        Ok(changed)
    }
}
