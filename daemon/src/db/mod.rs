//! The library database: SQLite in WAL mode under the data dir. All SQL in photosd lives in this module and its
//! children (one per table family). Schema changes are numbered `.sql` migrations applied under
//! `PRAGMA user_version`; a shipped migration is never edited, and a database newer than this binary is refused.

mod albums;
mod browse;
mod concepts;
mod edits;
mod faces;
mod folder_tree;
mod folders;
mod items;
mod jobs;
mod map;
mod members;
mod people;
mod permissions;
mod places;
#[cfg(test)]
mod plans;
mod query;
mod sessions;
mod settings;
mod sharing;
mod spaces;
mod tags;
mod thumbs;
mod timeline;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

pub use albums::{AlbumRow, AlbumSort, Albums};
pub use browse::{ItemFile, ItemRow, ItemSort};
pub use concepts::{ConceptRow, SubjectSource};
pub use edits::ItemEdit;
pub use faces::{ClusterFace, NewFace, PeopleSummary};
pub use folder_tree::FolderRow;
pub use items::StoredFile;
pub use jobs::NewJob;
pub use map::{MapCache, MAX_ZOOM};
pub use people::{ItemFace, PersonRow};
pub use places::{PlaceCount, PlaceList, PlaceRow};
pub use query::Reach;
pub use sessions::SessionLookup;
pub use sharing::{LinkKind, NewLink, ShareLink};
pub use spaces::{Space, SpaceKind};
pub use timeline::TimelineBucket;

/// Migrations in order; entry `i` brings the schema to `user_version = i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_library.sql"),
    include_str!("migrations/0002_thumbnails.sql"),
    include_str!("migrations/0003_cancelled_transcodes.sql"),
    include_str!("migrations/0004_sessions.sql"),
    include_str!("migrations/0005_folder_permissions.sql"),
    include_str!("migrations/0006_albums.sql"),
    include_str!("migrations/0007_job_delay.sql"),
    include_str!("migrations/0008_space_device.sql"),
    include_str!("migrations/0009_tags_per_space.sql"),
    include_str!("migrations/0010_session_credential.sql"),
    include_str!("migrations/0011_space_held_back.sql"),
    include_str!("migrations/0012_folder_inode.sql"),
    include_str!("migrations/0013_people.sql"),
    include_str!("migrations/0014_sharing.sql"),
    include_str!("migrations/0015_places.sql"),
    include_str!("migrations/0016_subjects.sql"),
    include_str!("migrations/0017_subject_vocabulary.sql"),
    include_str!("migrations/0018_condition_albums.sql"),
    include_str!("migrations/0019_library_epoch.sql"),
    include_str!("migrations/0020_user_settings.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database at {path} has schema version {found}, newer than this photosd understands ({supported}); install the newer photosd or restore a backup")]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database task failed: {0}")]
    Task(String),
    #[error("no library at {0} (run `photosd index` or `photosd serve` first)")]
    NoLibrary(String),
}

impl From<DbError> for crate::domain::Error {
    fn from(e: DbError) -> Self {
        crate::domain::Error::Internal(format!("database: {e}"))
    }
}

/// How many virtual-machine steps of a statement pass between two checks that its caller still waits (a few
/// milliseconds of work).
const PROGRESS_STEPS: i32 = 50_000;

fn caller_stopped_waiting() -> bool {
    ABANDONED.with(|flag| flag.borrow().as_ref().is_some_and(|f| f.load(Ordering::Relaxed)))
}

thread_local! {
    /// The abandoned-flag of the `Db::call` running on this blocking thread, read by the progress handler.
    static ABANDONED: std::cell::RefCell<Option<Arc<AtomicBool>>> = const { std::cell::RefCell::new(None) };
}

/// A handle to the library database. Cloning is cheap; all clones share the same connections.
///
/// One connection writes, behind a `std::sync::Mutex` (not a tokio one): no `.await` ever happens while it is
/// held, and SQLite serialises writers anyway. Beside it, a few connections only read (`query_only`): in WAL mode
/// they read the last committed state while the writer writes, so browsing never queues behind the indexer.
/// Async callers go through [`Db::call`], which runs on the blocking pool.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    readers: Arc<[Mutex<Connection>]>,
    /// Where the next read starts looking for a free reader.
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
    /// Condition albums' members, read once per change of the library.
    members: Arc<members::MemberCache>,
}

impl Db {
    /// The database with only its writer connection (commands and tests); see [`Db::open_with_readers`].
    pub fn open(path: &Path) -> Result<Db, DbError> {
        Db::open_with_readers(path, 0)
    }

    /// The library a command works on beside the daemon: one that does not exist is an error, not made (a
    /// mistyped --data is reported).
    pub fn open_existing(path: &Path) -> Result<Db, DbError> {
        if !path.exists() {
            return Err(DbError::NoLibrary(path.display().to_string()));
        }
        Db::open(path)
    }

