//! Which space a call addresses, and the access checks on ids from requests: `SYNO.Foto.*` works on the
//! caller's Personal Space, `SYNO.FotoTeam.*` on the Shared Space. An id (item or folder) outside that space
//! answers 642, exactly like an id that does not exist, so nobody learns what others have.

use std::path::Path;

use super::error::ApiError;
use super::Ctx;
use crate::db::{FolderRow, ItemRow, Space, SpaceKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Personal,
    Shared,
}

impl Ctx {
    /// The space this call works on. A user's Personal Space is created on first use, as Synology Photos does
    /// (the `Photos` folder in the home, owned by the user).
    pub async fn space(&self) -> Result<Space, ApiError> {
        let config = &self.app.config.spaces;
        let root = match self.scope {
            Scope::Shared if !config.shared_root.is_empty() => config.shared_root.clone(),
            Scope::Shared => return Err(ApiError::NotFound("the Shared Space is disabled".into())),
            Scope::Personal => crate::spaces::personal_root(config, &self.caller.name)
                .ok_or_else(|| ApiError::NotFound("Personal Spaces are disabled".into()))?
                .display()
                .to_string(),
        };
        let lookup = root.clone();
        if let Some(space) = self.app.db.call(move |db| db.space_by_root(&lookup)).await? {
            return Ok(space);
        }
        let (kind, owner) = match self.scope {
            Scope::Personal => {
                create_personal_root(Path::new(&root), self.caller.uid, self.caller.gid)?;
                (SpaceKind::Personal, Some((self.caller.uid, self.caller.name.clone())))
            }
            Scope::Shared if Path::new(&root).is_dir() => (SpaceKind::Shared, None),
            Scope::Shared => return Err(ApiError::NotFound(format!("the Shared Space folder {root} is missing"))),
        };
        Ok(self
            .app
            .db
            .call(move |db| db.ensure_space(kind, owner.as_ref().map(|(u, n)| (*u, n.as_str())), &root))
            .await?)
    }

    /// A folder of this space; `0` is the root, as in Synology Photos.
    pub async fn folder(&self, space: &Space, id: i64) -> Result<FolderRow, ApiError> {
        let space_id = space.id;
        let found = match id {
            0 => self.app.db.call(move |db| db.root_folder(space_id)).await?,
            id => self.app.db.call(move |db| db.folder(id)).await?,
        };
        found.filter(|f| f.space_id == space.id).ok_or_else(|| ApiError::NotFound(format!("folder {id}")))
    }

    /// An item of this space.
    pub async fn item(&self, space: &Space, id: i64) -> Result<ItemRow, ApiError> {
        let found = self.app.db.call(move |db| db.item(id)).await?;
        found.filter(|i| i.space_id == space.id).ok_or_else(|| ApiError::NotFound(format!("item {id}")))
    }

    /// Whether the caller may change this space: their own Personal Space, or the Shared Space for a Photos
    /// administrator (folder permissions for others come with Shared Space sharing).
    pub fn may_change(&self, space: &Space) -> Result<(), ApiError> {
        match space.owner_uid {
            Some(uid) if uid == self.caller.uid => Ok(()),
            None if self.caller.is_admin => Ok(()),
            _ => Err(ApiError::Forbidden),
        }
    }

    /// Who new files and folders in this space belong to: in a Personal Space, its owner; in the Shared Space,
    /// the user who made them, with the share's group (as files under a setgid share).
    pub fn file_owner(&self, space: &Space) -> (u32, u32) {
        use std::os::unix::fs::MetadataExt;
        match space.owner_uid {
            Some(uid) => (uid, self.caller.gid),
            None => (self.caller.uid, std::fs::metadata(&space.root).map(|m| m.gid()).unwrap_or(self.caller.gid)),
        }
    }

    /// Where an item of this space is on disk.
    pub async fn item_file(&self, space: &Space, id: i64) -> Result<crate::db::ItemFile, ApiError> {
        let item = self.item(space, id).await?;
        self.app.db.call(move |db| db.item_file(item.id)).await?.ok_or_else(|| ApiError::NotFound(format!("item {id}")))
    }

    /// The owner id Synology clients see on objects of this space: the uid for a Personal Space, 0 for the
    /// Shared Space.
    pub fn owner_user_id(&self, space: &Space) -> u32 {
        space.owner_uid.unwrap_or(0)
    }
}

/// Makes `<home>/Photos` for a user who has none yet, owned by them. The home itself must exist: photosd never
/// creates homes.
fn create_personal_root(root: &Path, uid: u32, gid: u32) -> Result<(), ApiError> {
    let home = root.parent().ok_or_else(|| ApiError::NotFound("no home".into()))?;
    if !std::fs::symlink_metadata(home).is_ok_and(|m| m.is_dir()) {
        return Err(ApiError::NotFound(format!("home {} does not exist", home.display())));
    }
    match std::fs::create_dir(root) {
        Ok(()) => {
            std::os::unix::fs::chown(root, Some(uid), Some(gid))?;
            tracing::info!(root = %root.display(), "created a Personal Space");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if std::fs::symlink_metadata(root).is_ok_and(|m| m.is_dir()) {
                Ok(())
            } else {
                Err(ApiError::NotFound(format!("{} is not a folder", root.display())))
            }
        }
        Err(e) => Err(e.into()),
    }
}
