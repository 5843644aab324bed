//! Renaming and moving files and folders inside a space, and deleting them the NAS way: into the share's
//! `#recycle` folder, keeping their path, never unlinking. Every path is walked without following symlinks, and
//! a rename never replaces an existing file.

use std::path::Path;

use nix::fcntl::{renameat2, RenameFlags};

use super::space_fs::{open_dir, validate_name};
use super::space_write::{ensure_dirs, link_to_free_name, rename_to_free_name};
use crate::domain::Error;

/// Renames `from_dir/from_name` to `to_dir/to_name` (both relative to `root`), failing with `Exists` rather
/// than replacing anything.
pub fn rename(root: &Path, from_dir: &str, from_name: &str, to_dir: &str, to_name: &str) -> Result<(), Error> {
    validate_name(to_name)?;
    let from = open_dir(root, from_dir).map_err(|e| Error::NotFound(format!("{from_dir}: {e}")))?;
    let to = open_dir(root, to_dir).map_err(|e| Error::NotFound(format!("{to_dir}: {e}")))?;
    match renameat2(&from, from_name, &to, to_name, RenameFlags::RENAME_NOREPLACE) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EEXIST) => Err(Error::Exists),
        Err(nix::errno::Errno::ENOENT) => Err(Error::NotFound(format!("{from_dir}/{from_name}"))),
        Err(e) => Err(Error::Internal(format!("rename {from_name}: {e}"))),
    }
}

/// Renames the XMP sidecar of a file that was just renamed or moved, when it has one.
pub fn follow_sidecar(root: &Path, from_dir: &str, from_name: &str, to_dir: &str, to_name: &str) {
    let (from, to) = (format!("{from_name}.xmp"), format!("{to_name}.xmp"));
    if let Err(e) = rename(root, from_dir, &from, to_dir, &to) {
        if !matches!(e, Error::NotFound(_)) {
            tracing::warn!(sidecar = from, "the sidecar did not follow its photo: {e}");
        }
    }
}

/// Where a space's deleted files go: `#recycle` in the share that holds it. A Personal Space is the `Photos`
/// folder of a home, so its bin is the home's (`~/#recycle/Photos/...`); the Shared Space is a share itself.
pub fn recycle_location(space_root: &Path, personal: bool) -> (std::path::PathBuf, String) {
    match (personal, space_root.parent(), space_root.file_name().and_then(|n| n.to_str())) {
        (true, Some(home), Some(name)) => (home.to_path_buf(), format!("#recycle/{name}")),
        _ => (space_root.to_path_buf(), "#recycle".to_string()),
    }
}

/// Moves `dir/name` of the space into its recycle bin at the same relative path, as "name (2)" if a deleted
/// file of that name is already there. Returns the path in the bin (relative to the bin's share).
pub fn recycle(space_root: &Path, personal: bool, dir: &str, name: &str, uid: u32, gid: u32) -> Result<String, Error> {
    to_bin(space_root, personal, dir, name, (uid, gid), false)
}

/// Puts into the bin, as `recycle` would, a hard link to `dir/name`, which stays where it is: the original an
/// upload is about to replace stays restorable, and nothing happens on its path until the replacement lands.
pub fn recycle_copy(
    space_root: &Path,
    personal: bool,
    dir: &str,
    name: &str,
    uid: u32,
    gid: u32,
) -> Result<String, Error> {
    to_bin(space_root, personal, dir, name, (uid, gid), true)
}

fn to_bin(
    space_root: &Path,
    personal: bool,
    dir: &str,
    name: &str,
    (uid, gid): (u32, u32),
    link: bool,
) -> Result<String, Error> {
    let (share, bin) = recycle_location(space_root, personal);
    let target_dir = if dir.is_empty() { bin } else { format!("{bin}/{dir}") };
    // The bin's own folders are made without validation of `#recycle` itself, which validate_name refuses.
    let first = target_dir.split('/').next().unwrap_or_default().to_string();
    let share_dir = open_dir(&share, "").map_err(|e| Error::Internal(format!("{}: {e}", share.display())))?;
    match nix::sys::stat::mkdirat(&share_dir, first.as_str(), nix::sys::stat::Mode::from_bits_truncate(0o700)) {
        Ok(()) => like_its_share(&share_dir, &first)?,
        Err(nix::errno::Errno::EEXIST) => {}
        Err(e) => return Err(Error::Internal(format!("cannot make {first}: {e}"))),
    }
    ensure_dirs(&share.join(&first), target_dir.split_once('/').map(|(_, rest)| rest).unwrap_or(""), uid, gid)?;
    let from = open_dir(space_root, dir).map_err(|e| Error::NotFound(format!("{dir}: {e}")))?;
    let to = open_dir(&share, &target_dir).map_err(|e| Error::Internal(format!("{target_dir}: {e}")))?;
    let binned = match link {
        true => link_to_free_name(&from, name, &to, name)?,
        false => rename_to_free_name(&from, name, &to, name)?,
    };
    Ok(format!("{target_dir}/{binned}"))
}

/// A new bin belongs to whoever owns its share, with the share's mode: the home's user can open their own
/// `~/#recycle` and restore from it (photosd's umask, 0027 under systemd, made it photosd's 0750 before), and a
/// shared folder's group keeps its rights.
fn like_its_share(share: &std::os::fd::OwnedFd, bin: &str) -> Result<(), Error> {
    let flags = nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_CLOEXEC;
    let made = nix::fcntl::openat(share, bin, flags, nix::sys::stat::Mode::empty())
        .map_err(|e| Error::Internal(format!("{bin}: {e}")))?;
    let owner = nix::sys::stat::fstat(share).map_err(|e| Error::Internal(format!("{bin}: {e}")))?;
    nix::sys::stat::fchmod(&made, nix::sys::stat::Mode::from_bits_truncate(owner.st_mode & 0o7777))
        .map_err(|e| Error::Internal(format!("{bin}: {e}")))?;
    let given = nix::unistd::fchown(
        &made,
        Some(nix::unistd::Uid::from_raw(owner.st_uid)),
        Some(nix::unistd::Gid::from_raw(owner.st_gid)),
    );
    super::space_fs::hand_over(given, bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_files_keep_their_path_in_the_bin_and_nothing_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let space = dir.path().join("alice/Photos");
        std::fs::create_dir_all(space.join("trip")).unwrap();
        std::fs::write(space.join("trip/a.jpg"), b"1").unwrap();
        let (uid, gid) = (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw());
        assert_eq!(recycle(&space, true, "trip", "a.jpg", uid, gid).unwrap(), "#recycle/Photos/trip/a.jpg");
        assert_eq!(std::fs::read(dir.path().join("alice/#recycle/Photos/trip/a.jpg")).unwrap(), b"1");
        std::fs::write(space.join("trip/a.jpg"), b"2").unwrap();
        assert_eq!(recycle(&space, true, "trip", "a.jpg", uid, gid).unwrap(), "#recycle/Photos/trip/a (2).jpg");
        std::fs::write(space.join("trip/b.jpg"), b"3").unwrap();
        assert!(matches!(rename(&space, "trip", "b.jpg", "", "a.jpg"), Ok(())));
        std::fs::write(space.join("trip/c.jpg"), b"4").unwrap();
        assert!(matches!(rename(&space, "trip", "c.jpg", "", "a.jpg"), Err(Error::Exists)));
        assert_eq!(std::fs::read(space.join("a.jpg")).unwrap(), b"3", "never replaced");
    }
}
