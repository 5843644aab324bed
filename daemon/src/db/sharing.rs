//! Share links, their invitees and the sharing sessions of password links (migration 0014). What a link lets
//! someone do is `service::sharing`'s and `service::access`'s business; this module only stores it.

use rusqlite::{params, OptionalExtension, Row};

use super::{now, Db, DbError};
use crate::domain::{Member, Role};

/// What a link shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// An album (or a selection, as a temporary album), with its items.
    Album,
    /// A folder and everything under it.
    Folder,
    /// A photo request: anyone with it may add files to a folder or album, and see none.
    Request,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Album => "album",
            LinkKind::Folder => "folder",
            LinkKind::Request => "request",
        }
    }

    fn parse(text: &str) -> LinkKind {
        match text {
            "album" => LinkKind::Album,
            "folder" => LinkKind::Folder,
            _ => LinkKind::Request,
        }
    }
}

/// One share link, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    pub id: i64,
    pub passphrase: String,
    pub kind: LinkKind,
    pub owner_uid: u32,
    pub space_id: i64,
    pub album_id: Option<i64>,
    pub folder_id: Option<i64>,
    pub enabled: bool,
    /// What anyone holding the link may do; `Role::None`: only its invitees.
    pub public_role: Role,
    /// The password's Argon2id hash, when it has one.
    pub password: Option<String>,
    /// Unix time after which the link is gone; 0: never.
    pub expires_at: i64,
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

impl ShareLink {
    /// Whether it answers at all at `at`: enabled and not expired.
    pub fn is_live(&self, at: i64) -> bool {
        self.enabled && (self.expires_at == 0 || at < self.expires_at)
    }
}

/// A link to make: its kind, owner, space, and the album or folder it is for.
pub struct NewLink<'a> {
    pub passphrase: &'a str,
    pub kind: LinkKind,
    pub owner_uid: u32,
    pub space_id: i64,
    pub album_id: Option<i64>,
    pub folder_id: Option<i64>,
    pub public_role: Role,
}

const COLUMNS: &str = "id, passphrase, kind, owner_uid, space_id, album_id, folder_id, enabled, public_role, password,
                       expires_at, name, description, created_at";

fn link_row(r: &Row) -> rusqlite::Result<ShareLink> {
    Ok(ShareLink {
        id: r.get(0)?,
        passphrase: r.get(1)?,
        kind: LinkKind::parse(&r.get::<_, String>(2)?),
        owner_uid: r.get(3)?,
        space_id: r.get(4)?,
        album_id: r.get(5)?,
        folder_id: r.get(6)?,
        enabled: r.get(7)?,
        public_role: Role::parse(&r.get::<_, String>(8)?).unwrap_or(Role::None),
        password: r.get(9)?,
        expires_at: r.get(10)?,
        name: r.get(11)?,
        description: r.get(12)?,
        created_at: r.get(13)?,
    })
}

fn session_key(sid: &str) -> String {
    blake3::hash(sid.as_bytes()).to_hex().to_string()
}

