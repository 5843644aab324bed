//! Share links: making them (an album, a folder, a selection in a temporary album, a photo request), changing
//! what they give (public role, password, expiry, invitees), opening one with its password (rate-limited per
//! link and client address), and what a link gives the one holding it (`grant`). Everything a holder then does
//! is confined by `service::access` to what the link shares.
//!
//! The public side of a link (enabled, password, expiry, its public role) is apart from its invitees: disabling
//! or expiring the link ends anonymous access, while invitees keep theirs until they are removed or the album or
//! folder goes.

use std::net::IpAddr;

use super::access::SpaceAccess;
use super::login_guard::LoginGuard;
use super::principal::{LinkGrant, User};
use crate::config::Config;
use crate::db::{now, AlbumRow, Db, LinkKind, NewLink, ShareLink};
use crate::domain::{Error, Member, Role};

/// Characters of a passphrase: 62 letters and digits, so 16 of them carry 95 bits.
const PASSPHRASE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const PASSPHRASE_LEN: usize = 16;

/// Wrong passwords on a link from one address (and from one address on all links) within `PASSWORD_WINDOW`
/// before it is refused for `PASSWORD_BLOCK`, the right password too.
pub const PASSWORD_FAILURES: usize = 10;
pub const PASSWORD_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);
pub const PASSWORD_BLOCK: std::time::Duration = std::time::Duration::from_secs(900);

/// How long a sharing session (the `sharing_sid` cookie) stays open.
pub const SESSION_MAX_AGE_SECS: i64 = 7 * 86_400;

/// A new passphrase: `PASSPHRASE_LEN` characters drawn uniformly from the kernel's random source.
pub fn new_passphrase() -> String {
    let mut out = String::with_capacity(PASSPHRASE_LEN);
    while out.len() < PASSPHRASE_LEN {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).expect("the kernel's random source is available");
        // 248 = 4 × 62: bytes above it would favour the first letters.
        if byte[0] < 248 {
            out.push(PASSPHRASE_ALPHABET[(byte[0] % 62) as usize] as char);
        }
    }
    out
}

