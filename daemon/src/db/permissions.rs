//! Stored Shared Space folder permissions (table `folder_permission`), keyed by folder path; what they mean is
//! `service::permissions`.

use rusqlite::params;

use super::{Db, DbError};
use crate::domain::{Member, Role, Rule};

impl Db {
    /// Every rule of a space.
    pub fn folder_rules(&self, space_id: i64) -> Result<Vec<Rule>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT path, member_type, member_id, role FROM folder_permission WHERE space_id = ?1
             ORDER BY path, member_type, member_id",
        )?;
        let rows = stmt.query_map([space_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut rules = Vec::new();
        for row in rows {
            let (path, kind, id, role) = row?;
            // The CHECK constraints keep both readable; a row that is not would be skipped, never widen access.
            if let (Some(member), Some(role)) = (Member::from_parts(&kind, id), Role::parse(&role)) {
                rules.push(Rule { path, member, role });
            }
        }
        Ok(rules)
    }

    /// Replaces the rules of one folder; none at all makes it inherit its parent's again.
    pub fn set_folder_rules(&self, space_id: i64, path: &str, rules: &[(Member, Role)]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM folder_permission WHERE space_id = ?1 AND path = ?2", params![space_id, path])?;
        for (member, role) in rules {
            tx.execute(
                "INSERT INTO folder_permission (space_id, path, member_type, member_id, role) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO UPDATE SET role = excluded.role",
                params![space_id, path, member.kind(), member.id(), role.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
