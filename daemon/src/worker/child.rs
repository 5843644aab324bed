//! The worker process (`photosd worker`): takes requests, with the files they read already open, on its stdin
//! socket, and answers on stdout, under the rlimits the daemon asked for and in its sandbox (`sandbox`). It is
//! the only place where untrusted files are parsed, so a crash or hang costs one worker, never the daemon.

use std::io::Write;
use std::path::Path;

use nix::sys::resource::{getrlimit, getrusage, setrlimit, Resource, UsageWho};

use super::protocol::{encode, receive, Request, Response};
use crate::media;

#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Address-space limit in MiB.
    #[arg(long, default_value_t = 1024)]
    pub memory_mb: u64,
    /// CPU seconds allowed per request.
    #[arg(long, default_value_t = 60)]
    pub cpu_secs: u64,
    /// Scheduling priority (0 normal … 19 idle CPU only).
    #[arg(long, default_value_t = 0)]
    pub nice: i32,
    /// A folder the worker may write to (thumbnails, transcodes); it may write nowhere else. Repeatable.
    #[arg(long)]
    pub writable: Vec<std::path::PathBuf>,
    /// Enter the sandbox, then try what it should refuse (open FILEs for reading and writing, make a socket,
    /// start a process) and print, as JSON, what it could do; for checking a machine and for the tests.
    #[arg(long, num_args = 0.., value_name = "FILE")]
    pub sandbox_check: Option<Vec<std::path::PathBuf>>,
}

pub fn run(args: &WorkerArgs) -> anyhow::Result<()> {
    let bytes = args.memory_mb.saturating_mul(1024 * 1024);
    setrlimit(Resource::RLIMIT_AS, bytes, bytes)?;
    // A worker never outlives the daemon, even one killed with SIGKILL: an orphan would go on decoding (a
    // transcode for hours) and write files nobody asked for.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
    if nix::unistd::getppid() == nix::unistd::Pid::from_raw(1) {
        anyhow::bail!("the daemon that started this worker is gone");
    }
    if args.nice > 0 {
        crate::ffi::set_nice(args.nice)?;
    }
    let missing = super::sandbox::enter(&args.writable);
    if let Some(files) = &args.sandbox_check {
        println!("{}", super::sandbox::check(&missing, files));
        return Ok(());
    }
    for missing in missing {
        eprintln!("photosd worker: sandbox weaker than it should be: {missing}");
    }
    media::video::init();
    // The daemon made the request socket this process's stdin.
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    while let Some((request, files)) = receive(std::os::fd::AsFd::as_fd(&stdin))? {
        let mut files = files.into_iter();
        let path = std::path::PathBuf::from(request.path());
        let first = files.next();
        // After the file: a `Read`'s XMP sidecar, or the model files of a `Faces` request.
        let mut rest: Vec<std::fs::File> = files.collect();
        let sidecar = match request {
            Request::Faces { .. } | Request::Subjects { .. } => None,
            _ if rest.is_empty() => None,
            _ => Some(rest.remove(0)),
        };
        let source = match first {
            Some(file) => media::input::Source::new(path, file, sidecar),
            None => Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file came with the request")),
        };
        // Hashing costs grow with the file: one more CPU second per 20 MB, so a large video is not cut short.
        let size = source.as_ref().map_or(0, |s| s.len);
        limit_cpu_for_next_job(args.cpu_secs + size / 20_000_000)?;
        let response = match source {
            Ok(source) => answer(request, &source, rest, &stdout),
            Err(e) => refuse(request, &e),
        };
        let mut out = stdout.lock();
        out.write_all(&encode(&response))?;
        out.flush()?;
    }
    Ok(())
}

