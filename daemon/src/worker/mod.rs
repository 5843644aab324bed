//! The worker pools: the one module that starts and talks to `photosd worker` processes. A pool is made from a
//! `PoolSpec` (how many workers, their limits, how long they may idle). Each request gets a
//! deadline; a worker that misses it is killed, and one that dies is replaced on the next request. Either way
//! the caller gets an error that says what happened to that file, and the pool carries on.

pub mod child;
pub mod launcher;
mod process;
mod protocol;
mod sandbox;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::os::fd::{AsRawFd, RawFd};

use tokio::process::Command;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::media::input::{OutputError, Source};
use crate::media::thumb::{ThumbReport, ThumbRequest};
use crate::media::Reading;
use process::WorkerProcess;
use protocol::{read_frame, send, Request, Response};

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot start a worker process ({exe}): {source}")]
    Spawn { exe: String, source: std::io::Error },
    #[error("reading this file took longer than {0} s; the worker was stopped")]
    Timeout(u64),
    #[error("the worker crashed on this file ({0})")]
    Crashed(String),
    #[error("worker protocol error: {0}")]
    Protocol(String),
    #[error("cancelled; the worker was stopped")]
    Cancelled,
}

struct Worker {
    process: WorkerProcess,
    /// The request socket (the worker's stdin is its other end).
    socket: tokio::net::UnixStream,
    stdout: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
}

/// What a pool is: how many workers, under which limits, for how long, writing where. Each pool is made from
/// one; the worker's command line is derived from it, never patched.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    /// For the log.
    pub name: &'static str,
    pub workers: usize,
    /// Address-space limit of each worker.
    pub memory_mb: u64,
    /// CPU seconds a worker may use before the kernel stops it.
    pub cpu_secs: u64,
    pub nice: i32,
    /// How long one request may take (plus a second per 50 MB of its file).
    pub timeout: Duration,
    /// A worker idle this long exits; `None`: it stays until the pool stops.
    pub idle_exit: Option<Duration>,
    /// The folders the workers may write to (each with what is under it); they may write nowhere else.
    pub writable: Vec<PathBuf>,
    /// Whether workers are started by the launcher, as the workers' account (see `for_the_library`).
    pub launched: bool,
}

impl PoolSpec {
    /// The pool that reads files and renders thumbnails: `workers.count` workers under the `[workers]` limits.
    pub fn media(config: &Config) -> PoolSpec {
        PoolSpec {
            name: "media",
            workers: config.worker_count(),
            memory_mb: config.workers.memory_limit_mb,
            cpu_secs: config.workers.cpu_limit_secs,
            nice: 0,
            timeout: Duration::from_secs(config.workers.timeout_secs),
            idle_exit: idle_exit(config),
            writable: Vec::new(),
            launched: false,
        }
    }

    /// The transcoding pool: `video.concurrent_transcodes` workers at a lower CPU priority, with a deadline fit
    /// for a long video on a slow NAS, and the CPU budget of a whole working day.
    pub fn transcoder(config: &Config) -> PoolSpec {
        PoolSpec {
            name: "transcode",
            workers: config.video.concurrent_transcodes,
            cpu_secs: 8 * 3600,
            nice: config.video.transcode_nice,
            timeout: Duration::from_secs(6 * 3600),
            ..PoolSpec::media(config)
        }
    }

    /// The face pool: one worker at a lower CPU priority (faces never hold up thumbnails), which leaves with its
    /// models' memory when idle.
    pub fn faces(config: &Config) -> PoolSpec {
        PoolSpec { name: "faces", workers: 1, nice: 10, ..PoolSpec::media(config) }
    }

    /// The folders the workers may write to. The library's pools write thumbnails and transcodes under the data
    /// dir; `photosd thumb` its `--out` folder.
    pub fn writing_to(mut self, folders: &[PathBuf]) -> PoolSpec {
        self.writable.extend(folders.iter().cloned());
        self
    }

    /// The library's pools (not a command's, which writes where its user says) start their workers through the
    /// launcher, as the workers' account, when there is one.
    pub fn for_the_library(mut self) -> PoolSpec {
        self.launched = launcher::get().is_some();
        self
    }

    /// The worker's command line.
    fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "worker".into(),
            "--memory-mb".into(),
            self.memory_mb.to_string(),
            "--cpu-secs".into(),
            self.cpu_secs.to_string(),
            "--nice".into(),
            self.nice.to_string(),
        ];
        for folder in &self.writable {
            args.push("--writable".into());
            args.push(folder.display().to_string());
        }
        args
    }
}

fn idle_exit(config: &Config) -> Option<Duration> {
    Some(Duration::from_secs(config.workers.idle_exit_secs)).filter(|d| !d.is_zero())
}

