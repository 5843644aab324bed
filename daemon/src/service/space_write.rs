//! Writing new files into a space without ever exposing half of one: data goes to a hidden temp file in the
//! target folder (`.photosd-upload-<random>.part`, which the indexer ignores), is synced, given its owner and
//! time, and only then renamed to its real name, atomically. A failed or cut-off write removes the temp file.

use std::os::fd::OwnedFd;
use std::path::Path;

use nix::fcntl::{openat, renameat, renameat2, OFlag, RenameFlags};
use nix::sys::stat::Mode;
use nix::unistd::{Gid, Uid, UnlinkatFlags};

use super::space_fs::{open_dir, validate_name};
use crate::domain::Error;

/// What to do when a file of the same name is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    /// Keep the existing file; the new one is not written.
    Ignore,
    /// Write the new one as "name (2).ext", "name (3).ext"...
    Rename,
    /// Replace the existing file (the user asked for it).
    Overwrite,
}

/// Temp files of uploads are named `.photosd-upload-<random>.part`.
const UPLOAD_PREFIX: &str = ".photosd-upload-";

/// An upload's temp file nobody has written to for an hour: its upload ended without cleaning up (the daemon
/// was killed). A live upload writes continuously, so it is never taken for one.
pub fn is_stale_upload(name: &str, modified_secs: i64) -> bool {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    name.starts_with(UPLOAD_PREFIX) && name.ends_with(".part") && now - modified_secs > 3600
}

pub struct TempFile {
    dir: OwnedFd,
    temp_name: String,
    pub file: std::fs::File,
}

/// Creates the folders of `rel` under `root` that do not exist yet, owned by `uid:gid`.
pub fn ensure_dirs(root: &Path, rel: &str, uid: u32, gid: u32) -> Result<(), Error> {
    let mut done = String::new();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        match super::space_fs::create_dir(root, &done, part, uid, gid) {
            Ok(()) | Err(Error::Exists) => {}
            Err(e) => return Err(e),
        }
        done = if done.is_empty() { part.to_string() } else { format!("{done}/{part}") };
    }
    Ok(())
}

/// Whether `name` exists in folder `rel`.
pub fn exists(root: &Path, rel: &str, name: &str) -> bool {
    open_dir(root, rel)
        .is_ok_and(|dir| nix::sys::stat::fstatat(&dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW).is_ok())
}

impl TempFile {
    pub fn create(root: &Path, rel: &str) -> Result<TempFile, Error> {
        let dir = open_dir(root, rel).map_err(|e| Error::NotFound(format!("{rel}: {e}")))?;
        let temp_name = format!("{UPLOAD_PREFIX}{}.part", super::random_token(8));
        let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(&dir, temp_name.as_str(), flags, Mode::from_bits_truncate(0o644))
            .map_err(|e| Error::Internal(format!("cannot create a temp file in {rel}: {e}")))?;
        Ok(TempFile { dir, temp_name, file: std::fs::File::from(fd) })
    }

    /// Syncs, sets owner and modification time, and renames to `name` (or a free variant of it). Returns the
    /// name used, or None when `Ignore` found the name taken (the temp file is then removed).
    pub fn publish(
        self,
        name: &str,
        duplicate: Duplicate,
        uid: u32,
        gid: u32,
        mtime: Option<i64>,
    ) -> Result<Option<String>, Error> {
        let result = self.finish(name, duplicate, uid, gid, mtime);
        if !matches!(result, Ok(Some(_))) {
            self.discard();
        }
        result
    }

