//! The live watcher: one inotify instance over every folder of every space. It turns events into database
//! moves and deletes (cheap, no file reading) and into debounced import jobs; everything else is the job
//! runner's. Overflow and an exhausted watch limit fall back to reconcile scans, so no change is ever lost.

use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
use tokio_util::sync::CancellationToken;

use super::ignore::{is_ignored_dir, is_ignored_file};
use super::reconcile::{reconcile, reconcile_moved, walk, Walk};
use crate::app::App;
use crate::db::{NewJob, Space};
use crate::jobs::pipeline;
use crate::service::library;

const MASK: WatchMask = WatchMask::CLOSE_WRITE
    .union(WatchMask::MODIFY)
    .union(WatchMask::CREATE)
    .union(WatchMask::DELETE)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::ONLYDIR)
    .union(WatchMask::EXCL_UNLINK);

struct MovedFrom {
    space: i64,
    path: String,
    is_dir: bool,
    seen: Instant,
    /// For a folder: the watches under it when it left, the only ones to drop if it never comes back.
    watches: Vec<WatchDescriptor>,
}

pub struct Watcher {
    app: Arc<App>,
    watches: Watches,
    /// Watched folder of each descriptor: (space id, path relative to the space root).
    dirs: HashMap<WatchDescriptor, (i64, String)>,
    spaces: HashMap<i64, Space>,
    /// Files waiting to be quiet before their import is queued.
    pending: HashMap<(i64, String), Instant>,
    /// MOVED_FROM halves waiting for their MOVED_TO.
    moved_from: HashMap<u32, MovedFrom>,
    /// True once inotify refused a watch (fs.inotify.max_user_watches): spaces are then rescanned periodically.
    watch_limit_hit: bool,
}

