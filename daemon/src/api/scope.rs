//! Which space a call addresses: `SYNO.Foto.*` works on the caller's Personal Space (made on first use),
//! `SYNO.FotoTeam.*` on the Shared Space. What the caller may see and do there is `service::access`'s to decide;
//! `Ctx::access` opens it once per call.

use std::path::Path;
use std::sync::Arc;

use super::error::ApiError;
use super::Ctx;
use crate::db::{Space, SpaceKind};
use crate::service::access::SpaceAccess;
use crate::service::principal::Principal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Personal,
    Shared,
}

impl Ctx {
    /// The space this call works on. A user's Personal Space is created on first use, as Synology Photos does
    /// (the `Photos` folder in the home, owned by the user).
    pub async fn space(&self) -> Result<Space, ApiError> {
        if let Principal::Link(grant) = &self.principal {
            // A link's calls work on the link's space, whichever family they name.
            let id = grant.link.space_id;
            return self.app.db.call(move |db| db.space(id)).await?.ok_or_else(|| ApiError::not_found("space"));
        }
        let user = self.user()?;
        let config = &self.app.config.spaces;
        let root = match self.scope {
            Scope::Shared if !config.shared_root.is_empty() => config.shared_root.clone(),
            Scope::Shared => return Err(ApiError::not_found("the Shared Space is disabled")),
            Scope::Personal => crate::spaces::personal_root(config, &user.name)
                .ok_or_else(|| ApiError::not_found("Personal Spaces are disabled"))?
                .display()
                .to_string(),
        };
        let lookup = root.clone();
        if let Some(space) = self.app.db.call(move |db| db.space_by_root(&lookup)).await? {
            return Ok(space);
        }
        let (kind, owner) = match self.scope {
            Scope::Personal => {
                create_personal_root(Path::new(&root), user.uid, user.gid)?;
                (SpaceKind::Personal, Some((user.uid, user.name.clone())))
            }
            Scope::Shared if Path::new(&root).is_dir() => (SpaceKind::Shared, None),
            Scope::Shared => return Err(ApiError::not_found(format!("the Shared Space folder {root} is missing"))),
        };
        let people = self.app.config.faces.people_by_default;
        Ok(self
            .app
            .db
            .call(move |db| db.ensure_space(kind, owner.as_ref().map(|(u, n)| (*u, n.as_str())), &root, people))
            .await?)
    }

    /// What the caller may see and do in this space (`service::access`), worked out once per call.
    pub async fn access(&self, space: &Space) -> Result<Arc<SpaceAccess>, ApiError> {
        let access = self
            .access
            .get_or_try_init(|| async {
                let principal = self.principal.clone();
                let opened = SpaceAccess::open(&self.app.db, &self.app.config.spaces, principal, space.clone()).await?;
                Ok::<_, ApiError>(Arc::new(opened))
            })
            .await?;
        Ok(access.clone())
    }
}

/// Makes `<home>/Photos` for a user who has none yet, owned by them. The home itself must exist: photosd never
/// creates homes. The user owns the home and may swap a symlink in at any moment, so the folder is made and given
/// away through the home's open descriptor, never by path (a chown by path would follow the link).
fn create_personal_root(root: &Path, uid: u32, gid: u32) -> Result<(), ApiError> {
    use crate::domain::Error;
    let home = root.parent().ok_or_else(|| ApiError::not_found("no home"))?;
    let name = root.file_name().and_then(|n| n.to_str()).ok_or_else(|| ApiError::not_found("no folder name"))?;
    match crate::service::space_fs::create_dir(home, "", name, uid, gid) {
        Ok(()) => {
            tracing::info!(root = %root.display(), "created a Personal Space");
            Ok(())
        }
        Err(Error::Exists) if crate::service::space_fs::open_dir(root, "").is_ok() => Ok(()),
        Err(Error::Exists) => Err(ApiError::not_found(format!("{} is not a folder", root.display()))),
        Err(Error::NotFound(_)) => Err(ApiError::not_found(format!("home {} does not exist", home.display()))),
        Err(e) => Err(e.into()),
    }
}