impl Db {
    /// Stores a new link and returns it.
    pub fn create_link(&self, new: &NewLink) -> Result<ShareLink, DbError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO share_link (passphrase, kind, owner_uid, space_id, album_id, folder_id, public_role,
                                     created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                new.passphrase,
                new.kind.as_str(),
                new.owner_uid,
                new.space_id,
                new.album_id,
                new.folder_id,
                new.public_role.as_str(),
                now()
            ],
        )?;
        let id = conn.last_insert_rowid();
        Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM share_link WHERE id = ?1"), [id], link_row)?)
    }

    pub fn link_by_passphrase(&self, passphrase: &str) -> Result<Option<ShareLink>, DbError> {
        let conn = self.read();
        Ok(conn
            .query_row(&format!("SELECT {COLUMNS} FROM share_link WHERE passphrase = ?1"), [passphrase], link_row)
            .optional()?)
    }

    pub fn link(&self, id: i64) -> Result<Option<ShareLink>, DbError> {
        let conn = self.read();
        Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM share_link WHERE id = ?1"), [id], link_row).optional()?)
    }

    /// The links of these albums or folders (never requests'), one at most for each.
    pub fn links_of(&self, kind: LinkKind, target_ids: &[i64]) -> Result<Vec<ShareLink>, DbError> {
        let column = if kind == LinkKind::Folder { "folder_id" } else { "album_id" };
        let ids = serde_json::to_string(target_ids).unwrap_or_else(|_| "[]".into());
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM share_link WHERE kind = ?1 AND {column} IN (SELECT value FROM json_each(?2))"
        ))?;
        let rows = stmt.query_map(params![kind.as_str(), ids], link_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A user's links of one kind, newest first.
    pub fn links_of_owner(&self, owner_uid: u32, kind: LinkKind) -> Result<Vec<ShareLink>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM share_link WHERE owner_uid = ?1 AND kind = ?2 ORDER BY created_at DESC, id DESC"
        ))?;
        let rows = stmt.query_map(params![owner_uid, kind.as_str()], link_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Saves what can change about a link: enabled, public role, password, expiry, name and description. A new
    /// password (or its removal) ends the sharing sessions opened with the old one.
    pub fn update_link(&self, link: &ShareLink) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let old: Option<String> =
            tx.query_row("SELECT password FROM share_link WHERE id = ?1", [link.id], |r| r.get(0))?;
        tx.execute(
            "UPDATE share_link SET enabled = ?2, public_role = ?3, password = ?4, expires_at = ?5, name = ?6,
                                   description = ?7
             WHERE id = ?1",
            params![
                link.id,
                link.enabled,
                link.public_role.as_str(),
                link.password,
                link.expires_at,
                link.name,
                link.description
            ],
        )?;
        if old != link.password {
            tx.execute("DELETE FROM share_session WHERE link_id = ?1", [link.id])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn delete_link(&self, id: i64) -> Result<(), DbError> {
        self.lock().execute("DELETE FROM share_link WHERE id = ?1", [id])?;
        Ok(())
    }

    /// A link's invitees and their roles.
    pub fn link_members(&self, link_id: i64) -> Result<Vec<(Member, Role)>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT member_type, member_id, role FROM share_member WHERE link_id = ?1 ORDER BY member_type, member_id",
        )?;
        let rows =
            stmt.query_map([link_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?)))?;
        let mut members = Vec::new();
        for row in rows {
            let (kind, id, role) = row?;
            if let (Some(member), Some(role)) = (Member::from_parts(&kind, id), Role::parse(&role)) {
                members.push((member, role));
            }
        }
        Ok(members)
    }

    /// Replaces a link's invitees.
    pub fn set_link_members(&self, link_id: i64, members: &[(Member, Role)]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM share_member WHERE link_id = ?1", [link_id])?;
        for (member, role) in members {
            tx.execute(
                "INSERT OR REPLACE INTO share_member (link_id, member_type, member_id, role) VALUES (?1, ?2, ?3, ?4)",
                params![link_id, member.kind(), member.id(), role.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The links of albums and folders a user is invited to, directly or through one of `groups`, with the best
    /// role they are given; links of their own are not among them.
    pub fn links_shared_with(&self, uid: u32, groups: &[u32]) -> Result<Vec<(ShareLink, Role)>, DbError> {
        let groups = serde_json::to_string(groups).unwrap_or_else(|_| "[]".into());
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, (SELECT group_concat(m.role) FROM share_member m WHERE m.link_id = l.id AND
                     ((m.member_type = 'user' AND m.member_id = ?1) OR
                      (m.member_type = 'group' AND m.member_id IN (SELECT value FROM json_each(?2)))))
             FROM share_link l WHERE l.kind <> 'request' AND l.owner_uid <> ?1
             ORDER BY l.created_at DESC, l.id DESC"
        ))?;
        let rows = stmt.query_map(params![uid, groups], |r| Ok((link_row(r)?, r.get::<_, Option<String>>(14)?)))?;
        let mut shared = Vec::new();
        for row in rows {
            let (link, roles) = row?;
            let best = roles.iter().flat_map(|r| r.split(',')).filter_map(Role::parse).max();
            if let Some(role) = best.filter(|r| *r > Role::None) {
                shared.push((link, role));
            }
        }
        Ok(shared)
    }

    /// Records that sharing session `sid` opened `link_id` from `ip`.
    pub fn open_share_session(&self, sid: &str, link_id: i64, ip: &str) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT OR REPLACE INTO share_session (sid_hash, link_id, client_ip, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![session_key(sid), link_id, ip, now()],
        )?;
        Ok(())
    }

    /// The links sharing session `sid` opened within `max_age_secs`, the latest first, each with the address it
    /// was opened from.
    pub fn share_session_links(&self, sid: &str, max_age_secs: i64) -> Result<Vec<(i64, String)>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT link_id, client_ip FROM share_session WHERE sid_hash = ?1 AND created_at > ?2
             ORDER BY created_at DESC",
        )?;
        let rows = stmt.query_map(params![session_key(sid), now() - max_age_secs], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets sharing sessions older than `max_age_secs`.
    pub fn expire_share_sessions(&self, max_age_secs: i64) -> Result<usize, DbError> {
        Ok(self.lock().execute("DELETE FROM share_session WHERE created_at <= ?1", [now() - max_age_secs])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SpaceKind;

    #[test]
    fn links_members_and_sessions_are_stored_and_end_with_their_album() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let space = db.ensure_space(SpaceKind::Personal, Some((1001, "alice")), "/home/alice/Photos", true).unwrap();
        let (album, _) = db.create_album(1001, space.id, "Trip", &[], false).unwrap();
        let new = NewLink {
            passphrase: "AbCdEfGhIjKlMnOp",
            kind: LinkKind::Album,
            owner_uid: 1001,
            space_id: space.id,
            album_id: Some(album),
            folder_id: None,
            public_role: Role::View,
        };
        let mut link = db.create_link(&new).unwrap();
        assert_eq!(db.link_by_passphrase("AbCdEfGhIjKlMnOp").unwrap().unwrap(), link);
        assert_eq!(db.links_of(LinkKind::Album, &[album]).unwrap()[0].id, link.id);
        assert!(db.create_link(&NewLink { passphrase: "other", ..new }).is_err(), "one link per album");

        db.set_link_members(link.id, &[(Member::User(1002), Role::Download), (Member::Group(100), Role::Manage)])
            .unwrap();
        assert_eq!(db.links_shared_with(1002, &[]).unwrap()[0].1, Role::Download);
        assert_eq!(db.links_shared_with(1002, &[100]).unwrap()[0].1, Role::Manage, "the best of user and group");
        assert!(db.links_shared_with(1003, &[]).unwrap().is_empty());
        assert!(
            db.links_shared_with(1001, &[100]).unwrap().is_empty(),
            "the owner's own links are not shared with them"
        );

        db.open_share_session("sid", link.id, "192.0.2.1").unwrap();
        assert_eq!(db.share_session_links("sid", 3600).unwrap(), vec![(link.id, "192.0.2.1".to_string())]);
        link.expires_at = 1;
        db.update_link(&link).unwrap();
        assert_eq!(db.share_session_links("sid", 3600).unwrap().len(), 1, "the same password keeps sessions");
        link.password = Some("$argon2id$…".into());
        db.update_link(&link).unwrap();
        assert!(db.share_session_links("sid", 3600).unwrap().is_empty(), "a new password ends them");
        assert!(!db.link(link.id).unwrap().unwrap().is_live(now()));

        db.delete_albums(1001, &[album]).unwrap();
        assert!(db.link(link.id).unwrap().is_none(), "deleting the album ends its link");
        assert!(db.links_shared_with(1002, &[]).unwrap().is_empty());
    }
}
