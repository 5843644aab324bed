//! Read queries on the folder tree for browsing: one folder, its children (sorted and paged), its ancestors.

use rusqlite::{params, OptionalExtension, Row};

use super::{Db, DbError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderRow {
    pub id: i64,
    pub space_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// Relative to the space root, '' for the root.
    pub path: String,
}

const COLUMNS: &str = "id, space_id, parent_id, name, path";

fn folder_row(r: &Row) -> rusqlite::Result<FolderRow> {
    Ok(FolderRow { id: r.get(0)?, space_id: r.get(1)?, parent_id: r.get(2)?, name: r.get(3)?, path: r.get(4)? })
}

impl Db {
    pub fn folder(&self, id: i64) -> Result<Option<FolderRow>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM folder WHERE id = ?1"))?;
        Ok(stmt.query_row([id], folder_row).optional()?)
    }

    pub fn folder_by_path(&self, space_id: i64, path: &str) -> Result<Option<FolderRow>, DbError> {
        let conn = self.read();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM folder WHERE space_id = ?1 AND path = ?2"))?;
        Ok(stmt.query_row(params![space_id, path], folder_row).optional()?)
    }

    pub fn root_folder(&self, space_id: i64) -> Result<Option<FolderRow>, DbError> {
        self.folder_by_path(space_id, "")
    }

    /// The subfolders of `parent`, by name.
    pub fn child_folders(
        &self,
        parent: i64,
        descending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<FolderRow>, DbError> {
        let direction = if descending { "DESC" } else { "ASC" };
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM folder WHERE parent_id = ?1 ORDER BY name COLLATE NOCASE {direction} LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(params![parent, limit, offset], folder_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn count_child_folders(&self, parent: i64) -> Result<i64, DbError> {
        Ok(self.read().query_row("SELECT count(*) FROM folder WHERE parent_id = ?1", [parent], |r| r.get(0))?)
    }

    /// The folder and its ancestors, from the root down.
    pub fn folder_chain(&self, id: i64) -> Result<Vec<FolderRow>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "WITH RECURSIVE up(id, depth) AS (SELECT ?1, 0 UNION ALL
                 SELECT f.parent_id, up.depth + 1 FROM folder f JOIN up ON f.id = up.id WHERE f.parent_id IS NOT NULL)
             SELECT {COLUMNS} FROM folder JOIN up USING (id) ORDER BY up.depth DESC"
        ))?;
        let rows = stmt.query_map([id], folder_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