impl Watcher {
    pub async fn run(app: Arc<App>, shutdown: CancellationToken) -> anyhow::Result<()> {
        let inotify = Inotify::init()?;
        let mut events = inotify.into_event_stream(vec![0u8; 256 * 1024])?;
        let mut watcher = Watcher {
            watches: events.watches(),
            app,
            dirs: HashMap::new(),
            spaces: HashMap::new(),
            pending: HashMap::new(),
            moved_from: HashMap::new(),
            watch_limit_hit: false,
        };
        watcher.discover_spaces().await;
        let config = watcher.app.config.clone();
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        let mut discovery = tokio::time::interval(Duration::from_secs(config.spaces.discovery_interval_secs));
        let mut fallback = tokio::time::interval(Duration::from_secs(config.watch.fallback_rescan_secs));
        discovery.reset();
        fallback.reset();
        use futures_util::StreamExt;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                event = events.next() => match event {
                    Some(Ok(event)) => watcher.handle(event.wd, event.mask, event.cookie, event.name).await,
                    Some(Err(e)) => { tracing::error!("inotify read failed: {e}"); break }
                    None => break,
                },
                _ = tick.tick() => watcher.flush_due().await,
                _ = discovery.tick() => watcher.discover_spaces().await,
                _ = fallback.tick(), if watcher.watch_limit_hit => watcher.rescan_all().await,
            }
        }
        // Queue what was still being debounced, so nothing seen is lost across the restart.
        let all: Vec<NewJob> =
            watcher.pending.drain().filter_map(|((s, p), _)| watcher_job(&watcher.spaces, s, &p)).collect();
        let _ = watcher.app.db.call(move |db| db.enqueue(&all)).await;
        Ok(())
    }

    /// Finds spaces (at start and periodically), watches the new ones, then reconciles them.
    async fn discover_spaces(&mut self) {
        let config = self.app.config.spaces.clone();
        let found = match tokio::task::spawn_blocking(move || crate::spaces::discover(&config)).await {
            Ok(found) => found,
            Err(e) => return tracing::error!("space discovery failed: {e}"),
        };
        for space in found {
            let root = space.root.display().to_string();
            if self.spaces.values().any(|s| s.root == root) {
                continue;
            }
            let owner = space.owner.clone();
            let (kind, people) = (space.kind, self.app.config.faces.people_by_default);
            let stored = self
                .app
                .db
                .call(move |db| db.ensure_space(kind, owner.as_ref().map(|(u, n)| (*u, n.as_str())), &root, people))
                .await;
            match stored {
                Ok(s) => {
                    tracing::info!(root = %s.root, kind = ?s.kind, owner = ?s.owner_name, "watching space");
                    self.watch_tree(s.id, Path::new(&s.root), "");
                    self.spaces.insert(s.id, s.clone());
                    self.reconcile(s).await;
                }
                Err(e) => tracing::error!("cannot record space {}: {e}", space.root.display()),
            }
        }
    }

    async fn reconcile(&self, space: Space) {
        let result = self.app.db.call(move |db| reconcile(db, &space, false)).await;
        if let Err(e) = result {
            tracing::error!("reconcile failed: {e}");
        }
        self.app.jobs_ready.notify_waiters();
    }

    async fn rescan_all(&mut self) {
        for space in self.spaces.values().cloned().collect::<Vec<_>>() {
            self.watch_tree(space.id, Path::new(&space.root), "");
            self.reconcile(space).await;
        }
    }

    /// Watches `rel` and every folder under it. Returns what it found (the media files, and every folder with its
    /// inode, `rel` included), so a folder that appeared (or was moved in) gets its content imported even when the
    /// files were written before the watch existed.
    fn watch_tree(&mut self, space: i64, root: &Path, rel: &str) -> Walk {
        let mut found = Walk::default();
        let mut added: Vec<(WatchDescriptor, String)> = Vec::new();
        let mut inodes: Vec<(String, u64)> = Vec::new();
        let (watches, limit_hit) = (&mut self.watches, &mut self.watch_limit_hit);
        let fallback_secs = self.app.config.watch.fallback_rescan_secs;
        walk(root, rel, &mut found, &mut |dir, opened| {
            let path = if dir.is_empty() { root.to_path_buf() } else { root.join(dir) };
            if let Ok(stat) = nix::sys::stat::fstat(opened) {
                inodes.push((dir.to_string(), stat.st_ino));
            }
            // The folder the walk holds open, through /proc: a path could meanwhile name a symlink.
            let held = format!("/proc/self/fd/{}", opened.as_raw_fd());
            match watches.add(&held, MASK) {
                Ok(wd) => added.push((wd, dir.to_string())),
                Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ENOSPC as i32) => {
                    if !*limit_hit {
                        tracing::warn!(
                            "inotify watch limit reached at {}: changes there are found by a rescan every {fallback_secs} s \
                             instead of at once. Raise the limit with `sysctl fs.inotify.max_user_watches=524288` (and in \
                             /etc/sysctl.conf to keep it).",
                            path.display()
                        );
                    }
                    *limit_hit = true;
                }
                Err(e) => tracing::debug!("cannot watch {}: {e}", path.display()),
            }
        });
        for (wd, dir) in added {
            self.dirs.insert(wd, (space, dir));
        }
        found.dir_inodes.extend(inodes);
        found
    }

    async fn handle(&mut self, wd: WatchDescriptor, mask: EventMask, cookie: u32, name: Option<std::ffi::OsString>) {
        if mask.contains(EventMask::Q_OVERFLOW) {
            tracing::warn!("inotify queue overflowed: rescanning every space");
            self.rescan_all().await;
            return;
        }
        if mask.contains(EventMask::IGNORED) {
            // A space root that went away (deleted, renamed) is forgotten, so discovery finds it again if it
            // comes back, and watches and reconciles it afresh.
            if let Some((space, dir)) = self.dirs.remove(&wd) {
                if dir.is_empty() && self.spaces.remove(&space).is_some() {
                    tracing::warn!(space, "a space folder disappeared; it is picked up again if it comes back");
                }
            }
            return;
        }
        let Some((space, dir)) = self.dirs.get(&wd).cloned() else { return };
        let Some(name) = name.as_ref().and_then(|n| n.to_str()) else { return };
        let rel = if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
        let is_dir = mask.contains(EventMask::ISDIR);
        let ignored = if is_dir { is_ignored_dir(name) } else { is_ignored_file(name) };
        let now = Instant::now();
        let debounce = Duration::from_millis(self.app.config.watch.debounce_ms);
        if mask.contains(EventMask::MOVED_FROM) {
            self.pending.remove(&(space, rel.clone()));
            if !ignored {
                let watches = if is_dir { self.watches_under(space, &rel) } else { Vec::new() };
                self.moved_from.insert(cookie, MovedFrom { space, path: rel, is_dir, seen: now, watches });
            }
        } else if mask.contains(EventMask::MOVED_TO) {
            match self.moved_from.remove(&cookie) {
                Some(from) if ignored => self.moved_away(from).await,
                Some(from) => self.moved(from.space, &from.path, space, &rel, is_dir).await,
                None if ignored => {}
                None if is_dir => self.folder_appeared(space, &rel).await,
                None => {
                    self.pending.insert((space, rel), now + debounce);
                }
            }
        } else if mask.contains(EventMask::DELETE) {
            self.pending.remove(&(space, rel.clone()));
            if !ignored {
                self.remove_path(space, &rel, is_dir).await;
            }
        } else if ignored {
        } else if is_dir && mask.contains(EventMask::CREATE) {
            self.folder_appeared(space, &rel).await;
        } else if mask.intersects(EventMask::CLOSE_WRITE | EventMask::CREATE) {
            // CREATE too: a hard link (ln, cp -al, rsync --link-dest) arrives with no write at all.
            self.pending.insert((space, rel), now + debounce);
        } else if mask.contains(EventMask::MODIFY) {
            // Still being written: push back the import of a file already waiting.
            if let Some(due) = self.pending.get_mut(&(space, rel)) {
                *due = now + debounce;
            }
        }
    }

    async fn folder_appeared(&mut self, space: i64, rel: &str) {
        let Some(root) = self.spaces.get(&space).map(|s| s.root.clone()) else { return };
        let found = self.watch_tree(space, Path::new(&root), rel);
        let debounce = Duration::from_millis(self.app.config.watch.debounce_ms);
        for path in found.files.into_keys() {
            self.pending.insert((space, path), Instant::now() + debounce);
        }
        // The folder and those under it, with their inodes (a move made while photosd is stopped is then known).
        let folders: Vec<(String, Option<u64>)> = std::iter::once(rel.to_string())
            .chain(found.dirs)
            .map(|d| {
                let inode = found.dir_inodes.get(&d).copied();
                (d, inode)
            })
            .collect();
        if let Err(e) = self.app.db.call(move |db| db.record_folders(space, &folders)).await {
            tracing::error!("cannot record a new folder: {e}");
        }
    }

    /// A rename or move inside the spaces: the item (or folder) keeps its id and all attached to it.
    async fn moved(&mut self, from_space: i64, from: &str, to_space: i64, to: &str, is_dir: bool) {
        let (f, t) = (from.to_string(), to.to_string());
        if is_dir {
            for (s, path) in self.dirs.values_mut() {
                if *s == from_space && (path == from || path.starts_with(&format!("{from}/"))) {
                    *s = to_space;
                    *path = format!("{to}{}", &path[from.len()..]);
                }
            }
        }
        let done = self.app.db.call(move |db| library::moved(db, (from_space, &f), (to_space, &t), is_dir)).await;
        match done {
            Ok(true) => {
                tracing::debug!(from, to, "moved");
                // What was still waiting under the old path now waits under the new one; anything new or edited
                // there that the database does not know yet is queued.
                let waiting: Vec<(i64, String)> = self
                    .pending
                    .keys()
                    .filter(|(s, p)| *s == from_space && (p == from || p.starts_with(&format!("{from}/"))))
                    .cloned()
                    .collect();
                for key in waiting {
                    if let Some(due) = self.pending.remove(&key) {
                        self.pending.insert((to_space, format!("{to}{}", &key.1[from.len()..])), due);
                    }
                }
                if let Some(space) = self.spaces.get(&to_space).cloned() {
                    let to = to.to_string();
                    if let Err(e) = self.app.db.call(move |db| reconcile_moved(db, &space, &to)).await {
                        tracing::error!("cannot check the moved files: {e}");
                    }
                    self.app.jobs_ready.notify_waiters();
                }
            }
            // Not indexed yet (a fresh file renamed at once, or a folder unknown): treat it as new.
            Ok(false) if is_dir => self.folder_appeared(to_space, to).await,
            Ok(false) => {
                let debounce = Duration::from_millis(self.app.config.watch.debounce_ms);
                self.pending.insert((to_space, to.to_string()), Instant::now() + debounce);
            }
            Err(e) => tracing::error!("cannot record the move of {from} to {to}: {e}"),
        }
    }

    fn watches_under(&self, space: i64, rel: &str) -> Vec<WatchDescriptor> {
        let prefix = format!("{rel}/");
        self.dirs
            .iter()
            .filter(|(_, (s, p))| *s == space && (p == rel || p.starts_with(&prefix)))
            .map(|(wd, _)| wd.clone())
            .collect()
    }

    async fn remove_path(&mut self, space: i64, rel: &str, is_dir: bool) {
        let r = rel.to_string();
        if is_dir {
            for wd in self.watches_under(space, rel) {
                self.dirs.remove(&wd);
            }
        }
        let result = self.app.db.call(move |db| library::vanished(db, space, &r, is_dir)).await;
        if let Err(e) = result {
            tracing::error!("cannot record the removal of {rel}: {e}");
        }
    }

    /// Something left the spaces (moved elsewhere, or to an ignored name). By now the path may hold something
    /// new, so a file is simply re-imported (the import removes it if it is gone), and a folder's old watches
    /// (recorded when it left) are dropped before whatever stands there now is looked at afresh.
    async fn moved_away(&mut self, from: MovedFrom) {
        if !from.is_dir {
            if let Some(job) = watcher_job(&self.spaces, from.space, &from.path) {
                if let Err(e) = self.app.db.call(move |db| db.enqueue(&[job])).await {
                    tracing::error!("cannot queue a check of {}: {e}", from.path);
                }
            }
            return;
        }
        for wd in from.watches {
            // Still watching the folder where it went: stop hearing about it.
            let _ = self.watches.remove(wd.clone());
            self.dirs.remove(&wd);
        }
        let (space, path) = (from.space, from.path.clone());
        if let Err(e) = self.app.db.call(move |db| library::vanished(db, space, &path, true)).await {
            tracing::error!("cannot record the removal of {}: {e}", from.path);
        }
        let root = self.spaces.get(&from.space).map(|s| s.root.clone());
        // Through no symlink: a link put where the folder was is not a folder of the space.
        if root.is_some_and(|r| crate::service::space_fs::open_dir(Path::new(&r), &from.path).is_ok()) {
            self.folder_appeared(from.space, &from.path).await;
        }
    }

    /// Queues the imports whose files have been quiet long enough, and settles moves whose other half never came.
    async fn flush_due(&mut self) {
        let now = Instant::now();
        let grace = Duration::from_millis(self.app.config.watch.move_grace_ms);
        let expired: Vec<u32> =
            self.moved_from.iter().filter(|(_, m)| now.duration_since(m.seen) > grace).map(|(c, _)| *c).collect();
        for cookie in expired {
            if let Some(from) = self.moved_from.remove(&cookie) {
                self.moved_away(from).await;
            }
        }
        let due: Vec<(i64, String)> = self.pending.iter().filter(|(_, t)| **t <= now).map(|(k, _)| k.clone()).collect();
        if due.is_empty() {
            return;
        }
        let jobs: Vec<NewJob> = due
            .into_iter()
            .filter_map(|key| {
                self.pending.remove(&key);
                watcher_job(&self.spaces, key.0, &key.1)
            })
            .collect();
        if let Err(e) = self.app.db.call(move |db| db.enqueue(&jobs)).await {
            tracing::error!("cannot queue imports: {e}");
        }
        self.app.jobs_ready.notify_waiters();
    }
}

fn watcher_job(spaces: &HashMap<i64, Space>, space: i64, path: &str) -> Option<NewJob> {
    spaces.get(&space).map(|s| pipeline::Job::import(space, &s.root, path).queued())
}