    /// The database with `readers` read-only connections beside the writer (`storage.db_readers`).
    pub fn open_with_readers(path: &Path, readers: usize) -> Result<Db, DbError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|source| DbError::DataDir { path: dir.display().to_string(), source })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL is durable across application crashes in WAL mode; only a power cut can lose the last commits,
        // and the next reconcile scan re-reads those files.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn, &path.display().to_string())?;
        // Every few thousand steps of a statement, SQLite asks whether to go on: not once the caller it runs for
        // has stopped waiting (see `call`).
        conn.progress_handler(PROGRESS_STEPS, Some(caller_stopped_waiting))?;
        let readers = (0..readers).map(|_| open_reader(path)).collect::<Result<Vec<_>, DbError>>()?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            readers: readers.into(),
            next_reader: Arc::default(),
            members: Arc::default(),
        })
    }

    /// The writer connection. Everything that changes the database goes through it.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent (transactions roll back on drop).
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A connection for a read: a free reader if there is one, else the next one in turn (or the writer when there
    /// are no readers). Never take a second connection while holding one.
    fn read(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return self.lock();
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for k in 0..self.readers.len() {
            match self.readers[(start + k) % self.readers.len()].try_lock() {
                Ok(reader) => return reader,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        self.readers[start % self.readers.len()].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on tokio's blocking pool, so async tasks never wait on SQLite directly. When the caller stops
    /// waiting (a request past its time limit, or its client gone, drops this future), `f` does not start if it
    /// has not yet, and a statement it is running is interrupted: one user's slow call does not keep the one
    /// connection from everyone else.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T, DbError> + Send + 'static,
    {
        /// Raises the flag when dropped: when the call returns, or when its caller stops waiting.
        struct Abandon(Arc<AtomicBool>);
        impl Drop for Abandon {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let db = self.clone();
        let abandon = Abandon(Arc::new(AtomicBool::new(false)));
        let flag = abandon.0.clone();
        let task = tokio::task::spawn_blocking(move || {
            if flag.load(Ordering::Relaxed) {
                return Err(DbError::Task("the caller stopped waiting".into()));
            }
            /// Clears this thread's flag however `f` ends, panics included: the thread serves other calls next.
            struct Running;
            impl Drop for Running {
                fn drop(&mut self) {
                    ABANDONED.with(|current| *current.borrow_mut() = None);
                }
            }
            ABANDONED.with(|current| *current.borrow_mut() = Some(flag));
            let _running = Running;
            f(&db)
        });
        let result = task.await.map_err(|e| DbError::Task(e.to_string()))?;
        drop(abandon);
        result
    }

    #[cfg(test)]
    pub fn schema_version(&self) -> Result<i64, DbError> {
        Ok(self.lock().query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

/// A connection that may only read (`PRAGMA query_only`), opened after the writer made the schema and WAL mode.
fn open_reader(path: &Path) -> Result<Mutex<Connection>, DbError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    conn.progress_handler(PROGRESS_STEPS, Some(caller_stopped_waiting))?;
    Ok(Mutex::new(conn))
}

fn migrate(conn: &mut Connection, path: &str) -> Result<(), DbError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(DbError::TooNew { path: path.to_string(), found, supported });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "database migrated");
    }
    Ok(())
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lib.db");
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
        drop(db);
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
        db.lock().pragma_update(None, "user_version", 99).unwrap();
        drop(db);
        assert!(matches!(Db::open(&path), Err(DbError::TooNew { found: 99, .. })));
    }

    /// Migration 0009: the one global tag "Iceland", on an item of each of two spaces, becomes a tag of each space,
    /// and each item keeps its tag with its source.
    #[test]
    fn global_tags_are_split_by_space() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lib.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        for (index, sql) in MIGRATIONS[..8].iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", index as i64 + 1).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO space (id, kind, owner_uid, owner_name, root, created_at) VALUES
                (1, 'personal', 1000, 'alice', '/a', 0), (2, 'personal', 1001, 'bob', '/b', 0);
             INSERT INTO folder (id, space_id, parent_id, name, path, created_at) VALUES (1, 1, NULL, '', '', 0),
                (2, 2, NULL, '', '', 0);
             INSERT INTO item (id, space_id, folder_id, filename, size, mtime_ns, type, taken_ts, added_at, indexed_at)
                VALUES (10, 1, 1, 'a.jpg', 1, 0, 'photo', 0, 0, 0), (20, 2, 2, 'b.jpg', 1, 0, 'photo', 0, 0, 0);
             INSERT INTO tag (id, name) VALUES (7, 'Iceland');
             INSERT INTO item_tag (item_id, tag_id, source) VALUES (10, 7, 'user'), (20, 7, 'file');",
        )
        .unwrap();
        drop(conn);
        let db = Db::open(&path).unwrap();
        let rows: Vec<(i64, i64, String, String)> = {
            let conn = db.lock();
            let mut stmt = conn
                .prepare(
                    "SELECT it.item_id, t.space_id, t.name, it.source FROM item_tag it JOIN tag t ON t.id = it.tag_id
                     ORDER BY it.item_id",
                )
                .unwrap();
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap();
            rows.map(Result::unwrap).collect()
        };
        assert_eq!(
            rows,
            [(10, 1, "Iceland".to_string(), "user".to_string()), (20, 2, "Iceland".to_string(), "file".to_string())]
        );
        let tags: i64 = db.lock().query_row("SELECT count(*) FROM tag", [], |r| r.get(0)).unwrap();
        assert_eq!(tags, 2, "one tag per space");
        assert_eq!(db.tags_in_space(1, &[1, 2]).unwrap().len(), 1, "each space sees only its own");
    }
}
