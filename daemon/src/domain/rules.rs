//! The words of Shared Space folder permissions, which the database stores, the config names and the service
//! applies: roles (view < download < upload < manage, as Synology Photos' Viewer, Downloader, Uploader and
//! Manager), members and rules. What a set of rules gives one caller is `service::permissions`.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    None,
    View,
    Download,
    Upload,
    Manage,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::None, Role::View, Role::Download, Role::Upload, Role::Manage];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::View => "view",
            Role::Download => "download",
            Role::Upload => "upload",
            Role::Manage => "manage",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Synology's `access_permission` object for a folder.
    pub fn flags(self, own: bool) -> serde_json::Value {
        serde_json::json!({
            "view": self >= Role::View,
            "download": self >= Role::Download,
            "upload": self >= Role::Upload,
            "manage": self >= Role::Manage,
            "own": own,
        })
    }
}

/// Whom a rule is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    /// Every Photos user.
    Everyone,
    User(u32),
    Group(u32),
}

impl Member {
    pub fn kind(self) -> &'static str {
        match self {
            Member::Everyone => "everyone",
            Member::User(_) => "user",
            Member::Group(_) => "group",
        }
    }

    pub fn id(self) -> u32 {
        match self {
            Member::Everyone => 0,
            Member::User(id) | Member::Group(id) => id,
        }
    }

    pub fn from_parts(kind: &str, id: u32) -> Option<Member> {
        match kind {
            "everyone" => Some(Member::Everyone),
            "user" => Some(Member::User(id)),
            "group" => Some(Member::Group(id)),
            _ => None,
        }
    }
}

/// One rule: on the folder at `path` (relative to the space root, '' for the root), `member` has `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub path: String,
    pub member: Member,
    pub role: Role,
}
