//! A running worker process, however it was started: by the daemon itself (as photosd's own user), or by the
//! launcher (as the workers' account, see `launcher`). Either can be killed, and asked how it ended.

use std::time::Duration;

use super::launcher;

pub enum WorkerProcess {
    Own(tokio::process::Child),
    /// Started by the launcher: only its pid is known here.
    Launched(u32),
}

impl WorkerProcess {
    pub async fn kill(&mut self) {
        match self {
            WorkerProcess::Own(child) => {
                let _ = child.kill().await;
            }
            WorkerProcess::Launched(pid) => {
                if let Some(launcher) = launcher::get() {
                    launcher.kill(*pid);
                }
            }
        }
    }

    /// How the worker ended (it is given 5 s, then killed), in words for the log and the file's verdict.
    pub async fn describe_exit(&mut self) -> String {
        let (signal, code) = match self {
            WorkerProcess::Own(child) => {
                use std::os::unix::process::ExitStatusExt;
                match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
                    Ok(Ok(status)) => (status.signal(), status.code()),
                    _ => {
                        let _ = child.kill().await;
                        return "it stopped answering".into();
                    }
                }
            }
            WorkerProcess::Launched(pid) => {
                let pid = *pid;
                let asked = tokio::task::spawn_blocking(move || launcher::get().map(|l| l.exit_status(pid))).await;
                match asked {
                    Ok(Some(Ok(ended))) => ended,
                    _ => return "it stopped answering".into(),
                }
            }
        };
        match signal {
            Some(9) => "killed (signal 9)".into(),
            Some(6) => "aborted (signal 6), usually out of memory under the worker memory limit".into(),
            Some(11) => "segmentation fault (signal 11)".into(),
            Some(24) => "CPU time limit exceeded (signal 24)".into(),
            Some(n) => format!("signal {n}"),
            None => format!("exit status {}", code.unwrap_or(-1)),
        }
    }
}

impl Drop for WorkerProcess {
    /// A worker the daemon lets go of is killed (`kill_on_drop` for its own children).
    fn drop(&mut self) {
        if let (WorkerProcess::Launched(pid), Some(launcher)) = (self, launcher::get()) {
            launcher.kill(*pid);
        }
    }
}