    fn finish(
        &self,
        name: &str,
        duplicate: Duplicate,
        uid: u32,
        gid: u32,
        mtime: Option<i64>,
    ) -> Result<Option<String>, Error> {
        validate_name(name)?;
        let io = |what: &str, e: nix::errno::Errno| Error::Internal(format!("{what}: {e}"));
        self.file.sync_all()?;
        super::space_fs::hand_over(
            nix::unistd::fchown(&self.file, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid))),
            name,
        )?;
        if let Some(seconds) = mtime.filter(|s| *s > 0) {
            let t = nix::sys::time::TimeSpec::new(seconds, 0);
            nix::sys::stat::futimens(&self.file, &nix::sys::time::TimeSpec::UTIME_OMIT, &t)
                .map_err(|e| io("set time", e))?;
        }
        let temp = self.temp_name.as_str();
        match duplicate {
            Duplicate::Overwrite => {
                renameat(&self.dir, temp, &self.dir, name).map_err(|e| io("rename", e))?;
                Ok(Some(name.to_string()))
            }
            Duplicate::Ignore => match renameat2(&self.dir, temp, &self.dir, name, RenameFlags::RENAME_NOREPLACE) {
                Ok(()) => Ok(Some(name.to_string())),
                Err(nix::errno::Errno::EEXIST) => Ok(None),
                Err(e) => Err(io("rename", e)),
            },
            Duplicate::Rename => rename_to_free_name(&self.dir, temp, &self.dir, name).map(Some),
        }
    }

    /// Removes the temp file (a failed or cut-off upload).
    pub fn discard(&self) {
        let _ = nix::unistd::unlinkat(&self.dir, self.temp_name.as_str(), UnlinkatFlags::NoRemoveDir);
    }
}

/// Renames `from_name` to `name` in `to`, or to the first free "name (2)", "name (3)"...: never replacing a file.
/// Returns the name used.
pub fn rename_to_free_name(from: &OwnedFd, from_name: &str, to: &OwnedFd, name: &str) -> Result<String, Error> {
    place_at_free_name(from_name, name, |candidate| {
        renameat2(from, from_name, to, candidate, RenameFlags::RENAME_NOREPLACE)
    })
}

/// The same as `rename_to_free_name`, with a hard link: `from_name` stays where it is.
pub fn link_to_free_name(from: &OwnedFd, from_name: &str, to: &OwnedFd, name: &str) -> Result<String, Error> {
    place_at_free_name(from_name, name, |candidate| {
        nix::unistd::linkat(from, from_name, to, candidate, nix::fcntl::AtFlags::empty())
    })
}

/// Calls `place` with `name`, then "name (2)", "name (3)"... until one is free.
fn place_at_free_name(
    from_name: &str,
    name: &str,
    mut place: impl FnMut(&str) -> nix::Result<()>,
) -> Result<String, Error> {
    for n in 1..10_000 {
        let candidate = if n == 1 { name.to_string() } else { numbered(name, n) };
        match place(candidate.as_str()) {
            Ok(()) => return Ok(candidate),
            Err(nix::errno::Errno::EEXIST) => continue,
            Err(nix::errno::Errno::ENOENT) => return Err(Error::NotFound(from_name.to_string())),
            // EXDEV (another file system) included: refuse rather than copy and unlink an original.
            Err(e) => return Err(Error::Internal(format!("cannot move {from_name}: {e}"))),
        }
    }
    Err(Error::Exists)
}

/// "IMG_1.jpg" → "IMG_1 (2).jpg".
fn numbered(name: &str, n: u32) -> String {
    match name.rfind('.') {
        Some(i) if i > 0 => format!("{} ({n}){}", &name[..i], &name[i..]),
        _ => format!("{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_appears_whole_under_a_free_name_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (uid, gid) = (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw());
        std::fs::write(dir.path().join("a.jpg"), b"old").unwrap();
        let mut t = TempFile::create(dir.path(), "").unwrap();
        t.file.write_all(b"new").unwrap();
        assert_eq!(
            t.publish("a.jpg", Duplicate::Rename, uid, gid, Some(1_000_000_000)).unwrap().as_deref(),
            Some("a (2).jpg")
        );
        assert_eq!(std::fs::read(dir.path().join("a (2).jpg")).unwrap(), b"new");
        let mut t = TempFile::create(dir.path(), "").unwrap();
        t.file.write_all(b"newer").unwrap();
        assert_eq!(t.publish("a.jpg", Duplicate::Ignore, uid, gid, None).unwrap(), None);
        assert_eq!(std::fs::read(dir.path().join("a.jpg")).unwrap(), b"old", "ignore keeps the existing file");
        let t = TempFile::create(dir.path(), "").unwrap();
        t.discard();
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(names.iter().all(|n| !n.ends_with(".part")), "{names:?}");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(dir.path().join("a (2).jpg")).unwrap().mtime(), 1_000_000_000);
    }
}
