//! Shared Space folder permissions: the roles (view < download < upload < manage, as Synology Photos' Viewer,
//! Downloader, Uploader and Manager), the rules administrators set on folders, and what those rules give one
//! user. A folder with rules of its own decides for itself and everything under it, down to the next folder
//! with rules of its own; there, a user whom no rule names gets nothing. Where no folder up to the root has
//! rules, every Photos user gets the configured default role. Photos administrators manage everything.

use std::collections::HashMap;

pub use crate::domain::{Member, Role, Rule};

/// What the rules of a space give one user.
#[derive(Debug, Clone)]
pub struct Roles {
    /// For each folder with rules of its own, the user's role there.
    decided: HashMap<String, Role>,
    /// The role where no folder up to the root has rules.
    default: Role,
    /// Whether rules apply at all: not for an administrator, nor in the user's own Personal Space.
    ruled: bool,
}

impl Roles {
    /// Everything, everywhere: the owner of a Personal Space, or a Photos administrator.
    pub fn full() -> Roles {
        Roles { decided: HashMap::new(), default: Role::Manage, ruled: false }
    }

    /// Nothing, anywhere: someone else's Personal Space.
    pub fn none() -> Roles {
        Roles { decided: HashMap::new(), default: Role::None, ruled: true }
    }

    /// What the rules give a user with this uid in these groups.
    pub fn for_member(rules: &[Rule], uid: u32, groups: &[u32], default: Role) -> Roles {
        let mut decided: HashMap<String, Role> = HashMap::new();
        for rule in rules {
            let applies = match rule.member {
                Member::Everyone => true,
                Member::User(id) => id == uid,
                Member::Group(id) => groups.contains(&id),
            };
            let role = decided.entry(rule.path.clone()).or_insert(Role::None);
            if applies {
                *role = (*role).max(rule.role);
            }
        }
        Roles { decided, default, ruled: true }
    }

    /// The user's role in the folder at `path`.
    pub fn role_at(&self, path: &str) -> Role {
        if !self.ruled {
            return self.default;
        }
        let mut at = path;
        loop {
            if let Some(role) = self.decided.get(at) {
                return *role;
            }
            if at.is_empty() {
                return self.default;
            }
            at = at.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }

    /// Whether the folder at `path` shows at all: the user may view it, or a folder somewhere under it (the
    /// way there is shown, not what lies on it).
    pub fn shows_folder(&self, path: &str) -> bool {
        self.role_at(path) >= Role::View
            || self.decided.iter().any(|(p, role)| *role >= Role::View && is_under(p, path))
    }

    /// Whether no rule applies: the user may do everything everywhere.
    pub fn is_full(&self) -> bool {
        !self.ruled && self.default == Role::Manage
    }

    /// Whether the user may view every folder of the space, so that lists need no folder filter.
    pub fn views_everything(&self) -> bool {
        !self.ruled || (self.default >= Role::View && self.decided.values().all(|r| *r >= Role::View))
    }
}

/// The folder whose rules decide at `path`: `path` itself or its nearest ancestor with rules of its own. `None`
/// where the default role applies.
pub fn ruling_folder<'a>(rules: &'a [Rule], path: &str) -> Option<&'a str> {
    let mut at = path;
    loop {
        if let Some(rule) = rules.iter().find(|r| r.path == at) {
            return Some(rule.path.as_str());
        }
        if at.is_empty() {
            return None;
        }
        at = at.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}

/// Whether `path` is strictly below `folder` (both relative to the space root).
pub fn is_under(path: &str, folder: &str) -> bool {
    match folder {
        "" => !path.is_empty(),
        _ => path.len() > folder.len() && path.starts_with(folder) && path.as_bytes()[folder.len()] == b'/',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, member: Member, role: Role) -> Rule {
        Rule { path: path.into(), member, role }
    }

    #[test]
    fn the_nearest_folder_with_rules_decides_and_unnamed_users_get_nothing_there() {
        let rules = [
            rule("Family", Member::Group(100), Role::View),
            rule("Family", Member::User(1001), Role::Manage),
            rule("Family/Private", Member::User(1001), Role::Download),
            rule("Events", Member::Everyone, Role::Upload),
        ];
        let alice = Roles::for_member(&rules, 1001, &[100], Role::Download);
        assert_eq!(alice.role_at("Family/2020/x"), Role::Manage);
        assert_eq!(alice.role_at("Family/Private/a"), Role::Download, "a narrower rule replaces, never adds");
        assert_eq!(alice.role_at("Elsewhere"), Role::Download, "the default where nothing decides");

        let bob = Roles::for_member(&rules, 1002, &[100], Role::Download);
        assert_eq!(bob.role_at("Family"), Role::View);
        assert_eq!(bob.role_at("Family/Private"), Role::None);
        assert_eq!(bob.role_at("Events/2021"), Role::Upload);

        let carol = Roles::for_member(&rules, 1003, &[200], Role::Download);
        assert_eq!(carol.role_at("Family/2020"), Role::None);
        assert!(!carol.shows_folder("Family"));
        assert!(!carol.views_everything());
        // "Family2" is not under "Family".
        assert_eq!(carol.role_at("Family2"), Role::Download);
    }

    #[test]
    fn a_folder_on_the_way_to_a_viewable_one_shows_without_its_items() {
        let rules = [rule("", Member::Everyone, Role::None), rule("Scans/Family", Member::User(7), Role::View)];
        let access = Roles::for_member(&rules, 7, &[], Role::View);
        assert!(access.shows_folder("") && access.shows_folder("Scans") && access.shows_folder("Scans/Family/1999"));
        assert_eq!(access.role_at("Scans"), Role::None);
        assert!(!access.shows_folder("Taxes"));
        assert!(!access.shows_folder("Scans/Work"));
    }

    #[test]
    fn administrators_and_owners_are_not_ruled() {
        let access = Roles::full();
        assert_eq!(access.role_at("anything/at/all"), Role::Manage);
        assert!(access.views_everything());
        let rules = [rule("a", Member::Everyone, Role::View)];
        assert_eq!(ruling_folder(&rules, "a/b/c"), Some("a"));
        assert_eq!(ruling_folder(&rules, "b"), None);
        assert!(is_under("a/b", "a") && is_under("a", "") && !is_under("ab", "a") && !is_under("a", "a"));
    }
}
