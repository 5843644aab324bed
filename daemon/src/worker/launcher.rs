//! The worker launcher: a small process forked while photosd is still root, which becomes `workers.run_as` (an
//! account that owns nothing) for good, and starts and stops worker processes for the daemon. Workers so run as an
//! account of their own without the daemon keeping the power to change users (CAP_SETUID would let it become root
//! again); the launcher, being the workers' own user, may signal them. Without root, or without the account (the
//! NAS package, a command run by hand), there is no launcher and the daemon starts its workers itself, as its own
//! user.
//!
//! The daemon and the launcher speak over a `SOCK_SEQPACKET` pair, one JSON datagram each way per call, behind a
//! mutex; a started worker's request socket, stdout and stderr come back attached to the answer.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use serde::{Deserialize, Serialize};

use super::protocol::{receive_datagram, send_datagram};

static LAUNCHER: OnceLock<Launcher> = OnceLock::new();

pub struct Launcher {
    socket: Mutex<OwnedFd>,
    /// The workers' account, (uid, gid).
    pub account: (u32, u32),
}

#[derive(Debug, Serialize, Deserialize)]
enum Call {
    /// Start `exe args`, with these environment variables.
    Spawn {
        exe: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
    },
    Kill {
        pid: u32,
    },
    /// How the worker ended: waits up to 5 s for it, then kills it.
    Exit {
        pid: u32,
    },
}

#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    /// The worker's request socket, stdout and stderr come attached, in that order.
    Spawned {
        pid: u32,
    },
    Exited {
        signal: Option<i32>,
        code: Option<i32>,
    },
    Failed(String),
}

/// A worker the launcher started, as the daemon holds it.
pub struct Launched {
    pub pid: u32,
    pub socket: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

/// The launcher, when there is one.
pub fn get() -> Option<&'static Launcher> {
    LAUNCHER.get()
}

/// Forks the launcher, when photosd runs as root and `account` exists. Must be called while photosd has no other
/// thread (a fork copies only the calling one).
pub fn start(account: &str) -> anyhow::Result<()> {
    if !nix::unistd::geteuid().is_root() || account.is_empty() {
        return Ok(());
    }
    let Some(user) = nix::unistd::User::from_name(account)? else {
        tracing::warn!(
            account,
            "workers.run_as does not exist: workers run as photosd's own user (create it: useradd --system \
             --no-create-home --shell /usr/sbin/nologin {account})"
        );
        return Ok(());
    };
    let (ours, theirs) = socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)?;
    match crate::ffi::fork_while_single_threaded()? {
        nix::unistd::ForkResult::Child => {
            drop(ours);
            let code = match serve(&theirs, &user) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("photosd worker launcher: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(theirs);
            let account = (user.uid.as_raw(), user.gid.as_raw());
            let _ = LAUNCHER.set(Launcher { socket: Mutex::new(ours), account });
            tracing::info!(account = user.name, launcher = child.as_raw(), "workers run as their own account");
            Ok(())
        }
    }
}

impl Launcher {
    fn call(&self, call: &Call) -> std::io::Result<(Answer, Vec<std::fs::File>)> {
        let socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        let body = serde_json::to_vec(call).expect("launcher calls always serialise");
        send_datagram(socket.as_raw_fd(), &body, &[])?;
        let (answer, files) = receive_datagram(socket.as_fd())?
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the worker launcher is gone"))?;
        Ok((serde_json::from_slice(&answer)?, files))
    }

