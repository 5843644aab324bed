//! Tags: the file's own keywords (source `file`, replaced on every re-read) and the user's (source `user`,
//! never touched by indexing).

use rusqlite::{params, Transaction};

use super::{Db, DbError};

pub(crate) fn replace_file_tags_tx(tx: &Transaction, item_id: i64, tags: &[String]) -> Result<(), DbError> {
    tx.execute("DELETE FROM item_tag WHERE item_id = ?1 AND source = 'file'", [item_id])?;
    for name in tags {
        let tag_id = ensure_tag_tx(tx, name)?;
        tx.execute(
            "INSERT OR IGNORE INTO item_tag (item_id, tag_id, source) VALUES (?1, ?2, 'file')",
            params![item_id, tag_id],
        )?;
    }
    Ok(())
}

fn ensure_tag_tx(tx: &Transaction, name: &str) -> Result<i64, DbError> {
    tx.execute("INSERT OR IGNORE INTO tag (name) VALUES (?1)", [name])?;
    Ok(tx.query_row("SELECT id FROM tag WHERE name = ?1", [name], |r| r.get(0))?)
}

impl Db {
    /// Finds or creates a tag by name (names are case-insensitive).
    pub fn ensure_tag(&self, name: &str) -> Result<i64, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let id = ensure_tag_tx(&tx, name)?;
        tx.commit()?;
        Ok(id)
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
