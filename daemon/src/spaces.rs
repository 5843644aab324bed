//! Which folders are spaces: each system user (passwd, through NSS) whose folder matching the personal pattern
//! exists has a Personal Space there; the Shared Space is one configured root. Discovery is re-run periodically
//! so a new user's Photos folder is picked up without a restart.

use std::path::{Path, PathBuf};

use uzers::os::unix::GroupExt;

use crate::config::SpacesConfig;
use crate::db::SpaceKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSpace {
    pub kind: SpaceKind,
    pub owner: Option<(u32, String)>,
    pub root: PathBuf,
}

pub fn discover(config: &SpacesConfig) -> Vec<FoundSpace> {
    let mut found = Vec::new();
    if !config.personal_pattern.is_empty() {
        let group = (!config.allowed_group.is_empty()).then(|| uzers::get_group_by_name(&config.allowed_group));
        for user in crate::ffi::all_users() {
            if user.uid() < config.min_uid {
                continue;
            }
            let Some(name) = user.name().to_str() else { continue };
            if group.as_ref().is_some_and(|g| !g.as_ref().is_some_and(|g| is_member(g, &user))) {
                continue;
            }
            let Some(root) = personal_root(config, name) else { continue };
            if is_real_dir(&root) && !found.iter().any(|f: &FoundSpace| f.root == root) {
                found.push(FoundSpace { kind: SpaceKind::Personal, owner: Some((user.uid(), name.to_string())), root });
            }
        }
    }
    if !config.shared_root.is_empty() && is_real_dir(Path::new(&config.shared_root)) {
        found.push(FoundSpace { kind: SpaceKind::Shared, owner: None, root: PathBuf::from(&config.shared_root) });
    }
    found
}

/// Whether `user` belongs to `group`, as its primary group or a supplementary one.
pub fn is_member(group: &uzers::Group, user: &uzers::User) -> bool {
    user.primary_group_id() == group.gid() || group.members().iter().any(|m| m == user.name())
}

/// Whether the user may use Photos: a member of `allowed_group` (when set) with a uid from `min_uid`.
pub fn may_use_photos(config: &SpacesConfig, user: &uzers::User) -> bool {
    user.uid() >= config.min_uid
        && (config.allowed_group.is_empty()
            || uzers::get_group_by_name(&config.allowed_group).is_some_and(|g| is_member(&g, user)))
}

/// Every group the user is in: the primary one and the supplementary ones.
pub fn groups_of(user: &uzers::User) -> Vec<u32> {
    let mut gids: Vec<u32> = uzers::get_user_groups(user.name(), user.primary_group_id())
        .unwrap_or_default()
        .iter()
        .map(|g| g.gid())
        .collect();
    if !gids.contains(&user.primary_group_id()) {
        gids.push(user.primary_group_id());
    }
    gids
}

/// Whether the user is a Photos administrator (a member of `group`).
pub fn is_in_group(group: &str, user: &uzers::User) -> bool {
    !group.is_empty() && uzers::get_group_by_name(group).is_some_and(|g| is_member(&g, user))
}

/// The Personal Space root of a user, from the pattern.
pub fn personal_root(config: &SpacesConfig, user_name: &str) -> Option<PathBuf> {
    (!config.personal_pattern.is_empty()).then(|| PathBuf::from(config.personal_pattern.replacen('*', user_name, 1)))
}

/// A directory, and not a symlink to one: a space must not lead out of where its owner's files live.
fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}
