//! The chain of work for a file, in one place: the kinds of job (one `Job` variant per stage), their priorities
//! and lanes as data, and `next`, which sees the item a job produced and queues only what that item needs. Later
//! stages (geocoding, subjects) are added here and nowhere else.

use serde::{Deserialize, Serialize};

use crate::db::NewJob;
use crate::media::MediaKind;

/// One piece of work. Stored in the queue as its kind, a key (the same work queued twice is one job) and its
/// payload as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Read a file (in a worker) and store what it holds.
    Import(FileRef),
    /// Delete what a reconcile scan found missing, once every import that could adopt it has run.
    Purge(SpaceRef),
    /// Render an item's thumbnails.
    Thumbs(ItemRef),
    /// Make a browser-playable copy of a video.
    Transcode(ItemRef),
    /// Find the faces in an item's thumbnail and group them into persons.
    Faces(ItemRef),
    /// Classify an item's thumbnail: its subjects (dog, beach, document...).
    Subjects(ItemRef),
    /// Group every face of a space again (what the user named or corrected stays).
    Regroup(SpaceRef),
    /// Place every item of a space that has a position and no place yet (country, state, county, city).
    Geocode(SpaceId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub space: i64,
    pub root: String,
    /// Relative to the space root.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceRef {
    pub space: i64,
    pub root: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceId {
    pub space: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    pub item: i64,
}

/// Which loops of the runner take a kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Seconds each: imports, thumbnails, purges; two loops per worker.
    Quick,
    /// Minutes to hours each: transcodes, in loops of their own, so they never hold up the rest.
    Long,
    /// The networks (faces, subjects): one loop for the one ML worker, so it never holds up thumbnails and
    /// clustering places one face at a time.
    Ml,
}

/// A kind of job as data: its name in the queue, its priority (lower runs first) and its lane.
pub struct Stage {
    pub kind: &'static str,
    pub priority: i64,
    pub lane: Lane,
}

pub const IMPORT: Stage = Stage { kind: "import", priority: 10, lane: Lane::Quick };
/// Right after imports: microseconds per item, and the Places album fills while thumbnails are made.
pub const GEOCODE: Stage = Stage { kind: "geocode", priority: 15, lane: Lane::Quick };
/// After imports: the library first shows every file (with placeholders), then fills them in.
pub const THUMBS: Stage = Stage { kind: "thumbs", priority: 20, lane: Lane::Quick };
/// After thumbnails (it reads the `xl` one), in a lane of its own.
pub const FACES: Stage = Stage { kind: "faces", priority: 30, lane: Lane::Ml };
/// After faces, in their lane (it reads the `m` thumbnail).
pub const SUBJECTS: Stage = Stage { kind: "subjects", priority: 35, lane: Lane::Ml };
/// After the faces found so far, in their lane: every face of a space at once.
pub const REGROUP: Stage = Stage { kind: "regroup", priority: 40, lane: Lane::Ml };
/// Last: they take minutes each and run one at a time.
pub const TRANSCODE: Stage = Stage { kind: "transcode", priority: 50, lane: Lane::Long };
/// Waits for every import (`BARRIER`), then runs after all else.
pub const PURGE: Stage = Stage { kind: "purge", priority: 100, lane: Lane::Quick };
pub const STAGES: [&Stage; 8] = [&IMPORT, &GEOCODE, &THUMBS, &FACES, &SUBJECTS, &REGROUP, &TRANSCODE, &PURGE];
/// A job of the first kind waits until no job of the second is queued or running: the purge after a reconcile
/// must not delete items that a pending import could still adopt.
pub const BARRIER: (&Stage, &Stage) = (&PURGE, &IMPORT);

/// The kinds of job a lane runs.
pub fn kinds_of(lane: Lane) -> Vec<&'static str> {
    STAGES.iter().filter(|s| s.lane == lane).map(|s| s.kind).collect()
}

