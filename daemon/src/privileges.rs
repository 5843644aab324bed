//! Never running as root: started as root, `serve` binds its port, then becomes the service user
//! (`server.run_as`, default `photosd`), keeping only the capabilities file access needs; `index` and
//! `transcodes` become it before they touch the data dir, so that everything in it stays the service user's.
//! A data dir left root's by an older photosd (or by hand) is handed back at start. Started as anyone else,
//! photosd stays that user and says in the log what it cannot do.
//!
//! Kept: CAP_DAC_READ_SEARCH (read every space, and /etc/shadow for PAM), CAP_DAC_OVERRIDE (write uploads and
//! folders into users' own folders, which photosd does not own: without it every write would have to be made as
//! its user, which needs CAP_SETUID, and that would let photosd become root again), CAP_CHOWN (hand those files
//! to their user), CAP_FOWNER (set their time). Workers get no capability: they read only the files photosd opens
//! for them (see `worker`), and run as their own account, started by the launcher (`worker::launcher`), which
//! photosd forks before it drops root.
//! This runs before the async runtime starts, because capabilities belong to threads and new threads inherit
//! them from the thread that makes them.

use caps::{CapSet, Capability, CapsHashSet};

use crate::service::thumbs::TREES;
use nix::unistd::{geteuid, setgroups, setresgid, setresuid, Group, Uid, User};

const KEPT: [Capability; 4] =
    [Capability::CAP_DAC_READ_SEARCH, Capability::CAP_DAC_OVERRIDE, Capability::CAP_CHOWN, Capability::CAP_FOWNER];

pub fn drop_to(user: &str, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let workers =
        crate::worker::launcher::get().map(|l| (Uid::from_raw(l.account.0), nix::unistd::Gid::from_raw(l.account.1)));
    if !geteuid().is_root() {
        let me = User::from_uid(geteuid())?.map(|u| u.name).unwrap_or_else(|| geteuid().to_string());
        tracing::warn!(
            user = me,
            "not started as root: only files {me} may read are indexed, uploads belong to {me}, and only {me}'s \
             password can be checked (unless {me} can read /etc/shadow)"
        );
        return Ok(());
    }
    anyhow::ensure!(!user.is_empty(), "server.run_as is empty: photosd does not keep running as root");
    let account = User::from_name(user)?.ok_or_else(|| {
        anyhow::anyhow!("the service user {user:?} does not exist (create it, or set server.run_as / --run-as)")
    })?;
    anyhow::ensure!(!account.uid.is_root(), "server.run_as must not be root");
    // The database, thumbnails and transcodes belong to the service user.
    std::fs::create_dir_all(data_dir)?;
    hand_over(data_dir, account.uid, account.gid)?;
    if let Some((worker_uid, group)) = workers {
        open_to_workers(data_dir, account.uid, group);
        if let Some((folder, mode)) = closed_to(data_dir, worker_uid, group) {
            tracing::error!(
                folder = %folder.display(),
                mode = format!("{mode:o}"),
                "the workers' account cannot pass through this folder to the data dir: no thumbnail or transcode \
                 can be made until it can (chmod o+x, or put the data dir elsewhere)"
            );
        }
    }
    let mut groups = vec![account.gid];
    // pam_unix's helper checks passwords for members of `shadow` when the capability is not enough.
    if let Some(shadow) = Group::from_name("shadow")? {
        groups.push(shadow.gid);
    }
    setgroups(&groups)?;
    setresgid(account.gid, account.gid, account.gid)?;
    nix::sys::prctl::set_keepcaps(true)?;
    setresuid(account.uid, account.uid, account.uid)?;
    let kept: CapsHashSet = KEPT.into_iter().collect();
    caps::set(None, CapSet::Permitted, &kept)?;
    caps::set(None, CapSet::Effective, &kept)?;
    // Nothing is passed on to the processes photosd starts (workers, PAM's helper).
    caps::clear(None, CapSet::Inheritable)?;
    caps::clear(None, CapSet::Ambient)?;
    nix::sys::prctl::set_keepcaps(false)?;
    anyhow::ensure!(setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0)).is_err(), "root could be regained");
    tracing::info!(user, uid = account.uid.as_raw(), "dropped root; kept file-access capabilities only");
    Ok(())
}

/// The first folder above `data_dir` that an account of `uid` and group `gid` (without capabilities) may not pass
/// through, with its mode.
fn closed_to(data_dir: &std::path::Path, uid: Uid, gid: nix::unistd::Gid) -> Option<(std::path::PathBuf, u32)> {
    use std::os::unix::fs::MetadataExt;
    let data_dir = std::fs::canonicalize(data_dir).ok()?;
    data_dir.ancestors().skip(1).find_map(|folder| {
        let meta = std::fs::metadata(folder).ok()?;
        let mode = meta.mode() & 0o7777;
        let passes = match (meta.uid() == uid.as_raw(), meta.gid() == gid.as_raw()) {
            (true, _) => mode & 0o100 != 0,
            (false, true) => mode & 0o010 != 0,
            (false, false) => mode & 0o001 != 0,
        };
        (!passes).then(|| (folder.to_path_buf(), mode))
    })
}