/// An idle worker, and since when.
type IdleWorkers = Mutex<Vec<(Worker, std::time::Instant)>>;

pub struct WorkerPool {
    spec: PoolSpec,
    exe: PathBuf,
    args: Vec<String>,
    /// Bounds concurrent requests to the number of workers.
    slots: Semaphore,
    /// One HEIF/AVIF decode at a time: libheif and its HEVC decoder need ~100 MB for a 12-16 MP photo, and two
    /// at once would break the memory budget of a small NAS. JPEG and the rest are not held back.
    heavy: Semaphore,
    /// Idle workers. A std mutex: it is held only to push or pop, never across an await.
    idle: Arc<IdleWorkers>,
}

impl WorkerPool {
    pub fn new(spec: PoolSpec) -> std::io::Result<WorkerPool> {
        let idle: Arc<IdleWorkers> = Arc::default();
        if let (Some(after), Ok(runtime)) = (spec.idle_exit, tokio::runtime::Handle::try_current()) {
            runtime.spawn(stop_idle_workers(Arc::downgrade(&idle), after, spec.name));
        }
        Ok(WorkerPool {
            // Started by the NAS package's launcher, photosd's own file is the loader's: workers go through the
            // launcher, which brings the packaged libraries.
            exe: match std::env::var_os("PHOTOSD_EXE") {
                Some(launcher) => launcher.into(),
                None => std::env::current_exe()?,
            },
            args: spec.args(),
            slots: Semaphore::new(spec.workers),
            heavy: Semaphore::new(1),
            idle,
            spec,
        })
    }

    /// Transcodes `source` to `out`, calling `on_progress` with the fraction done. When `cancel` fires, the worker
    /// is killed and its temp file removed. A transcode that fails for any reason leaves nothing at `out`.
    pub async fn transcode(
        &self,
        source: &Source,
        out: &Path,
        on_progress: &mut (dyn FnMut(f64) + Send),
        cancel: &CancellationToken,
    ) -> Result<Result<(), OutputError>, WorkerError> {
        let request = Request::Transcode { path: source.path.display().to_string(), out: out.display().to_string() };
        let answer = self.exchange(&request, source, &[], on_progress, Some(cancel)).await;
        if answer.is_err() {
            remove_partial_output(out);
        }
        match answer? {
            Response::Transcoded(result) => Ok(result.map_err(OutputError::bounded)),
            other => Err(WorkerError::Protocol(format!("unexpected answer {other:?}"))),
        }
    }

    /// Finds the faces in an image in a worker (which loads `models` on its first request); with `aligned`, the
    /// image is one aligned face to embed. The outer error is what happened to the worker; the inner one the
    /// file's fault, or photosd's own (the models).
    pub async fn faces(
        &self,
        source: &Source,
        models: &crate::ml::ModelFiles,
        embedding: bool,
        short_side: u32,
        aligned: bool,
    ) -> Result<Result<crate::ml::FacesFound, OutputError>, WorkerError> {
        let request = Request::Faces { path: source.path.display().to_string(), embedding, short_side, aligned };
        match self.exchange(&request, source, &models.descriptors(), &mut |_| {}, None).await? {
            Response::Faces(result) => Ok(result.map_err(OutputError::bounded)),
            other => Err(WorkerError::Protocol(format!("unexpected answer {other:?}"))),
        }
    }

    /// Classifies an image in a worker (which loads the model on its first request). The outer error is what
    /// happened to the worker; the inner one the file's fault, or photosd's own (the model).
    pub async fn subjects(
        &self,
        source: &Source,
        model: &crate::ml::subjects::ClassifierFile,
    ) -> Result<Result<crate::ml::subjects::Classes, OutputError>, WorkerError> {
        use std::os::fd::AsRawFd;
        let request = Request::Subjects { path: source.path.display().to_string() };
        match self.exchange(&request, source, &[model.0.as_raw_fd()], &mut |_| {}, None).await? {
            Response::Subjects(result) => Ok(result.map_err(OutputError::bounded)),
            other => Err(WorkerError::Protocol(format!("unexpected answer {other:?}"))),
        }
    }

    pub fn size(&self) -> usize {
        self.slots.available_permits()
    }

    /// Reads a file's metadata (and its hash) in a worker.
    pub async fn read(&self, source: &Source, hash: bool) -> Result<Reading, WorkerError> {
        let path = source.path.display().to_string();
        match self.call(&Request::Read { path: path.clone(), hash }, source).await? {
            Response::Read(reading) => Ok(reading.accepted_from_worker(&path, source.len)),
            other => Err(WorkerError::Protocol(format!("unexpected answer {other:?}"))),
        }
    }

