//! Which space a call addresses, and the access checks on ids from requests: `SYNO.Foto.*` works on the
//! caller's Personal Space, `SYNO.FotoTeam.*` on the Shared Space, where folder permissions decide who sees and
//! does what (`service::permissions`). An id (item or folder) outside that space, or in a folder the caller may
//! not see, answers 642, exactly like an id that does not exist, so nobody learns what others have.

use std::path::Path;
use std::sync::Arc;

use super::error::ApiError;
use super::Ctx;
use crate::db::{FolderRow, ItemRow, Reach, Space, SpaceKind};
use crate::service::permissions::{Access, Role};

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

    /// What the caller may do where in this space: everything in their own Personal Space and, for a Photos
    /// administrator, in the Shared Space; elsewhere what the folder rules give them. Worked out once per call.
    pub async fn access(&self, space: &Space) -> Result<Arc<Access>, ApiError> {
        let access = self
            .access
            .get_or_try_init(|| async {
                // `space` only ever gives the caller's own Personal Space (found by their home, whatever uid it
                // was first recorded with).
                if self.scope == Scope::Personal || self.caller.is_admin {
                    return Ok::<_, ApiError>(Arc::new(Access::full()));
                }
                let space_id = space.id;
                let rules = self.app.db.call(move |db| db.folder_rules(space_id)).await?;
                let default = self.app.config.spaces.shared_default_role;
                Ok(Arc::new(Access::for_caller(&rules, self.caller.uid, &self.caller.groups, default)))
            })
            .await?;
        Ok(access.clone())
    }

    /// The part of this space whose items the caller may see (`need` = View), or download (Download).
    pub async fn reach(&self, space: &Space, need: Role) -> Result<Reach, ApiError> {
        let access = self.access(space).await?;
        if access.is_full() || (need <= Role::View && access.views_everything()) {
            return Ok(Reach::whole(space.id));
        }
        let space_id = space.id;
        let folders = self.app.db.call(move |db| db.folder_paths(space_id)).await?;
        let allowed: Vec<i64> =
            folders.into_iter().filter(|(_, path)| access.role_at(path) >= need).map(|(id, _)| id).collect();
        Ok(Reach::folders(space.id, &allowed))
    }

    /// Checks that the caller has `need` in the folder at `path` (which need not exist yet): 642 where they cannot
    /// see it, 105 where they see it but may not do this.
    pub async fn require(&self, space: &Space, path: &str, need: Role) -> Result<(), ApiError> {
        let access = self.access(space).await?;
        match access.role_at(path) {
            role if role >= need => Ok(()),
            _ if access.shows_folder(path) => Err(ApiError::Forbidden),
            _ => Err(ApiError::NotFound(format!("folder /{path}"))),
        }
    }

    /// A folder of this space that the caller can see; `0` is the root, as in Synology Photos.
    pub async fn folder(&self, space: &Space, id: i64) -> Result<FolderRow, ApiError> {
        let space_id = space.id;
        let found = match id {
            0 => self.app.db.call(move |db| db.root_folder(space_id)).await?,
            id => self.app.db.call(move |db| db.folder(id)).await?,
        };
        let access = self.access(space).await?;
        found
            .filter(|f| f.space_id == space.id && access.shows_folder(&f.path))
            .ok_or_else(|| ApiError::NotFound(format!("folder {id}")))
    }

    /// An item of this space that the caller can see.
    pub async fn item(&self, space: &Space, id: i64) -> Result<ItemRow, ApiError> {
        let found = self.app.db.call(move |db| db.item(id)).await?;
        let item = found.filter(|i| i.space_id == space.id).ok_or_else(|| ApiError::NotFound(format!("item {id}")))?;
        if !self.access(space).await?.views_everything() {
            self.require_on_item(space, &item, Role::View).await?;
        }
        Ok(item)
    }

    /// Checks that the caller has `need` in the folder of an item of this space.
    pub async fn require_on_item(&self, space: &Space, item: &ItemRow, need: Role) -> Result<(), ApiError> {
        let folder_id = item.folder_id;
        let folder = self.app.db.call(move |db| db.folder(folder_id)).await?;
        let path = folder.map(|f| f.path).ok_or_else(|| ApiError::NotFound(format!("item {}", item.id)))?;
        match self.require(space, &path, need).await {
            Err(ApiError::NotFound(_)) => Err(ApiError::NotFound(format!("item {}", item.id))),
            other => other,
        }
    }

    /// Who new files and folders in this space belong to: in a Personal Space, its owner; in the Shared Space,
    /// the user who made them, with the share's group (as files under a setgid share).
    pub fn file_owner(&self, space: &Space) -> (u32, u32) {
        use std::os::unix::fs::MetadataExt;
        match self.scope {
            // The caller's own space (see `space`).
            Scope::Personal => (self.caller.uid, self.caller.gid),
            Scope::Shared => {
                (self.caller.uid, std::fs::metadata(&space.root).map(|m| m.gid()).unwrap_or(self.caller.gid))
            }
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
/// creates homes. The user owns the home and may swap a symlink in at any moment, so the folder is made and given
/// away through the home's open descriptor, never by path (a chown by path would follow the link).
fn create_personal_root(root: &Path, uid: u32, gid: u32) -> Result<(), ApiError> {
    use crate::domain::Error;
    let home = root.parent().ok_or_else(|| ApiError::NotFound("no home".into()))?;
    let name = root.file_name().and_then(|n| n.to_str()).ok_or_else(|| ApiError::NotFound("no folder name".into()))?;
    match crate::service::space_fs::create_dir(home, "", name, uid, gid) {
        Ok(()) => {
            tracing::info!(root = %root.display(), "created a Personal Space");
            Ok(())
        }
        Err(Error::Exists) if crate::service::space_fs::open_dir(root, "").is_ok() => Ok(()),
        Err(Error::Exists) => Err(ApiError::NotFound(format!("{} is not a folder", root.display()))),
        Err(Error::NotFound(_)) => Err(ApiError::NotFound(format!("home {} does not exist", home.display()))),
        Err(e) => Err(e.into()),
    }
}
