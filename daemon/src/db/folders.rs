//! Folder rows: the directory tree of each space, with parents, so the Folder view can walk it. A folder's
//! `path` is relative to its space root ('' for the root itself).

use rusqlite::{params, OptionalExtension, Transaction};

use super::{now, Db, DbError};

/// Splits "a/b/c" into ("a/b", "c"); a top-level name has the root ('') as parent.
pub(crate) fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Finds or creates the folder at `path`, and every missing ancestor, inside the caller's transaction.
pub(crate) fn ensure_folder_tx(tx: &Transaction, space_id: i64, path: &str) -> Result<i64, DbError> {
    if let Some(id) = tx
        .query_row("SELECT id FROM folder WHERE space_id = ?1 AND path = ?2", params![space_id, path], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    if path.is_empty() {
        tx.execute(
            "INSERT INTO folder (space_id, parent_id, name, path, created_at) VALUES (?1, NULL, '', '', ?2)",
            params![space_id, now()],
        )?;
        return Ok(tx.last_insert_rowid());
    }
    let (parent, name) = split_parent(path);
    let parent_id = ensure_folder_tx(tx, space_id, parent)?;
    tx.execute(
        "INSERT INTO folder (space_id, parent_id, name, path, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![space_id, parent_id, name, path, now()],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Db {
    pub fn ensure_folder(&self, space_id: i64, path: &str) -> Result<i64, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let id = ensure_folder_tx(&tx, space_id, path)?;
        tx.commit()?;
        Ok(id)
    }

    /// Makes sure each folder exists and records its inode (found by a walk of the disk), in one transaction.
    pub fn record_folders(&self, space_id: i64, folders: &[(String, Option<u64>)]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for (path, inode) in folders {
            let id = ensure_folder_tx(&tx, space_id, path)?;
            if let Some(inode) = inode {
                tx.execute(
                    "UPDATE folder SET inode = ?2 WHERE id = ?1 AND inode IS NOT ?2",
                    params![id, *inode as i64],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The folders of a space whose inode is known, as (path, inode).
    pub fn folder_inodes(&self, space_id: i64) -> Result<Vec<(String, u64)>, DbError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT path, inode FROM folder WHERE space_id = ?1 AND inode IS NOT NULL")?;
        let rows = stmt.query_map([space_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every folder of a space, as (id, path): for the reconcile scan, search, and folder permissions.
    pub fn folder_paths(&self, space_id: i64) -> Result<Vec<(i64, String)>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT id, path FROM folder WHERE space_id = ?1")?;
        let rows = stmt.query_map([space_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Moves a folder and everything under it, keeping every id (and so every album, tag and face attached).
    pub fn move_folder(&self, from: (i64, &str), to: (i64, &str)) -> Result<bool, DbError> {
        let (from_space, from_path) = from;
        let (to_space, to_path) = to;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let Some(id): Option<i64> = tx
            .query_row("SELECT id FROM folder WHERE space_id = ?1 AND path = ?2", params![from_space, from_path], |r| {
                r.get(0)
            })
            .optional()?
        else {
            return Ok(false);
        };
        // Whatever stood at the destination was replaced on disk by the move.
        tx.execute(
            "DELETE FROM folder WHERE space_id = ?1 AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')",
            params![to_space, to_path],
        )?;
        let (parent, name) = split_parent(to_path);
        let parent_id = ensure_folder_tx(&tx, to_space, parent)?;
        tx.execute(
            "UPDATE folder SET space_id = ?1, path = ?2 || substr(path, length(?3) + 1)
             WHERE space_id = ?4 AND (path = ?3 OR substr(path, 1, length(?3) + 1) = ?3 || '/')",
            params![to_space, to_path, from_path, from_space],
        )?;
        tx.execute("UPDATE folder SET parent_id = ?1, name = ?2 WHERE id = ?3", params![parent_id, name, id])?;
        // Its permission rules, and those of the folders under it, go with it in the same transaction: a crash
        // between the two would leave the folder open to everyone its parent admits. Rules left at the
        // destination by a folder that vanished there belong to that other folder, not to this one.
        let subtree_rules = "space_id = ?1 AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')";
        tx.execute(&format!("DELETE FROM folder_permission WHERE {subtree_rules}"), params![to_space, to_path])?;
        tx.execute(
            &format!(
                "UPDATE folder_permission SET space_id = ?3, path = ?4 || substr(path, length(?2) + 1) WHERE {subtree_rules}"
            ),
            params![from_space, from_path, to_space, to_path],
        )?;
        // Items follow their folders (and are present again if a running reconcile had marked them missing).
        tx.execute(
            "UPDATE item SET space_id = ?1, state = CASE WHEN state = 'missing' THEN 'ok' ELSE state END WHERE folder_id IN
               (SELECT id FROM folder WHERE space_id = ?1 AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/'))",
            params![to_space, to_path],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Removes a folder, its subfolders and their items. Returns the number of items removed. The folder
    /// permission rules stay, keyed by path (a folder that a sync tool removes and puts back keeps them); see
    /// [`Db::forget_folder`].
    pub fn delete_folder(&self, space_id: i64, path: &str) -> Result<usize, DbError> {
        self.delete_folder_tx(space_id, path, false)
    }

    /// Removes a folder as `delete_folder` does, and its permission rules with it: it is gone on purpose, and a new
    /// folder of its name must not inherit them.
    pub fn forget_folder(&self, space_id: i64, path: &str) -> Result<usize, DbError> {
        self.delete_folder_tx(space_id, path, true)
    }

    fn delete_folder_tx(&self, space_id: i64, path: &str, with_rules: bool) -> Result<usize, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if with_rules {
            tx.execute(
                "DELETE FROM folder_permission
                 WHERE space_id = ?1 AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')",
                params![space_id, path],
            )?;
        }
        let subtree =
            "SELECT id FROM folder WHERE space_id = ?1 AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')";
        let items = tx.execute(&format!("DELETE FROM item WHERE folder_id IN ({subtree})"), params![space_id, path])?;
        if path.is_empty() {
            // The root folder row stays: the space itself still exists.
            tx.execute("DELETE FROM folder WHERE space_id = ?1 AND path <> ''", params![space_id])?;
        } else {
            tx.execute(&format!("DELETE FROM folder WHERE id IN ({subtree})"), params![space_id, path])?;
        }
        tx.commit()?;
        Ok(items)
    }
}