/// Whether `text` could be a passphrase at all (so that nothing else reaches the database).
pub fn is_passphrase_shaped(text: &str) -> bool {
    (8..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The link a request names by `passphrase`; nothing that cannot be a passphrase reaches the database.
async fn link_named(db: &Db, passphrase: &str) -> Result<Option<ShareLink>, Error> {
    if !is_passphrase_shaped(passphrase) {
        return Ok(None);
    }
    let wanted = passphrase.to_string();
    Ok(db.call(move |db| db.link_by_passphrase(&wanted)).await?)
}

/// An Argon2id hash of a link's password, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("random: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(format!("salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hash: {e}")))
}

fn password_matches(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Who holds a link on one call: the passphrase they name (header or parameter), their sharing session, the
/// signed-in user if any, and their address.
pub struct Holder<'a> {
    pub passphrase: Option<&'a str>,
    pub share_sid: Option<&'a str>,
    pub user: Option<&'a User>,
    pub ip: IpAddr,
}

/// What a link gives its holder on this call: the link's public role, once its password was given in this
/// sharing session from this address, and an invitee's (or the owner's) own role. A link that is unknown, or
/// gives this holder nothing, is not found, exactly like one that never existed.
pub async fn grant(db: &Db, config: &Config, holder: Holder<'_>) -> Result<LinkGrant, Error> {
    let not_found = || Error::NotFound("share link".into());
    let sessions = match holder.share_sid {
        Some(sid) => {
            let sid = sid.to_string();
            db.call(move |db| db.share_session_links(&sid, SESSION_MAX_AGE_SECS)).await?
        }
        None => Vec::new(),
    };
    let ip = holder.ip.to_string();
    let opened: Vec<i64> = sessions.iter().filter(|(_, at)| *at == ip).map(|(id, _)| *id).collect();
    let link = match holder.passphrase {
        Some(p) => link_named(db, p).await?,
        // Only the cookie: the link this session opened last.
        None => match opened.first() {
            Some(&id) => db.call(move |db| db.link(id)).await?,
            None => None,
        },
    };
    let link = link.ok_or_else(not_found)?;
    // A link whose owner is gone, or may no longer use Photos, shares nothing.
    let owner = uzers::get_user_by_uid(link.owner_uid)
        .filter(|u| crate::spaces::may_use_photos(&config.spaces, u))
        .map(|u| User::from_system(&u, &config.auth.admin_group))
        .ok_or_else(not_found)?;
    let public = match link.is_live(now()) && (link.password.is_none() || opened.contains(&link.id)) {
        true => link.public_role,
        false => Role::None,
    };
    let own = match holder.user {
        Some(user) if user.uid == link.owner_uid => Role::Manage,
        Some(user) => invitee_role(db, &link, user).await?,
        None => Role::None,
    };
    let role = public.max(own);
    if role == Role::None {
        return Err(not_found());
    }
    Ok(LinkGrant { link, role, user: holder.user.cloned(), owner })
}

/// The best role a link's invitees give a user, by name or through a group.
async fn invitee_role(db: &Db, link: &ShareLink, user: &User) -> Result<Role, Error> {
    let id = link.id;
    let members = db.call(move |db| db.link_members(id)).await?;
    Ok(members
        .iter()
        .filter(|(member, _)| match member {
            Member::User(uid) => *uid == user.uid,
            Member::Group(gid) => user.groups.contains(gid),
            Member::Everyone => false,
        })
        .map(|(_, role)| *role)
        .max()
        .unwrap_or(Role::None))
}

/// `SYNO.Core.Sharing.Login`: opens a public link in sharing session `sid` (a new one when `None`), after its
/// password if it has one. A wrong password counts against the link from this address and against the address;
/// past the guard's limit both are refused for a while, the right password too. An empty password is not a
/// guess (a visitor's first try, to learn that the link wants one) and is not counted.
pub async fn login(
    db: &Db,
    guard: &LoginGuard,
    passphrase: &str,
    password: &str,
    sid: Option<String>,
    ip: IpAddr,
) -> Result<(String, ShareLink), Error> {
    let link = link_named(db, passphrase)
        .await?
        .filter(|l| l.is_live(now()) && l.public_role > Role::None)
        .ok_or_else(|| Error::NotFound("share link".into()))?;
    if let Some(hash) = link.password.clone() {
        if password.is_empty() || password.len() > 1024 {
            return Err(Error::BadCredentials);
        }
        let counter = format!("{}@{ip}", link.id);
        if !guard.attempt(ip, &counter) {
            tracing::warn!(%ip, link = link.id, "share link password refused: too many wrong ones");
            return Err(Error::Blocked);
        }
        let given = password.to_string();
        if !super::blocking(move || Ok::<_, Error>(password_matches(&hash, &given))).await? {
            tracing::info!(%ip, link = link.id, "wrong share link password");
            return Err(Error::BadCredentials);
        }
        guard.succeeded(ip, &counter);
    }
    // Always a new session id (one a client brings could have been planted), holding the links its old one had
    // opened from this address.
    let new_sid = super::random_token(24);
    let (s, id, at) = (new_sid.clone(), link.id, ip.to_string());
    db.call(move |db| {
        db.expire_share_sessions(SESSION_MAX_AGE_SECS)?;
        let carried = match &sid {
            Some(old) => db.share_session_links(old, SESSION_MAX_AGE_SECS)?,
            None => Vec::new(),
        };
        for (opened, from) in carried.iter().rev().filter(|(_, from)| *from == at) {
            db.open_share_session(&s, *opened, from)?;
        }
        db.open_share_session(&s, id, &at)
    })
    .await?;
    Ok((new_sid, link))
}

/// What a link is made for.
pub enum Target {
    Album(i64),
    Folder(i64),
    /// A selection: Synology shares it through a temporary album holding those items.
    Items(Vec<i64>),
}

/// `Sharing.Passphrase set_shared`: the link of an album (its owner's) or a folder (for who manages it), made on
/// first use and kept after, so that turning it off and on again keeps its passphrase and its invitees. A
/// selection gets a new temporary album and link each time.
pub async fn set_shared(access: &SpaceAccess, target: Target, enabled: bool) -> Result<ShareLink, Error> {
    let db = access.db();
    let owner = access.album_owner()?;
    let (kind, album_id, folder_id) = match target {
        Target::Album(id) => (LinkKind::Album, Some(access.album(id).await?.id), None),
        Target::Folder(id) => {
            let folder = access.folder(id).await?;
            access.require(&folder.path, Role::Manage)?;
            (LinkKind::Folder, None, Some(folder.id))
        }
        Target::Items(ids) => {
            for id in &ids {
                access.item(*id).await?;
            }
            let space_id = access.space.id;
            let (album, _) = db.call(move |db| db.create_album(owner, space_id, "", &ids, true)).await?;
            (LinkKind::Album, Some(album), None)
        }
    };
    let target_id = album_id.or(folder_id).unwrap_or_default();
    let mut link = match db.call(move |db| db.links_of(kind, &[target_id])).await?.pop() {
        Some(link) => link,
        None => {
            let (passphrase, space_id) = (new_passphrase(), access.space.id);
            let new = move |db: &Db| {
                db.create_link(&NewLink {
                    passphrase: &passphrase,
                    kind,
                    owner_uid: owner,
                    space_id,
                    album_id,
                    folder_id,
                    public_role: Role::View,
                })
            };
            db.call(new).await?
        }
    };
    link.enabled = enabled;
    let saved = link.clone();
    db.call(move |db| db.update_link(&saved)).await?;
    tracing::info!(user = access.who(), link = link.id, kind = kind.as_str(), enabled, "share link set");
    Ok(link)
}

/// A photo request into a folder the principal may upload to, or into an album of theirs: anyone holding it may
/// add files there, and see none.
pub async fn create_request(
    access: &SpaceAccess,
    target: Target,
    name: &str,
    description: &str,
) -> Result<ShareLink, Error> {
    let owner = access.album_owner()?;
    let (album_id, folder_id) = match target {
        Target::Album(id) => match access.album(id).await? {
            // A condition album holds what its condition matches: no request can add to it.
            AlbumRow { condition: Some(_), .. } => return Err(Error::BadParameter("album_id".into())),
            album => (Some(album.id), None),
        },
        Target::Folder(id) => {
            let folder = access.folder(id).await?;
            access.require(&folder.path, Role::Upload)?;
            (None, Some(folder.id))
        }
        Target::Items(_) => return Err(Error::BadParameter("target".into())),
    };
    let (passphrase, space_id) = (new_passphrase(), access.space.id);
    let (name, description) = (name.to_string(), description.to_string());
    let link = access
        .db()
        .call(move |db| {
            let mut link = db.create_link(&NewLink {
                passphrase: &passphrase,
                kind: LinkKind::Request,
                owner_uid: owner,
                space_id,
                album_id,
                folder_id,
                public_role: Role::Upload,
            })?;
            link.name = name;
            link.description = description;
            db.update_link(&link)?;
            Ok(link)
        })
        .await?;
    tracing::info!(user = access.who(), link = link.id, "photo request made");
    Ok(link)
}

/// A link of this space that the principal may change: an album's or a request's, by their owner; a folder's, by
/// who manages the folder. Any other passphrase is not found.
pub async fn link_to_manage(access: &SpaceAccess, passphrase: &str) -> Result<ShareLink, Error> {
    let not_found = || Error::NotFound("share link".into());
    let link = link_named(access.db(), passphrase).await?;
    let link = link.filter(|l| l.space_id == access.space.id).ok_or_else(not_found)?;
    let allowed = match (link.kind, link.folder_id) {
        (LinkKind::Folder, Some(id)) => {
            let folder = access.folder(id).await?;
            access.require(&folder.path, Role::Manage).is_ok()
        }
        _ => access.album_owner().is_ok_and(|uid| uid == link.owner_uid),
    };
    allowed.then_some(link).ok_or_else(not_found)
}

/// One change to a link's permissions, as `Sharing.Passphrase update` sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionChange {
    /// What anyone with the link may do (`Role::None`: only invitees).
    Public(Role),
    /// An invitee's role (`Role::None`: removed).
    Member(Member, Role),
}

