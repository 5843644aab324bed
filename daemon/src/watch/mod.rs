//! Keeping the library in step with the disk: the reconcile scan (at start, and when inotify cannot keep up) and
//! the inotify watcher. Both turn what they find into database moves and removals (through
//! `service::library`) and into queued imports; the job runner does the rest.

pub mod ignore;
pub mod reconcile;
mod watcher;

pub use watcher::Watcher;
