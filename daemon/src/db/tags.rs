//! Tags: the file's own keywords (source `file`, replaced on every re-read) and the user's (source `user`,
//! never touched by indexing). A tag belongs to one space: its name and id mean nothing in another.

use rusqlite::{params, Transaction};

use super::{Db, DbError};

/// Gives an item the file's tags, and takes away the file tags it no longer has. Tags it keeps are not rewritten,
/// so that re-reading a file changes no condition album by tag (db/members.rs).
pub(crate) fn replace_file_tags_tx(tx: &Transaction, item_id: i64, tags: &[String]) -> Result<(), DbError> {
    let mut ids = Vec::with_capacity(tags.len());
    if !tags.is_empty() {
        let space_id: i64 = tx.query_row("SELECT space_id FROM item WHERE id = ?1", [item_id], |r| r.get(0))?;
        for name in tags {
            ids.push(ensure_tag_tx(tx, space_id, name)?);
        }
    }
    tx.execute(
        "DELETE FROM item_tag WHERE item_id = ?1 AND source = 'file' AND tag_id NOT IN (SELECT value FROM json_each(?2))",
        params![item_id, serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())],
    )?;
    for tag_id in ids {
        tx.execute(
            "INSERT OR IGNORE INTO item_tag (item_id, tag_id, source) VALUES (?1, ?2, 'file')",
            params![item_id, tag_id],
        )?;
    }
    Ok(())
}

fn ensure_tag_tx(tx: &Transaction, space_id: i64, name: &str) -> Result<i64, DbError> {
    tx.execute("INSERT OR IGNORE INTO tag (space_id, name) VALUES (?1, ?2)", params![space_id, name])?;
    Ok(tx.query_row("SELECT id FROM tag WHERE space_id = ?1 AND name = ?2", params![space_id, name], |r| r.get(0))?)
}

impl Db {
    /// Finds or creates a tag of a space by name (names are case-insensitive).
    pub fn ensure_tag(&self, space_id: i64, name: &str) -> Result<i64, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let id = ensure_tag_tx(&tx, space_id, name)?;
        tx.commit()?;
        Ok(id)
    }

    /// Which of `tag_ids` are tags of the space.
    pub fn tags_in_space(&self, space_id: i64, tag_ids: &[i64]) -> Result<Vec<i64>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT id FROM tag WHERE id = ?1 AND space_id = ?2")?;
        let mut found = Vec::new();
        for &id in tag_ids {
            if stmt.exists(params![id, space_id])? {
                found.push(id);
            }
        }
        Ok(found)
    }

    /// Tags given by a user (they survive re-indexing, unlike tags read from the file).
    pub fn add_user_tags(&self, item_ids: &[i64], tag_ids: &[i64]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for item in item_ids {
            for tag in tag_ids {
                tx.execute(
                    "INSERT INTO item_tag (item_id, tag_id, source) VALUES (?1, ?2, 'user')
                     ON CONFLICT (item_id, tag_id) DO UPDATE SET source = 'user'",
                    params![item, tag],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn remove_tags(&self, item_ids: &[i64], tag_ids: &[i64]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for item in item_ids {
            for tag in tag_ids {
                tx.execute("DELETE FROM item_tag WHERE item_id = ?1 AND tag_id = ?2", params![item, tag])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
