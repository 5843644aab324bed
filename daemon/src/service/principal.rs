//! Who is asking, in the words every rule uses: a signed-in `User`, or the holder of a share link (`LinkGrant`:
//! the link, the role it gives this holder, and its owner as they are now). `service::auth` and
//! `service::sharing` make them; `service::access` decides what each may do.

use crate::db::ShareLink;
use crate::domain::Role;

/// A Photos user, as the system knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub is_admin: bool,
    /// Every group the user is in (primary and supplementary), for group rules of folder permissions.
    pub groups: Vec<u32>,
}

impl User {
    /// The user as the system has them now; an administrator of Photos when in `admin_group`.
    pub fn from_system(user: &uzers::User, admin_group: &str) -> User {
        User {
            uid: user.uid(),
            gid: user.primary_group_id(),
            name: user.name().to_string_lossy().into_owned(),
            is_admin: crate::spaces::is_in_group(admin_group, user),
            groups: crate::spaces::groups_of(user),
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(User),
    /// Whoever holds a share link, signed in or not (`service::sharing::grant` makes it).
    Link(Box<LinkGrant>),
}

/// What one holder of a share link may do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkGrant {
    pub link: ShareLink,
    /// The link's public role, or an invitee's own when higher; never `Role::None`.
    pub role: Role,
    /// The signed-in user holding it, if any.
    pub user: Option<User>,
    /// The link's owner as they are now: a link never gives more than its owner has (a view-only user's link
    /// downloads nothing; a manager who lost a folder's rights shares nothing of it).
    pub owner: User,
}