/// Opens the data dir to the workers' account, which may then write thumbnails and transcodes, and nothing else:
/// the data dir itself becomes `photosd:<workers' group>` 0710 (they may pass, not list or read), and each of
/// `TREES`, with the two levels of folders under it, `photosd:<workers' group>` 2770 (setgid, so what they write
/// there keeps the group). Done at every start, so that an older library is opened too; what cannot be changed
/// is logged, and thumbnails then fail as the data dir's problem, never the photo's.
fn open_to_workers(data_dir: &std::path::Path, owner: Uid, group: nix::unistd::Gid) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let open = |dir: &std::path::Path, mode: u32| {
        let Ok(meta) = std::fs::symlink_metadata(dir) else { return false };
        if !meta.is_dir() {
            return false;
        }
        if meta.gid() != group.as_raw() || meta.mode() & 0o7777 != mode {
            let changed = nix::unistd::chown(dir, Some(owner), Some(group))
                .map_err(std::io::Error::from)
                .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)));
            if let Err(e) = changed {
                tracing::warn!(folder = %dir.display(), "cannot open to the workers: {e}");
            }
        }
        true
    };
    open(data_dir, 0o710);
    for tree in TREES {
        let root = data_dir.join(tree);
        let _ = std::fs::create_dir_all(&root);
        open(&root, 0o2770);
        for level1 in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            if open(&level1.path(), 0o2770) {
                for level2 in std::fs::read_dir(level1.path()).into_iter().flatten().flatten() {
                    open(&level2.path(), 0o2770);
                }
            }
        }
    }
}

/// What photosd keeps in its data dir besides `TREES`: the database with its journals, and the login key. Only
/// these are ever handed over, so a data dir pointed by mistake at a folder with other things in it keeps them.
const FILES: [&str; 5] = ["library.db", "library.db-wal", "library.db-shm", "library.db-journal", "login-key.pem"];

/// Gives back to the service user what a photosd run as root before this version left root's in the data dir: the
/// database and the login key, and every folder of thumbnails and transcodes (photosd cannot
/// add a file to a folder root owns), with the files in such a folder. A root-owned file in a folder photosd owns
/// stays: photosd can replace it, and does. Nothing owned by anyone but root is touched, no symlink is followed,
/// no file with other names (a hard link) is changed, nothing on another file system; an entry that cannot be
/// changed is logged, and the rest carries on.
fn hand_over(data_dir: &std::path::Path, uid: Uid, gid: nix::unistd::Gid) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // A data dir reached through a symlink is the folder it names.
    let root = std::fs::canonicalize(data_dir)?;
    let device = std::fs::metadata(&root)?.dev();
    // The folder itself is the service user's whoever made it, as it always was.
    if std::fs::metadata(&root)?.uid() != uid.as_raw() {
        nix::unistd::chown(&root, Some(uid), Some(gid))?;
    }
    let mut handover = Handover { uid: uid.as_raw(), gid: gid.as_raw(), device, changed: 0, failed: 0 };
    for name in FILES {
        handover.entry(&root.join(name));
    }
    for tree in TREES {
        handover.folder(&root.join(tree), 2);
    }
    if handover.changed > 0 || handover.failed > 0 {
        tracing::warn!(
            data_dir = %root.display(),
            changed = handover.changed,
            failed = handover.failed,
            uid = uid.as_raw(),
            "the data directory held files of root's (left by photosd run as root); handed them to the service user"
        );
    }
    Ok(())
}

struct Handover {
    uid: u32,
    gid: u32,
    device: u64,
    changed: u64,
    failed: u64,
}

impl Handover {
    /// Gives `path` to the service user if it is root's; returns whether it was.
    fn entry(&mut self, path: &std::path::Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::symlink_metadata(path) else { return false };
        let hard_link = meta.is_file() && meta.nlink() > 1;
        if meta.uid() != 0 || meta.dev() != self.device || meta.file_type().is_symlink() || hard_link {
            return false;
        }
        match std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid)) {
            Ok(()) => self.changed += 1,
            Err(e) => {
                self.failed += 1;
                tracing::warn!(path = %path.display(), "cannot hand over to the service user: {e}");
            }
        }
        true
    }

    /// A folder of derived files and `levels` levels of folders under it.
    fn folder(&mut self, dir: &std::path::Path, levels: u32) {
        let was_roots = self.entry(dir);
        // symlink_metadata: a folder swapped for a symlink is not entered.
        if !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) || (levels == 0 && !was_roots) {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && levels > 0 {
                self.folder(&entry.path(), levels - 1);
            } else if kind.is_file() && was_roots {
                self.entry(&entry.path());
            }
        }
    }
}
