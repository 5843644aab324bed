//! The worker's sandbox, entered once at start, before any request is read. A worker parses untrusted files with
//! C libraries, so it is given nothing a decoder exploit could use:
//! - a user and a network namespace of its own: no network at all, and no capability over anything outside;
//! - no capabilities, and no way to gain any (no_new_privs);
//! - no file to open but in the folders it writes to (thumbnails, transcodes), with Landlock: not the database,
//!   not the login key, not /etc/shadow;
//! - a seccomp filter refusing what decoding never needs: sockets, other processes (ptrace, signals to others,
//!   exec, fork), namespaces and mounts, kernel keys, BPF, io_uring, identity changes.
//!
//! It reads only the descriptors the daemon hands it (see `protocol`). What the kernel does not offer (user
//! namespaces turned off, a kernel older than Landlock, as on most NAS) is reported, and the rest still applies.
//! It runs as an account of its own (`workers.run_as`, started by `launcher`) when photosd was started as root,
//! else as photosd's user, which Landlock then keeps off photosd's own files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use seccompiler::{
    SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch,
};

/// Enters the sandbox, in which files may be opened only under `writable`. Returns what could not be applied,
/// to be said in the log.
pub fn enter(writable: &[PathBuf]) -> Vec<String> {
    let mut missing = Vec::new();
    if let Err(e) = own_namespaces() {
        missing.push(format!("no user and network namespace of its own ({e})"));
    }
    if let Err(e) = confine_files(writable) {
        missing.push(format!("files outside its folders are not closed to it ({e})"));
    }
    drop_capabilities();
    if let Err(e) = filter_system_calls() {
        missing.push(format!("no seccomp filter ({e})"));
    }
    missing
}

/// A new user namespace (in which this process keeps its own uid and gid, so what it writes keeps its owner) and
/// a new network namespace in it, which has no interface but a loopback that is down.
fn own_namespaces() -> anyhow::Result<()> {
    use nix::sched::{unshare, CloneFlags};
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET)?;
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    Ok(())
}

/// Landlock: every file access is refused except under `writable`. Files already open (the ones the daemon
/// passes, the libraries loaded at start) are not affected.
fn confine_files(writable: &[PathBuf]) -> anyhow::Result<()> {
    use landlock::{
        path_beneath_rules, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, ABI,
    };
    let abi = ABI::V3;
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))?
        .create()?
        .add_rules(path_beneath_rules(writable, AccessFs::from_all(abi)))?
        .restrict_self()?;
    match status.ruleset {
        RulesetStatus::NotEnforced => anyhow::bail!("this kernel has no Landlock"),
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Ok(()),
    }
}

/// What the sandbox let through, after `enter`, as JSON: which of `files` could be opened for reading and for
/// writing, whether a socket or a new process could be made. Everything should be refused.
pub fn check(missing: &[String], files: &[PathBuf]) -> String {
    let opens = |write: bool| -> Vec<String> {
        files
            .iter()
            .filter(|f| std::fs::OpenOptions::new().read(!write).write(write).open(f).is_ok())
            .map(|f| f.display().to_string())
            .collect()
    };
    let socket = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Inet,
        nix::sys::socket::SockType::Stream,
        nix::sys::socket::SockFlag::empty(),
        None,
    );
    let process = std::process::Command::new("/bin/true").status();
    serde_json::json!({
        "missing": missing,
        "read": opens(false),
        "write": opens(true),
        "socket": socket.is_ok(),
        "process": process.is_ok(),
    })
    .to_string()
}

/// Clears every capability set. In a new user namespace the process holds all of them there; outside it, a
/// worker started without ambient capabilities has none anyway. The bounding set can only be cleared where the
/// namespace gave the right to.
fn drop_capabilities() {
    use caps::CapSet;
    for set in [CapSet::Ambient, CapSet::Inheritable, CapSet::Bounding, CapSet::Effective, CapSet::Permitted] {
        let _ = caps::clear(None, set);
    }
}