fn answer(
    request: Request,
    source: &media::input::Source,
    models: Vec<std::fs::File>,
    stdout: &std::io::Stdout,
) -> Response {
    match request {
        Request::Read { hash, .. } => {
            let reading = std::panic::catch_unwind(|| media::read_source(source, hash)).unwrap_or_else(|panic| {
                // Size and hash need no parsing: keep them, so the file is not re-read at every scan.
                media::Reading {
                    path: source.path.display().to_string(),
                    size: source.len,
                    hash: if hash { media::hash_source(source).ok() } else { None },
                    error: Some(format!("the metadata parser failed on this file: {}", panic_message(&panic))),
                    ..Default::default()
                }
            });
            Response::Read(Box::new(reading))
        }
        Request::Transcode { out, .. } => {
            let mut reported = -1.0;
            let report = |done: f64| {
                // Whole percents: a few hundred small frames for any video, however many packets it has.
                let done = (done * 100.0).floor() / 100.0;
                if done > reported {
                    reported = done;
                    let mut out = stdout.lock();
                    let _ = out.write_all(&encode(&Response::Progress(done))).and_then(|()| out.flush());
                }
            };
            let transcode = || media::transcode::transcode_file(source, Path::new(&out), report);
            Response::Transcoded(std::panic::catch_unwind(std::panic::AssertUnwindSafe(transcode)).unwrap_or_else(
                |panic| Err(format!("the transcoder failed on this file: {}", panic_message(&panic)).into()),
            ))
        }
        Request::Thumbs(request) => {
            let result = std::panic::catch_unwind(|| media::thumb::render(&request, source)).unwrap_or_else(|panic| {
                Err(format!("the decoder failed on this file: {}", panic_message(&panic)).into())
            });
            // JPEGs reuse the worker's kept buffers; other decoders (libheif, FFmpeg) leave large free
            // blocks behind, which go back to the kernel at once.
            let ext = media::detect::extension(&source.path);
            if !matches!(ext.as_str(), "jpg" | "jpeg" | "jpe") {
                crate::ffi::release_free_memory();
            }
            Response::Thumbs(result)
        }
        Request::Faces { embedding, short_side, aligned, .. } => {
            let result = find_faces(source, models, embedding, if aligned { None } else { Some(short_side) });
            // As after thumbnails: what libheif or FFmpeg left goes back at once; the networks' buffers are
            // reused by the next photo (the models' memory goes when the idle worker exits).
            if !matches!(media::detect::extension(&source.path).as_str(), "jpg" | "jpeg" | "jpe" | "png") {
                crate::ffi::release_free_memory();
            }
            Response::Faces(result)
        }
        Request::Subjects { .. } => {
            let result = classify(source, models);
            if !matches!(media::detect::extension(&source.path).as_str(), "jpg" | "jpeg" | "jpe" | "png") {
                crate::ffi::release_free_memory();
            }
            Response::Subjects(result)
        }
    }
}

/// The face models, loaded from the first `Faces` request that brought loadable model files, and kept for the
/// worker's life (a failed load is not kept: the next request tries again).
static FACE_MODELS: std::sync::OnceLock<crate::ml::FaceModels> = std::sync::OnceLock::new();

/// The faces of the image brought to `short_side`; with `None`, the image is one aligned face to embed. A file
/// that cannot be decoded is the file's fault; anything after that (the models, the networks) is photosd's own.
fn find_faces(
    source: &media::input::Source,
    models: Vec<std::fs::File>,
    embedding: bool,
    short_side: Option<u32>,
) -> Result<crate::ml::FacesFound, media::input::OutputError> {
    use media::input::OutputError;
    let ours = |what: String| OutputError::Storage(format!("the face models: {what}"));
    let models = match FACE_MODELS.get() {
        Some(loaded) => loaded,
        None => {
            let [yunet, sface]: [std::fs::File; 2] =
                models.try_into().map_err(|_| ours("the model files did not come with the request".into()))?;
            let loaded = crate::ml::FaceModels::from_files(yunet, sface).map_err(|e| ours(e.to_string()))?;
            // The networks free and allocate maps of a few MB at every layer: with the workers' 8 MB trim
            // threshold (WORKER_ENV) the heap shrank and grew again for every image, and the page faults took a
            // third of the face stage's CPU. A face worker keeps its heap, at no higher a peak, until it exits
            // (workers.idle_exit_secs gives the memory back).
            crate::ffi::keep_free_memory(256 << 20);
            FACE_MODELS.get_or_init(|| loaded)
        }
    };
    let image = decoded(source, short_side.unwrap_or(crate::ml::sface::SIDE as u32))?;
    let infer = || match short_side {
        Some(_) => models.faces(&image, embedding),
        None => models.aligned_face(&image).map(|face| crate::ml::FacesFound {
            width: image.width,
            height: image.height,
            faces: vec![face],
        }),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(infer)) {
        Ok(found) => found.map_err(|e| ours(e.to_string())),
        // A network that fails on one image (and not on the next) failed on what that image holds.
        Err(panic) => {
            Err(OutputError::File(format!("the face networks failed on this image: {}", panic_message(&panic))))
        }
    }
}

