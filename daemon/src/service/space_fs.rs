//! File operations inside a space, confined to it: every path from a request is a folder already in the
//! database plus validated names, and is walked one component at a time with `O_NOFOLLOW`, so a symlink a user
//! swapped in cannot lead the daemon (which may run with the right to read and write anything) out of the space.

use std::os::fd::OwnedFd;
use std::path::Path;

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

use crate::domain::Error;

/// The longest file or folder name most file systems take, in bytes.
const MAX_NAME: usize = 255;

/// Checks a single file or folder name from a request: not empty, no `/` or NUL, not `.`/`..`, not too long,
/// and not a name the indexer ignores (dotfiles, `@eaDir`, `#recycle`...), which would vanish from the library.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let bad = name.is_empty()
        || name.len() > MAX_NAME
        || name.contains(['/', '\0'])
        || name == "."
        || name == ".."
        || name.trim() != name
        || crate::watch::ignore::is_ignored_dir(name);
    if bad {
        return Err(Error::BadParameter("name".into()));
    }
    Ok(())
}

/// `dir/name` as the database stores paths ('' is the space root).
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Opens `rel` (a '/'-separated path from the database) under `root` as a directory, never following a symlink.
pub fn open_dir(root: &Path, rel: &str) -> std::io::Result<OwnedFd> {
    let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY;
    let mut dir = nix::fcntl::open(root, flags, Mode::empty())?;
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "`.` or `..` in a stored path"));
        }
        dir = openat(&dir, part, flags, Mode::empty())?;
    }
    Ok(dir)
}

/// Makes folder `name` in `parent` (relative to `root`), owned by `uid:gid`. `Exists` if it is there already.
pub fn create_dir(root: &Path, parent: &str, name: &str, uid: u32, gid: u32) -> Result<(), Error> {
    validate_name(name)?;
    let dir = open_dir(root, parent).map_err(|e| Error::NotFound(format!("{parent}: {e}")))?;
    match nix::sys::stat::mkdirat(&dir, name, Mode::from_bits_truncate(0o755)) {
        Ok(()) => {}
        Err(nix::errno::Errno::EEXIST) => return Err(Error::Exists),
        Err(e) => return Err(Error::Internal(format!("mkdir {name}: {e}"))),
    }
    let given = nix::unistd::fchownat(
        &dir,
        name,
        Some(nix::unistd::Uid::from_raw(uid)),
        Some(nix::unistd::Gid::from_raw(gid)),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    );
    hand_over(given, name)
}

/// What a chown giving a new file or folder to its user came to. Without CAP_CHOWN (the NAS package runs as its
/// own user, never root) the file stays the service's, and the share's inherited ACLs give the user their
/// access, as DSM does for every package that writes into shares. With it, a refusal is a real failure (a
/// root-squashed NFS share, say) and the call fails rather than leave a file its user cannot change.
pub fn hand_over(given: nix::Result<()>, name: &str) -> Result<(), Error> {
    match given {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EPERM) if !may_chown() => {
            tracing::debug!(name, "not allowed to change owners: the share's ACLs decide access");
            Ok(())
        }
        Err(e) => Err(Error::Internal(format!("chown {name}: {e}"))),
    }
}

fn may_chown() -> bool {
    caps::has_cap(None, caps::CapSet::Effective, caps::Capability::CAP_CHOWN).unwrap_or(false)
}

/// Opens file `name` in folder `rel` of the space at `root` for reading: a regular file, reached without
/// following any symlink.
pub fn open_file(root: &Path, rel: &str, name: &str) -> std::io::Result<std::fs::File> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"));
    }
    let dir = open_dir(root, rel)?;
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let file = std::fs::File::from(openat(&dir, name, flags, Mode::empty())?);
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// Opens `folder/name` under `root` to be read in a worker, with its XMP sidecar when it has one, through no
/// symlink anywhere on the way.
pub fn open_source(root: &Path, folder: &str, name: &str) -> std::io::Result<crate::media::input::Source> {
    let file = open_file(root, folder, name)?;
    let sidecar = crate::media::sidecar::candidates(Path::new(name))
        .iter()
        .filter_map(|candidate| candidate.to_str())
        .find_map(|candidate| open_file(root, folder, candidate).ok());
    let path = root.join(join(folder, name));
    crate::media::input::Source::new(path, file, sidecar)
}

/// `open_source` for a path relative to the space root, as jobs carry them.
pub fn open_source_at(root: &Path, rel: &str) -> std::io::Result<crate::media::input::Source> {
    let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    open_source(root, folder, name)
}

/// Size, times and identity of `rel` under `root` as it is now, through no symlink: `None` when nothing is
/// there, or something that is not a regular file.
pub fn stat_file(root: &Path, rel: &str) -> std::io::Result<Option<nix::sys::stat::FileStat>> {
    let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let dir = match open_dir(root, folder) {
        Ok(dir) => dir,
        Err(e) if matches!(e.raw_os_error(), Some(nix::libc::ENOENT | nix::libc::ENOTDIR | nix::libc::ELOOP)) => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    match nix::sys::stat::fstatat(&dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(stat) if stat.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG => Ok(Some(stat)),
        Ok(_) | Err(nix::errno::Errno::ENOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_or_vanish_are_refused() {
        for bad in ["", ".", "..", "a/b", "a\0b", "#recycle", "@eaDir", ".hidden", " x", &"n".repeat(256)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        for good in ["Iceland 2024", "été", "a.b"] {
            assert!(validate_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_symlinked_folder_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (space, outside) = (dir.path().join("space"), dir.path().join("outside"));
        std::fs::create_dir_all(space.join("real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, space.join("link")).unwrap();
        assert!(open_dir(&space, "real").is_ok());
        assert!(open_dir(&space, "link").is_err());
        assert!(open_dir(&space, "real/../link").is_err());
        let uid = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        assert!(create_dir(&space, "link", "x", uid, gid).is_err());
        assert!(!outside.join("x").exists());
        create_dir(&space, "real", "x", uid, gid).unwrap();
        assert!(space.join("real/x").is_dir());
        assert!(matches!(create_dir(&space, "real", "x", uid, gid), Err(Error::Exists)));
    }
}
