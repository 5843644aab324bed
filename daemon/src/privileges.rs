//! Never running as root: started as root, `serve` binds its port, then becomes the service user
//! (`server.run_as`, default `photosd`), keeping only the capabilities file access needs; `index` and
//! `transcodes` become it before they touch the data dir, so that everything in it stays the service user's.
//! A data dir left root's by an older photosd (or by hand) is handed back at start. Started as anyone else,
//! photosd stays that user and says in the log what it cannot do.
//!
//! Kept: CAP_DAC_READ_SEARCH (read every space, and /etc/shadow for PAM), CAP_DAC_OVERRIDE (write uploads and
//! folders into users' own folders), CAP_CHOWN (hand those files to their user), CAP_FOWNER (set their time).
//! Workers get CAP_DAC_READ_SEARCH only, as an ambient capability: they read files, nothing else.
//! This runs before the async runtime starts, because capabilities belong to threads and new threads inherit
//! them from the thread that makes them.

use caps::{CapSet, Capability, CapsHashSet};
use nix::unistd::{geteuid, setgroups, setresgid, setresuid, Group, Uid, User};

const KEPT: [Capability; 4] =
    [Capability::CAP_DAC_READ_SEARCH, Capability::CAP_DAC_OVERRIDE, Capability::CAP_CHOWN, Capability::CAP_FOWNER];

pub fn drop_to(user: &str, data_dir: &std::path::Path) -> anyhow::Result<()> {
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
    let workers: CapsHashSet = [Capability::CAP_DAC_READ_SEARCH].into_iter().collect();
    caps::set(None, CapSet::Inheritable, &workers)?;
    caps::raise(None, CapSet::Ambient, Capability::CAP_DAC_READ_SEARCH)?;
    nix::sys::prctl::set_keepcaps(false)?;
    anyhow::ensure!(setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0)).is_err(), "root could be regained");
    tracing::info!(user, uid = account.uid.as_raw(), "dropped root; kept file-access capabilities only");
    Ok(())
}

/// Gives the data dir and everything in it to the service user. Walking it costs a stat per thumbnail, so the walk
/// happens only when the folder itself or one of its entries (the database, `thumbs`, `video`...) has another
/// owner: what a photosd run as root before this version left behind.
fn hand_over(data_dir: &std::path::Path, uid: Uid, gid: nix::unistd::Gid) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let foreign = |m: &std::fs::Metadata| m.uid() != uid.as_raw() || m.gid() != gid.as_raw();
    let top = std::fs::symlink_metadata(data_dir)?;
    let mut entries = std::fs::read_dir(data_dir)?.flatten();
    if !foreign(&top) && !entries.any(|e| e.metadata().is_ok_and(|m| foreign(&m))) {
        return Ok(());
    }
    let mut changed = 0u64;
    let mut stack = vec![data_dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path)?;
        if foreign(&meta) {
            // lchown: a symlink is changed itself, never what it points to.
            std::os::unix::fs::lchown(&path, Some(uid.as_raw()), Some(gid.as_raw()))?;
            changed += 1;
        }
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&path)?.flatten().map(|e| e.path()));
        }
    }
    tracing::warn!(
        data_dir = %data_dir.display(),
        changed,
        uid = uid.as_raw(),
        "the data directory held files of another owner (left by photosd run as root); handed them to the service user"
    );
    Ok(())
}