/// The classifier, loaded from the first `Subjects` request that brought a loadable model file.
static CLASSIFIER: std::sync::OnceLock<crate::ml::subjects::Classifier> = std::sync::OnceLock::new();

/// The classes of the image's middle square. As for faces: a file that cannot be decoded is the file's fault, the
/// model photosd's own.
fn classify(
    source: &media::input::Source,
    model: Vec<std::fs::File>,
) -> Result<crate::ml::subjects::Classes, media::input::OutputError> {
    use media::input::OutputError;
    let ours = |what: String| OutputError::Storage(format!("the subject model: {what}"));
    let classifier = match CLASSIFIER.get() {
        Some(loaded) => loaded,
        None => {
            let file = model.first().ok_or_else(|| ours("the model file did not come with the request".into()))?;
            let loaded = crate::ml::subjects::Classifier::from_file(file).map_err(|e| ours(e.to_string()))?;
            crate::ffi::keep_free_memory(256 << 20);
            CLASSIFIER.get_or_init(|| loaded)
        }
    };
    let image = decoded(source, crate::ml::efficientnet::SIDE as u32)?;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| classifier.classify(image))) {
        Ok(classes) => classes.map_err(|e| ours(e.to_string())),
        Err(panic) => Err(OutputError::File(format!("the classifier failed on this image: {}", panic_message(&panic)))),
    }
}

/// The upright image brought to `short_side`; a decoder that panics failed on this file.
fn decoded(source: &media::input::Source, short_side: u32) -> Result<media::thumb::Pixels, media::input::OutputError> {
    let decode = || media::thumb::upright(source, short_side);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode))
        .unwrap_or_else(|panic| Err(format!("the decoder failed on this file: {}", panic_message(&panic)).into()))
}

/// The answer to a request whose file did not come, or is not a regular file.
fn refuse(request: Request, error: &std::io::Error) -> Response {
    let reason = format!("cannot read: {error}");
    match request {
        Request::Read { path, .. } => {
            Response::Read(Box::new(media::Reading { path, error: Some(reason), ..Default::default() }))
        }
        Request::Thumbs(_) => Response::Thumbs(Err(reason.into())),
        Request::Transcode { .. } => Response::Transcoded(Err(reason.into())),
        Request::Faces { .. } => Response::Faces(Err(reason.into())),
        Request::Subjects { .. } => Response::Subjects(Err(reason.into())),
    }
}

/// The kernel stops the worker (SIGXCPU) once this job has used `secs` more CPU seconds than the worker had so
/// far; the soft limit is moved forward before each job, so a long-lived worker is not penalised for its past.
fn limit_cpu_for_next_job(secs: u64) -> nix::Result<()> {
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    let used = usage.user_time().tv_sec() + usage.system_time().tv_sec();
    let (_, hard) = getrlimit(Resource::RLIMIT_CPU)?;
    setrlimit(Resource::RLIMIT_CPU, (used as u64 + secs + 1).min(hard), hard)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
