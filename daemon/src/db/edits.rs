//! User edits of items (description, rating, date taken, position): stored in `item_edit` and applied to the item rows,
//! then applied again whenever indexing re-reads the file, so the file's own values never undo an edit.

use rusqlite::{params, Transaction};

use super::{now, Db, DbError};

/// The fields an edit sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemEdit {
    pub description: Option<String>,
    pub rating: Option<i64>,
    /// Seconds, the local time read as if UTC (as `item.taken_ts`).
    pub taken_ts: Option<i64>,
    /// `Some(Some((latitude, longitude)))` sets the position, `Some(None)` clears it.
    pub position: Option<Option<(f64, f64)>>,
}

/// Copies an item's stored edits onto its row (after the indexer has written the file's values).
pub(crate) fn apply_edits_tx(tx: &Transaction, item_id: i64) -> Result<(), DbError> {
    tx.execute(
        "UPDATE item SET
            description = coalesce((SELECT description FROM item_edit WHERE item_id = ?1), description),
            rating = coalesce((SELECT rating FROM item_edit WHERE item_id = ?1), rating),
            taken_ts = coalesce((SELECT taken_ts FROM item_edit WHERE item_id = ?1), taken_ts),
            taken_local = coalesce((SELECT strftime('%Y-%m-%dT%H:%M:%S', taken_ts, 'unixepoch') FROM item_edit
                                    WHERE item_id = ?1 AND taken_ts IS NOT NULL), taken_local),
            taken_source = coalesce((SELECT 'user' FROM item_edit WHERE item_id = ?1 AND taken_ts IS NOT NULL), taken_source)
         WHERE id = ?1",
        [item_id],
    )?;
    // A position set or cleared by hand replaces the file's (the place follows: migration 0015's trigger).
    tx.execute(
        "UPDATE item SET latitude = e.latitude, longitude = e.longitude
         FROM item_edit e WHERE e.item_id = item.id AND item.id = ?1 AND e.position_set = 1",
        [item_id],
    )?;
    Ok(())
}

impl Db {
    pub fn edit_items(&self, item_ids: &[i64], edit: &ItemEdit) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for id in item_ids {
            tx.execute(
                "INSERT INTO item_edit (item_id, description, rating, taken_ts, updated_at, position_set, latitude,
                                        longitude)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (item_id) DO UPDATE SET
                    description = coalesce(excluded.description, description),
                    rating = coalesce(excluded.rating, rating),
                    taken_ts = coalesce(excluded.taken_ts, taken_ts),
                    updated_at = excluded.updated_at,
                    latitude = CASE WHEN excluded.position_set THEN excluded.latitude ELSE latitude END,
                    longitude = CASE WHEN excluded.position_set THEN excluded.longitude ELSE longitude END,
                    position_set = max(position_set, excluded.position_set)",
                params![
                    id,
                    edit.description,
                    edit.rating,
                    edit.taken_ts,
                    now(),
                    edit.position.is_some(),
                    edit.position.flatten().map(|p| p.0),
                    edit.position.flatten().map(|p| p.1)
                ],
            )?;
            apply_edits_tx(&tx, *id)?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl Db {
    /// What an item's sidecar should say: its description, rating, tags, and its date when a user set it.
    pub fn sidecar_values(&self, item_id: i64) -> Result<crate::domain::SidecarValues, DbError> {
        let conn = self.lock();
        let (description, rating, taken_local, latitude, longitude) = conn.query_row(
            "SELECT i.description, i.rating,
                    CASE WHEN e.taken_ts IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%S', e.taken_ts, 'unixepoch') END,
                    CASE WHEN e.position_set THEN e.latitude END, CASE WHEN e.position_set THEN e.longitude END
             FROM item i LEFT JOIN item_edit e ON e.item_id = i.id WHERE i.id = ?1",
            [item_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<f64>>(3)?, r.get::<_, Option<f64>>(4)?)),
        )?;
        let mut stmt = conn.prepare_cached(
            "SELECT t.name FROM item_tag it JOIN tag t ON t.id = it.tag_id WHERE it.item_id = ?1 ORDER BY t.name",
        )?;
        let tags = stmt.query_map([item_id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        let position = latitude.zip(longitude);
        Ok(crate::domain::SidecarValues { description, rating, taken_local, tags, position })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SpaceKind;
    use crate::media::Reading;

    #[test]
    fn edits_survive_a_re_read_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let space = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap();
        let reading =
            Reading { size: 1, rating: Some(1), description: Some("from the file".into()), ..Reading::default() };
        let id = db.upsert_item(space.id, "a.jpg", 1, &reading).unwrap().id();
        db.edit_items(&[id], &ItemEdit { rating: Some(5), taken_ts: Some(1_000_000_000), ..Default::default() })
            .unwrap();
        db.upsert_item(space.id, "a.jpg", 2, &reading).unwrap();
        let (rating, description, taken, source): (i64, String, i64, String) = db
            .lock()
            .query_row("SELECT rating, description, taken_ts, taken_source FROM item WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((rating, description.as_str(), taken, source.as_str()), (5, "from the file", 1_000_000_000, "user"));
    }
}