/// System calls a worker never makes. Each answers EPERM.
const REFUSED: &[i64] = &[
    nix::libc::SYS_socket,
    nix::libc::SYS_socketpair,
    nix::libc::SYS_connect,
    nix::libc::SYS_bind,
    nix::libc::SYS_listen,
    nix::libc::SYS_accept,
    nix::libc::SYS_accept4,
    nix::libc::SYS_sendto,
    nix::libc::SYS_sendmsg,
    nix::libc::SYS_sendmmsg,
    nix::libc::SYS_ptrace,
    nix::libc::SYS_process_vm_readv,
    nix::libc::SYS_process_vm_writev,
    nix::libc::SYS_kill,
    nix::libc::SYS_tkill,
    nix::libc::SYS_execve,
    nix::libc::SYS_execveat,
    nix::libc::SYS_mount,
    nix::libc::SYS_umount2,
    nix::libc::SYS_pivot_root,
    nix::libc::SYS_chroot,
    nix::libc::SYS_unshare,
    nix::libc::SYS_setns,
    nix::libc::SYS_keyctl,
    nix::libc::SYS_add_key,
    nix::libc::SYS_request_key,
    nix::libc::SYS_bpf,
    nix::libc::SYS_perf_event_open,
    nix::libc::SYS_userfaultfd,
    nix::libc::SYS_open_by_handle_at,
    nix::libc::SYS_name_to_handle_at,
    nix::libc::SYS_init_module,
    nix::libc::SYS_finit_module,
    nix::libc::SYS_delete_module,
    nix::libc::SYS_kexec_load,
    nix::libc::SYS_reboot,
    nix::libc::SYS_swapon,
    nix::libc::SYS_swapoff,
    nix::libc::SYS_acct,
    nix::libc::SYS_io_uring_setup,
    nix::libc::SYS_io_uring_enter,
    nix::libc::SYS_io_uring_register,
    nix::libc::SYS_setuid,
    nix::libc::SYS_setgid,
    nix::libc::SYS_setreuid,
    nix::libc::SYS_setregid,
    nix::libc::SYS_setresuid,
    nix::libc::SYS_setresgid,
    nix::libc::SYS_setgroups,
    nix::libc::SYS_personality,
    #[cfg(target_arch = "x86_64")]
    nix::libc::SYS_fork,
    #[cfg(target_arch = "x86_64")]
    nix::libc::SYS_vfork,
];

fn filter_system_calls() -> anyhow::Result<()> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)?;
    let pid = std::process::id() as u64;
    let mut refused: BTreeMap<i64, Vec<SeccompRule>> = REFUSED.iter().map(|&call| (call, Vec::new())).collect();
    // A new thread (decoders run a few) is allowed, a new process is not.
    let no_thread =
        SeccompCondition::new(0, SeccompCmpArgLen::Qword, SeccompCmpOp::MaskedEq(nix::libc::CLONE_THREAD as u64), 0)?;
    refused.insert(nix::libc::SYS_clone, vec![SeccompRule::new(vec![no_thread])?]);
    // A signal only to itself (abort() raises SIGABRT with tgkill).
    let elsewhere = SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, pid)?;
    refused.insert(nix::libc::SYS_tgkill, vec![SeccompRule::new(vec![elsewhere])?]);
    let refuse =
        SeccompFilter::new(refused, SeccompAction::Allow, SeccompAction::Errno(nix::libc::EPERM as u32), arch)?;
    // clone3 passes its flags in memory, where a filter cannot look: it answers "not implemented", and the C
    // library falls back to clone, whose flags are checked above.
    let clone3 = BTreeMap::from([(nix::libc::SYS_clone3, Vec::new())]);
    let old_clone =
        SeccompFilter::new(clone3, SeccompAction::Allow, SeccompAction::Errno(nix::libc::ENOSYS as u32), arch)?;
    for filter in [refuse, old_clone] {
        let program: seccompiler::BpfProgram = filter.try_into()?;
        seccompiler::apply_filter(&program)?;
    }
    Ok(())
}
