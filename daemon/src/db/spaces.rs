//! Space rows: one per Personal Space (a user's Photos folder) and one for the Shared Space.

use rusqlite::{params, OptionalExtension, Row};

use super::{now, Db, DbError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceKind {
    Personal,
    Shared,
}

impl SpaceKind {
    fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Personal => "personal",
            SpaceKind::Shared => "shared",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    pub id: i64,
    pub kind: SpaceKind,
    pub owner_uid: Option<u32>,
    pub owner_name: Option<String>,
    pub root: String,
}

impl Space {
    /// The owner id Synology clients see on objects of this space: the uid for a Personal Space, 0 for the
    /// Shared Space.
    pub fn owner_user_id(&self) -> u32 {
        self.owner_uid.unwrap_or(0)
    }
}

pub(super) fn space_from_row(r: &Row) -> rusqlite::Result<Space> {
    let kind: String = r.get(1)?;
    Ok(Space {
        id: r.get(0)?,
        kind: if kind == "shared" { SpaceKind::Shared } else { SpaceKind::Personal },
        owner_uid: r.get(2)?,
        owner_name: r.get(3)?,
        root: r.get(4)?,
    })
}

impl Db {
    /// Returns the space rooted at `root`, creating it (and its root folder) on first sight, with People on or off
    /// as `people` says (`faces.people_by_default`).
    pub fn ensure_space(
        &self,
        kind: SpaceKind,
        owner: Option<(u32, &str)>,
        root: &str,
        people: bool,
    ) -> Result<Space, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let existing = tx
            .query_row(
                "SELECT id, kind, owner_uid, owner_name, root FROM space WHERE root = ?1",
                [root],
                space_from_row,
            )
            .optional()?;
        let space = match existing {
            Some(s) => s,
            None => {
                tx.execute(
                    "INSERT INTO space (kind, owner_uid, owner_name, root, created_at, people_enabled)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![kind.as_str(), owner.map(|o| o.0), owner.map(|o| o.1), root, now(), people],
                )?;
                let id = tx.last_insert_rowid();
                tx.execute(
                    "INSERT INTO folder (space_id, parent_id, name, path, created_at) VALUES (?1, NULL, '', '', ?2)",
                    params![id, now()],
                )?;
                Space {
                    id,
                    kind,
                    owner_uid: owner.map(|o| o.0),
                    owner_name: owner.map(|o| o.1.to_string()),
                    root: root.to_string(),
                }
            }
        };
        tx.commit()?;
        Ok(space)
    }
}

impl Db {
    pub fn space(&self, id: i64) -> Result<Option<Space>, DbError> {
        Ok(self
            .read()
            .query_row("SELECT id, kind, owner_uid, owner_name, root FROM space WHERE id = ?1", [id], space_from_row)
            .optional()?)
    }

    pub fn space_by_root(&self, root: &str) -> Result<Option<Space>, DbError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT id, kind, owner_uid, owner_name, root FROM space WHERE root = ?1",
                [root],
                space_from_row,
            )
            .optional()?)
    }

    /// The file system (st_dev) the space's folder was on when it was first reconciled, if recorded.
    pub fn space_device(&self, space_id: i64) -> Result<Option<u64>, DbError> {
        let device: Option<i64> =
            self.lock().query_row("SELECT root_device FROM space WHERE id = ?1", [space_id], |r| r.get(0))?;
        Ok(device.map(|d| d as u64))
    }

    pub fn set_space_device(&self, space_id: i64, device: u64) -> Result<(), DbError> {
        self.lock().execute("UPDATE space SET root_device = ?2 WHERE id = ?1", params![space_id, device as i64])?;
        Ok(())
    }

    /// Records what the last reconcile of a space did not believe gone (0 and no reason when it was whole).
    pub fn set_space_held_back(&self, space_id: i64, files: usize, reason: Option<&str>) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE space SET held_back = ?2, held_back_reason = ?3 WHERE id = ?1",
            params![space_id, files as i64, reason],
        )?;
        Ok(())
    }

    /// How many files of the space the last reconcile did not believe gone, and why.
    pub fn space_held_back(&self, space_id: i64) -> Result<(i64, Option<String>), DbError> {
        Ok(self.lock().query_row("SELECT held_back, held_back_reason FROM space WHERE id = ?1", [space_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?)
    }
}
