//! Tags: the file's own keywords (source `file`, replaced on every re-read) and the user's (source `user`,
//! never touched by indexing).

use rusqlite::{params, Transaction};

use super::DbError;

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