/// Applies permission changes to a link: its public role and its invitees (users and groups this system knows).
/// Invitees get at most manage; a link's public side at most upload. Removal takes effect on the next call.
pub async fn change_permissions(db: &Db, link: &mut ShareLink, changes: &[PermissionChange]) -> Result<(), Error> {
    let id = link.id;
    let mut members = db.call(move |db| db.link_members(id)).await?;
    for change in changes {
        match *change {
            PermissionChange::Public(role) if role <= Role::Upload => link.public_role = role,
            PermissionChange::Public(_) => return Err(Error::BadParameter("permission".into())),
            PermissionChange::Member(member, role) => {
                let known = match member {
                    Member::User(uid) => uzers::get_user_by_uid(uid).is_some() && uid != link.owner_uid,
                    Member::Group(gid) => uzers::get_group_by_gid(gid).is_some(),
                    Member::Everyone => false,
                };
                if !known {
                    return Err(Error::BadParameter("member".into()));
                }
                members.retain(|(m, _)| *m != member);
                if role > Role::None {
                    members.push((member, role));
                }
            }
        }
    }
    let (saved, members) = (link.clone(), members);
    db.call(move |db| {
        db.update_link(&saved)?;
        db.set_link_members(saved.id, &members)
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrases_are_long_random_and_from_62_characters() {
        let many: std::collections::HashSet<String> = (0..2000).map(|_| new_passphrase()).collect();
        assert_eq!(many.len(), 2000, "no repeats");
        assert!(many.iter().all(|p| p.len() == PASSPHRASE_LEN && is_passphrase_shaped(p)));
        let used: std::collections::HashSet<char> = many.iter().flat_map(|p| p.chars()).collect();
        assert_eq!(used.len(), 62, "every letter and digit turns up");
        assert!(!is_passphrase_shaped("../../etc") && !is_passphrase_shaped("short"));
    }

    #[test]
    fn passwords_are_stored_as_argon2id_hashes() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$") && !hash.contains("correct"));
        assert!(password_matches(&hash, "correct horse"));
        assert!(!password_matches(&hash, "correct horsf"));
        assert!(!password_matches("not a hash", "correct horse"));
    }
}
