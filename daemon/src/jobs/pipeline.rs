//! The chain of work for a file, in one place: what runs after each job. Later stages (thumbnails, geocoding,
//! faces, subjects, transcodes) are added here and nowhere else.

use crate::db::NewJob;

/// Job kinds and their priorities (lower runs first).
pub const IMPORT: &str = "import";
pub const PURGE: &str = "purge";
pub const THUMBS: &str = "thumbs";
pub const TRANSCODE: &str = "transcode";
const IMPORT_PRIORITY: i64 = 10;
// Thumbnails after imports: the library first shows every file (with placeholders), then fills them in.
const THUMBS_PRIORITY: i64 = 20;
// Transcodes last: they take minutes each and run one at a time.
const TRANSCODE_PRIORITY: i64 = 50;
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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemPayload {
    pub item: i64,
}

pub fn thumbs(item: i64) -> NewJob {
    NewJob {
        kind: THUMBS,
        key: item.to_string(),
        payload: serde_json::to_string(&ItemPayload { item }).expect("payload serialises"),
        priority: THUMBS_PRIORITY,
    }
}

pub fn transcode(item: i64) -> NewJob {
    NewJob {
        kind: TRANSCODE,
        key: item.to_string(),
        payload: serde_json::to_string(&ItemPayload { item }).expect("payload serialises"),
        priority: TRANSCODE_PRIORITY,
    }
}

/// What follows a finished job: the whole chain for a file, in one place.
/// import → thumbs → transcode (which does nothing for photos and for videos browsers play as they are)
pub fn next(kind: &str, item_id: Option<i64>) -> Vec<NewJob> {
    match (kind, item_id) {
        (IMPORT, Some(item)) => vec![thumbs(item)],
        (THUMBS, Some(item)) => vec![transcode(item)],
        _ => Vec::new(),
    }
}