/// What the pipeline knows of the item a job produced or worked on, to decide what it needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemFacts {
    pub id: i64,
    pub kind: MediaKind,
    /// A video that browsers cannot play as it is, in a library that makes playable copies.
    pub needs_transcode: bool,
    /// The library finds faces (its models are there); the job itself skips spaces with People off.
    pub finds_faces: bool,
    /// The library finds subjects (its model is there); the job skips spaces with People (and Subjects) off.
    pub finds_subjects: bool,
    /// The space of an item with a position, in a library that makes places (the geocoder's data is there).
    pub to_place: Option<i64>,
}

/// What follows a finished job, for the item it produced: the whole chain for a file, in one place.
/// import → geocode (its space's, for an item with a position) and thumbs → faces and subjects (when the library
/// finds them) and transcode (only for a video that needs one)
pub fn next(job: &Job, item: Option<&ItemFacts>) -> Vec<Job> {
    let Some(item) = item else { return Vec::new() };
    match job {
        Job::Import(_) => {
            let place = item.to_place.map(Job::geocode);
            place.into_iter().chain([Job::Thumbs(ItemRef { item: item.id })]).collect()
        }
        Job::Thumbs(_) => {
            let mut next = Vec::new();
            if item.finds_faces {
                next.push(Job::faces(item.id));
            }
            if item.finds_subjects {
                next.push(Job::subjects(item.id));
            }
            if item.kind == MediaKind::Video && item.needs_transcode {
                next.push(Job::transcode(item.id));
            }
            next
        }
        _ => Vec::new(),
    }
}

impl Job {
    pub fn import(space: i64, root: &str, path: &str) -> Job {
        Job::Import(FileRef { space, root: root.to_string(), path: path.to_string() })
    }

    pub fn purge(space: i64, root: &str) -> Job {
        Job::Purge(SpaceRef { space, root: root.to_string() })
    }

    pub fn thumbs(item: i64) -> Job {
        Job::Thumbs(ItemRef { item })
    }

    pub fn transcode(item: i64) -> Job {
        Job::Transcode(ItemRef { item })
    }

    pub fn faces(item: i64) -> Job {
        Job::Faces(ItemRef { item })
    }

    pub fn subjects(item: i64) -> Job {
        Job::Subjects(ItemRef { item })
    }

    pub fn regroup(space: i64, root: &str) -> Job {
        Job::Regroup(SpaceRef { space, root: root.to_string() })
    }

    pub fn geocode(space: i64) -> Job {
        Job::Geocode(SpaceId { space })
    }

    pub fn stage(&self) -> &'static Stage {
        match self {
            Job::Import(_) => &IMPORT,
            Job::Purge(_) => &PURGE,
            Job::Thumbs(_) => &THUMBS,
            Job::Transcode(_) => &TRANSCODE,
            Job::Faces(_) => &FACES,
            Job::Subjects(_) => &SUBJECTS,
            Job::Regroup(_) => &REGROUP,
            Job::Geocode(_) => &GEOCODE,
        }
    }

    /// The job as the queue stores it.
    pub fn queued(&self) -> NewJob {
        let (key, payload) = match self {
            Job::Import(f) => (format!("{}:{}", f.space, f.path), serde_json::to_string(f)),
            Job::Purge(s) | Job::Regroup(s) => (s.space.to_string(), serde_json::to_string(s)),
            Job::Thumbs(i) | Job::Transcode(i) | Job::Faces(i) | Job::Subjects(i) => {
                (i.item.to_string(), serde_json::to_string(i))
            }
            Job::Geocode(s) => (s.space.to_string(), serde_json::to_string(s)),
        };
        let stage = self.stage();
        NewJob { kind: stage.kind, key, payload: payload.expect("a job serialises"), priority: stage.priority }
    }

    /// A job read back from the queue.
    pub fn stored(kind: &str, payload: &str) -> Result<Job, String> {
        let parsed = match kind {
            k if k == IMPORT.kind => serde_json::from_str(payload).map(Job::Import),
            k if k == PURGE.kind => serde_json::from_str(payload).map(Job::Purge),
            k if k == THUMBS.kind => serde_json::from_str(payload).map(Job::Thumbs),
            k if k == TRANSCODE.kind => serde_json::from_str(payload).map(Job::Transcode),
            k if k == FACES.kind => serde_json::from_str(payload).map(Job::Faces),
            k if k == SUBJECTS.kind => serde_json::from_str(payload).map(Job::Subjects),
            k if k == REGROUP.kind => serde_json::from_str(payload).map(Job::Regroup),
            k if k == GEOCODE.kind => serde_json::from_str(payload).map(Job::Geocode),
            other => return Err(format!("unknown job kind {other}")),
        };
        parsed.map_err(|e| format!("bad {kind} job payload: {e}"))
    }
}