    /// Renders a file's thumbnails in a worker. The outer error is what happened to the worker; the inner one
    /// is the decoder's verdict on the file, or the data dir's failure to take the thumbnails.
    pub async fn thumbs(
        &self,
        request: ThumbRequest,
        source: &Source,
    ) -> Result<Result<ThumbReport, OutputError>, WorkerError> {
        let _heavy = match crate::media::detect::is_heif_name(&source.path) {
            true => Some(self.heavy.acquire().await.map_err(|e| WorkerError::Protocol(e.to_string()))?),
            false => None,
        };
        let targets: Vec<PathBuf> = request.sizes.iter().map(|s| PathBuf::from(&s.path)).collect();
        let answer = self.call(&Request::Thumbs(request), source).await;
        if answer.is_err() {
            targets.iter().for_each(|t| remove_partial_output(t));
        }
        match answer? {
            // Only the files asked for, under the names asked for.
            Response::Thumbs(Ok(report))
                if report.files.iter().any(|f| !targets.iter().any(|t| t.as_os_str() == f.path.as_str()))
                    || report.decoded.len() > 200 =>
            {
                Err(WorkerError::Protocol("the worker reported thumbnails it was not asked for".into()))
            }
            Response::Thumbs(result) => Ok(result.map_err(OutputError::bounded)),
            other => Err(WorkerError::Protocol(format!("unexpected answer {other:?}"))),
        }
    }

    async fn call(&self, request: &Request, source: &Source) -> Result<Response, WorkerError> {
        self.exchange(request, source, &[], &mut |_| {}, None).await
    }

    /// Sends one request with the source's descriptors and `extra` ones after them, and reads frames until its
    /// answer, passing progress frames to `on_progress`.
    async fn exchange(
        &self,
        request: &Request,
        source: &Source,
        extra: &[RawFd],
        on_progress: &mut (dyn FnMut(f64) + Send),
        cancel: Option<&CancellationToken>,
    ) -> Result<Response, WorkerError> {
        let _slot = self.slots.acquire().await.map_err(|e| WorkerError::Protocol(e.to_string()))?;
        let mut worker = match self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            Some((w, _)) => w,
            None => self.spawn()?,
        };
        // Hashing a large video takes time on a slow disk: one more second per 50 MB.
        let deadline = self.spec.timeout + Duration::from_secs(source.len / 50_000_000);
        let mut files: Vec<RawFd> = vec![source.file().as_raw_fd()];
        // Only a `Read` reads the XMP sidecar; a `Faces` or `Subjects` request's extra descriptors are its models.
        if matches!(request, Request::Read { .. }) {
            files.extend(source.sidecar.as_ref().map(|f| f.as_raw_fd()));
        }
        files.extend_from_slice(extra);
        let exchange = async {
            send(&worker.socket, request, &files).await?;
            loop {
                let frame = read_frame(&mut worker.stdout).await?;
                match serde_json::from_slice(&frame) {
                    Ok(Response::Progress(done)) => on_progress(done),
                    Ok(response) => return std::io::Result::Ok(Ok(response)),
                    Err(e) => return Ok(Err(WorkerError::Protocol(e.to_string()))),
                }
            }
        };
        let cancelled = async {
            match cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(deadline, exchange) => outcome,
            () = cancelled => {
                worker.process.kill().await;
                return Err(WorkerError::Cancelled);
            }
        };
        match outcome {
            Ok(Ok(Ok(response))) => {
                self.idle.lock().unwrap_or_else(|p| p.into_inner()).push((worker, std::time::Instant::now()));
                Ok(response)
            }
            Ok(Ok(Err(protocol))) => {
                worker.process.kill().await;
                Err(protocol)
            }
            Ok(Err(_)) => Err(WorkerError::Crashed(worker.process.describe_exit().await)),
            Err(_) => {
                worker.process.kill().await;
                Err(WorkerError::Timeout(deadline.as_secs()))
            }
        }
    }

    /// Stops the idle workers: closing a worker's request socket ends its loop, and waiting reaps it, so its CPU time is
    /// accounted to photosd and no process outlives the daemon.
    pub async fn shutdown(&self) {
        let workers = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for (worker, _) in workers {
            stop(worker).await;
        }
    }

    fn spawn(&self) -> Result<Worker, WorkerError> {
        use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
        let spawn_error = |source: std::io::Error| WorkerError::Spawn { exe: self.exe.display().to_string(), source };
        let request_socket = |fd: std::os::fd::OwnedFd| {
            let socket = std::os::unix::net::UnixStream::from(fd);
            socket.set_nonblocking(true)?;
            tokio::net::UnixStream::from_std(socket)
        };
        if let Some(launcher) = launcher::get().filter(|_| self.spec.launched) {
            let exe = self.exe.display().to_string();
            let launched = launcher.spawn(&exe, &self.args, &WORKER_ENV).map_err(spawn_error)?;
            let stdout = tokio::net::unix::pipe::Receiver::from_owned_fd(launched.stdout).map_err(spawn_error)?;
            let stderr = tokio::net::unix::pipe::Receiver::from_owned_fd(launched.stderr).map_err(spawn_error)?;
            tokio::spawn(log_stderr(stderr, launched.pid));
            let socket = request_socket(launched.socket).map_err(spawn_error)?;
            return Ok(Worker { process: WorkerProcess::Launched(launched.pid), socket, stdout: Box::new(stdout) });
        }
        let (ours, theirs) = socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)
            .map_err(|e| spawn_error(e.into()))?;
        let socket = request_socket(ours).map_err(spawn_error)?;
        let mut child = Command::new(&self.exe)
            .args(&self.args)
            .stdin(std::process::Stdio::from(theirs))
            .stdout(std::process::Stdio::piped())
            // C libraries print to stderr (dav1d's "Frame size … exceeds limit" through libheif): it goes to the
            // log, not the terminal.
            .stderr(std::process::Stdio::piped())
            .envs(WORKER_ENV)
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_error)?;
        let stdout = child.stdout.take().ok_or_else(|| WorkerError::Protocol("no stdout".into()))?;
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(log_stderr(stderr, child.id().unwrap_or(0)));
        }
        Ok(Worker { process: WorkerProcess::Own(child), socket, stdout: Box::new(stdout) })
    }
}

