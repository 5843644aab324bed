//! Login sessions: created at login, looked up on every call, touched at most once a minute (so reads stay
//! reads), and expired after the idle timeout or the maximum age.

use rusqlite::{params, OptionalExtension};

use super::{now, Db, DbError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub syno_token: String,
    pub uid: u32,
    pub user_name: String,
    pub created_at: i64,
    pub last_seen: i64,
    /// The account's credential at login (`ffi::credential_stamp`), when photosd could read it.
    pub credential: Option<String>,
}

fn key(sid: &str) -> String {
    blake3::hash(sid.as_bytes()).to_hex().to_string()
}

impl Db {
    pub fn create_session(
        &self,
        sid: &str,
        token: &str,
        user: (u32, &str),
        ip: &str,
        credential: Option<&str>,
    ) -> Result<(), DbError> {
        let t = now();
        self.lock().execute(
            "INSERT INTO session (sid_hash, syno_token, uid, user_name, client_ip, created_at, last_seen, credential)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
            params![key(sid), token, user.0, user.1, ip, t, credential],
        )?;
        Ok(())
    }

    /// The session, if it exists and is within `idle_secs` of its last use and `max_age_secs` of its creation.
    /// An expired one is deleted and reported as such, so the caller can say "timed out" (106), not "unknown".
    pub fn session(&self, sid: &str, idle_secs: i64, max_age_secs: i64) -> Result<SessionLookup, DbError> {
        let conn = self.lock();
        let found = conn
            .query_row(
                "SELECT syno_token, uid, user_name, created_at, last_seen, credential FROM session WHERE sid_hash = ?1",
                [key(sid)],
                |r| {
                    Ok(Session {
                        syno_token: r.get(0)?,
                        uid: r.get(1)?,
                        user_name: r.get(2)?,
                        created_at: r.get(3)?,
                        last_seen: r.get(4)?,
                        credential: r.get(5)?,
                    })
                },
            )
            .optional()?;
        let Some(session) = found else { return Ok(SessionLookup::Unknown) };
        let t = now();
        if t - session.last_seen > idle_secs || t - session.created_at > max_age_secs {
            conn.execute("DELETE FROM session WHERE sid_hash = ?1", [key(sid)])?;
            return Ok(SessionLookup::Expired);
        }
        if t - session.last_seen >= 60 {
            conn.execute("UPDATE session SET last_seen = ?2 WHERE sid_hash = ?1", params![key(sid), t])?;
        }
        Ok(SessionLookup::Valid(session))
    }

    pub fn delete_session(&self, sid: &str) -> Result<bool, DbError> {
        Ok(self.lock().execute("DELETE FROM session WHERE sid_hash = ?1", [key(sid)])? > 0)
    }

    /// Deletes sessions idle longer than `idle_secs`; returns how many.
    pub fn expire_sessions(&self, idle_secs: i64) -> Result<usize, DbError> {
        Ok(self.lock().execute("DELETE FROM session WHERE last_seen < ?1", [now() - idle_secs])?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionLookup {
    Valid(Session),
    Expired,
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_found_by_sid_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        db.create_session("secret-sid", "tok", (1001, "alice"), "127.0.0.1", None).unwrap();
        let stored: String = db.lock().query_row("SELECT sid_hash FROM session", [], |r| r.get(0)).unwrap();
        assert_ne!(stored, "secret-sid", "only a hash is stored");
        match db.session("secret-sid", 60, 3600).unwrap() {
            SessionLookup::Valid(s) => {
                assert_eq!((s.uid, s.user_name.as_str(), s.syno_token.as_str()), (1001, "alice", "tok"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(db.session("other", 60, 3600).unwrap(), SessionLookup::Unknown);
        db.lock().execute("UPDATE session SET last_seen = last_seen - 120", []).unwrap();
        assert_eq!(db.session("secret-sid", 60, 3600).unwrap(), SessionLookup::Expired);
        assert_eq!(db.session("secret-sid", 60, 3600).unwrap(), SessionLookup::Unknown, "deleted once expired");
    }
}