/// Queue entries for many jobs.
pub fn queued(jobs: &[Job]) -> Vec<NewJob> {
    jobs.iter().map(Job::queued).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: MediaKind, needs_transcode: bool) -> ItemFacts {
        ItemFacts { id: 7, kind, needs_transcode, finds_faces: false, finds_subjects: false, to_place: None }
    }

    #[test]
    fn only_the_work_an_item_needs_follows() {
        let import = Job::import(1, "/r", "a.jpg");
        assert_eq!(next(&import, Some(&facts(MediaKind::Photo, false))), [Job::thumbs(7)]);
        assert_eq!(next(&import, None), [], "a file that was not stored gets nothing");
        let with_position = ItemFacts { to_place: Some(1), ..facts(MediaKind::Photo, false) };
        assert_eq!(next(&import, Some(&with_position)), [Job::geocode(1), Job::thumbs(7)]);
        assert_eq!(next(&Job::geocode(1), Some(&with_position)), []);
        assert_eq!(next(&Job::thumbs(7), Some(&facts(MediaKind::Photo, false))), []);
        assert_eq!(next(&Job::thumbs(7), Some(&facts(MediaKind::Video, false))), [], "a video that plays as it is");
        assert_eq!(next(&Job::thumbs(7), Some(&facts(MediaKind::Video, true))), [Job::transcode(7)]);
        assert_eq!(next(&Job::transcode(7), Some(&facts(MediaKind::Video, true))), []);
        let faces = ItemFacts { finds_faces: true, ..facts(MediaKind::Video, true) };
        assert_eq!(next(&Job::thumbs(7), Some(&faces)), [Job::faces(7), Job::transcode(7)]);
        assert_eq!(next(&Job::faces(7), Some(&faces)), []);
        let both = ItemFacts { finds_subjects: true, ..faces };
        assert_eq!(next(&Job::thumbs(7), Some(&both)), [Job::faces(7), Job::subjects(7), Job::transcode(7)]);
        assert_eq!(next(&Job::subjects(7), Some(&both)), []);
        assert_eq!(next(&Job::purge(1, "/r"), None), []);
        assert_eq!(next(&Job::regroup(1, "/r"), None), []);
    }

    #[test]
    fn jobs_read_back_as_they_were_queued() {
        let jobs = [
            Job::import(1, "/r", "a b/c.jpg"),
            Job::purge(2, "/s"),
            Job::thumbs(3),
            Job::transcode(4),
            Job::faces(5),
            Job::subjects(5),
            Job::regroup(6, "/t"),
            Job::geocode(7),
        ];
        for job in jobs {
            let stored = job.queued();
            assert_eq!(Job::stored(stored.kind, &stored.payload).unwrap(), job);
        }
        // What an older photosd queued reads the same.
        assert_eq!(Job::stored("thumbs", r#"{"item":5}"#).unwrap(), Job::thumbs(5));
        assert!(Job::stored("faces", "{}").is_err());
        assert!(Job::stored("subjects", "{}").is_err());
        assert!(Job::stored("colours", r#"{"item":5}"#).is_err());
        assert_eq!(kinds_of(Lane::Long), ["transcode"]);
        assert_eq!(kinds_of(Lane::Ml), ["faces", "subjects", "regroup"]);
    }
}