    /// Starts `exe args` as the workers' account. Blocking (a fork and an exec in the launcher).
    pub fn spawn(&self, exe: &str, args: &[String], env: &[(&str, &str)]) -> std::io::Result<Launched> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        match self.call(&Call::Spawn { exe: exe.into(), args: args.to_vec(), env })? {
            (Answer::Spawned { pid }, files) if files.len() == 3 => {
                let mut fds = files.into_iter().map(OwnedFd::from);
                let mut next = || fds.next().expect("three descriptors");
                Ok(Launched { pid, socket: next(), stdout: next(), stderr: next() })
            }
            (Answer::Failed(why), _) => Err(std::io::Error::other(why)),
            (other, _) => Err(std::io::Error::other(format!("the worker launcher answered {other:?}"))),
        }
    }

    /// Kills worker `pid`. No answer is awaited.
    pub fn kill(&self, pid: u32) {
        let socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        let body = serde_json::to_vec(&Call::Kill { pid }).expect("launcher calls always serialise");
        let _ = send_datagram(socket.as_raw_fd(), &body, &[]);
    }

    /// How worker `pid` ended, (signal, exit code); it is given 5 s, then killed. Blocking.
    pub fn exit_status(&self, pid: u32) -> std::io::Result<(Option<i32>, Option<i32>)> {
        match self.call(&Call::Exit { pid })? {
            (Answer::Exited { signal, code }, _) => Ok((signal, code)),
            (other, _) => Err(std::io::Error::other(format!("the worker launcher answered {other:?}"))),
        }
    }
}

/// The launcher's side: becomes the workers' account for good, then answers the daemon until it goes.
fn serve(socket: &OwnedFd, user: &nix::unistd::User) -> anyhow::Result<()> {
    use nix::unistd::{setgroups, setresgid, setresuid};
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
    setgroups(&[user.gid])?;
    setresgid(user.gid, user.gid, user.gid)?;
    // From root to another user: the kernel clears every capability.
    setresuid(user.uid, user.uid, user.uid)?;
    let root = nix::unistd::Uid::from_raw(0);
    anyhow::ensure!(setresuid(root, root, root).is_err(), "root could be regained");
    let mut workers: HashMap<u32, Child> = HashMap::new();
    while let Some((body, _)) = receive_datagram(socket.as_fd())? {
        let call: Call = serde_json::from_slice(&body)?;
        let answer = match call {
            Call::Spawn { exe, args, env } => match spawn(&exe, &args, &env) {
                Ok((child, fds)) => {
                    let pid = child.id();
                    workers.insert(pid, child);
                    let raw: Vec<_> = fds.iter().map(|f| f.as_raw_fd()).collect();
                    let body = serde_json::to_vec(&Answer::Spawned { pid })?;
                    send_datagram(socket.as_raw_fd(), &body, &raw)?;
                    continue;
                }
                Err(e) => Answer::Failed(e.to_string()),
            },
            Call::Kill { pid } => {
                if let Some(child) = workers.get_mut(&pid) {
                    let _ = child.kill();
                }
                continue;
            }
            Call::Exit { pid } => match workers.remove(&pid) {
                Some(child) => exited(child),
                None => Answer::Failed(format!("no worker {pid}")),
            },
        };
        send_datagram(socket.as_raw_fd(), &serde_json::to_vec(&answer)?, &[])?;
        // Workers the daemon let go of without asking how they ended.
        workers.retain(|_, child| !matches!(child.try_wait(), Ok(Some(_))));
    }
    for child in workers.values_mut() {
        let _ = child.kill();
    }
    Ok(())
}

/// Starts one worker; returns it with the daemon's ends: its request socket, stdout and stderr.
fn spawn(exe: &str, args: &[String], env: &[(String, String)]) -> std::io::Result<(Child, [OwnedFd; 3])> {
    let (ours, theirs) = socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)?;
    let mut child = Command::new(exe)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = OwnedFd::from(child.stdout.take().expect("piped"));
    let stderr = OwnedFd::from(child.stderr.take().expect("piped"));
    Ok((child, [ours, stdout, stderr]))
}

/// Waits up to 5 s for a worker to end, then kills it; says how it ended.
fn exited(mut child: Child) -> Answer {
    use std::os::unix::process::ExitStatusExt;
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                break child.wait();
            }
            Err(e) => break Err(e),
        }
    };
    match status {
        Ok(status) => Answer::Exited { signal: status.signal(), code: status.code() },
        Err(e) => Answer::Failed(e.to_string()),
    }
}