/// Ends a worker: closing its request socket ends its loop, and waiting reaps it.
async fn stop(mut worker: Worker) {
    drop(worker.socket);
    worker.process.describe_exit().await;
}

/// Stops the workers that have been idle for `after`, every few seconds, for as long as the pool exists.
async fn stop_idle_workers(idle: std::sync::Weak<IdleWorkers>, after: Duration, pool: &'static str) {
    let period = (after / 4).clamp(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        tokio::time::sleep(period).await;
        let Some(idle) = idle.upgrade() else { return };
        let expired: Vec<Worker> = {
            let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
            let (expired, kept): (Vec<_>, Vec<_>) = idle.drain(..).partition(|(_, since)| since.elapsed() >= after);
            *idle = kept;
            expired.into_iter().map(|(w, _)| w).collect()
        };
        if expired.is_empty() {
            continue;
        }
        tracing::debug!(pool, workers = expired.len(), "idle workers exit");
        for worker in expired {
            stop(worker).await;
        }
        // The library has been idle for a while: the daemon gives back what its own busy spell left free in
        // its malloc arenas (the threads that recorded results, answered the portal, read the queue), so that
        // its RSS returns to what it was before, with the workers' (`tests/bench/people_bench.py` measures it).
        crate::ffi::release_free_memory();
    }
}

/// The environment of every worker.
const WORKER_ENV: [(&str, &str); 5] = [
    // glibc reserves 64 MB of address space per thread arena; two arenas keep decoder threads from using up the
    // worker's address-space limit without using any more memory.
    ("MALLOC_ARENA_MAX", "2"),
    // Decode buffers of tens of MB come from the heap and stay there between jobs, instead of fresh zeroed pages
    // from the kernel each time: a fifth of the thumbnailing CPU went to page faults.
    ("MALLOC_MMAP_THRESHOLD_", "33554432"),
    ("MALLOC_TRIM_THRESHOLD_", "8388608"),
    // One thread per worker: a pool already has a worker per core it may use. (Without a number, candle also
    // reads /proc/cpuinfo again at every matrix product.)
    ("RAYON_NUM_THREADS", "1"),
    ("CANDLE_NUM_THREADS", "1"),
];

/// Logs what a worker prints to stderr, line by line, until it exits. Its own last words ("photosd worker: …")
/// are a warning; what the C libraries say about a file is detail, since the file's verdict comes back in the
/// answer. Long lines are cut: a crafted file must not flood the log.
async fn log_stderr(stderr: impl tokio::io::AsyncRead + Unpin, pid: u32) {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(stderr).split(b'\n');
    while let Ok(Some(line)) = lines.next_segment().await {
        let text = String::from_utf8_lossy(&line[..line.len().min(500)]);
        let text = text.trim_end();
        match text.starts_with("photosd worker:") {
            true => tracing::warn!(worker = pid, "{text}"),
            false if !text.is_empty() => tracing::debug!(worker = pid, "said: {text}"),
            false => {}
        }
    }
}

/// Removes the temp file a killed worker left behind while writing `target`.
fn remove_partial_output(target: &Path) {
    if let (Some(dir), Some(name)) = (target.parent(), target.file_name().and_then(|n| n.to_str())) {
        crate::media::input::remove_partial_outputs(dir, name);
    }
}
