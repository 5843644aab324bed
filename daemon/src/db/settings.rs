//! A user's preferences (`user_setting`): stored as JSON values by name; what names and values are allowed is the
//! API's to say (`api/setting.rs`).

use rusqlite::params;

use super::{Db, DbError};

impl Db {
    /// Every preference `uid` has set, by name.
    pub fn user_settings(&self, uid: u32) -> Result<Vec<(String, serde_json::Value)>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT key, value FROM user_setting WHERE uid = ?1 ORDER BY key")?;
        let rows = stmt.query_map([uid], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let stored = rows.collect::<Result<Vec<_>, _>>()?;
        Ok(stored.into_iter().filter_map(|(key, value)| Some((key, serde_json::from_str(&value).ok()?))).collect())
    }

    /// Sets some of `uid`'s preferences at once.
    pub fn set_user_settings(&self, uid: u32, settings: &[(&str, serde_json::Value)]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for (key, value) in settings {
            tx.execute(
                "INSERT INTO user_setting (uid, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (uid, key) DO UPDATE SET value = excluded.value",
                params![uid, key, value.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
