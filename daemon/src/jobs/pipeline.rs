//! The chain of work for a file, in one place: what runs after each job. Later stages (thumbnails, geocoding,
//! faces, subjects, transcodes) are added here and nowhere else.

use crate::db::NewJob;

/// Job kinds and their priorities (lower runs first).
pub const IMPORT: &str = "import";
pub const PURGE: &str = "purge";
const IMPORT_PRIORITY: i64 = 10;
const PURGE_PRIORITY: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportPayload {
    pub space: i64,
    pub root: String,
    /// Relative to the space root.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PurgePayload {
    pub space: i64,
    pub root: String,
}

pub fn import(space: i64, root: &str, path: &str) -> NewJob {
    let payload = ImportPayload { space, root: root.to_string(), path: path.to_string() };
    NewJob {
        kind: IMPORT,
        key: format!("{space}:{path}"),
        payload: serde_json::to_string(&payload).expect("payload serialises"),
        priority: IMPORT_PRIORITY,
    }
}

/// Deletes what a reconcile scan found missing, once every import that could adopt it has run.
pub fn purge(space: i64, root: &str) -> NewJob {
    let payload = PurgePayload { space, root: root.to_string() };
    NewJob {
        kind: PURGE,
        key: space.to_string(),
        payload: serde_json::to_string(&payload).expect("payload serialises"),
        priority: PURGE_PRIORITY,
    }
}

/// What follows a finished job. An import of a file is the end of the chain for now; the thumbnail stage
/// (issue 3) starts here.
pub fn next(_kind: &str, _item_id: Option<i64>) -> Vec<NewJob> {
    Vec::new()
}
