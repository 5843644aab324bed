//! The file being read, and how it is read. A `Source` is opened once, by the daemon beneath its space's root
//! and through no symlink (or by a command, from the path it was given), and handed to the worker as an open
//! descriptor: nothing in a worker ever opens a photo by its path, so no symlink or rename can redirect it. Every
//! reader reads that descriptor with `pread` at a position of its own. `Input` keeps the first bytes in memory
//! (most metadata sits in the head) and reads the rest on demand; every read is bounded, so a lying length field
//! cannot make a worker allocate gigabytes.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// How much of each file is read up front: the EXIF of nearly every JPEG; larger blocks are read on demand.
pub const HEAD_BYTES: usize = 64 * 1024;
/// The largest single metadata block photosd will read (an EXIF or XMP block larger than this is corrupt).
pub const MAX_BLOCK: u64 = 64 * 1024 * 1024;

/// Opens a file to read its bytes: a symlink is refused (a user could point one at another user's photo), a
/// FIFO or device is refused without blocking, and only a regular file is returned.
pub fn open_regular(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let file = std::fs::OpenOptions::new().read(true).custom_flags(flags.bits()).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// A photo or video to read, already open. `path` only names it (its extension, a date in its name, the log).
pub struct Source {
    pub path: PathBuf,
    file: File,
    pub len: u64,
    /// Its XMP sidecar, when it has one.
    pub sidecar: Option<File>,
}

impl Source {
    /// Wraps a file opened elsewhere; anything but a regular file is refused.
    pub fn new(path: PathBuf, file: File, sidecar: Option<File>) -> io::Result<Source> {
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        Ok(Source { path, file, len: meta.len(), sidecar })
    }

    /// Opens the file a command was given by its path, with its sidecar.
    pub fn open(path: &Path) -> io::Result<Source> {
        let sidecar = crate::media::sidecar::candidates(path).iter().find_map(|p| open_regular(p).ok());
        Source::new(path.to_path_buf(), open_regular(path)?, sidecar)
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// A reader from the start of the file, at a position of its own.
    pub fn reader(&self) -> io::Result<SourceReader> {
        Ok(SourceReader { file: self.file.try_clone()?, position: 0, len: self.len })
    }

    /// Reads the whole file into `buffer` (cleared first).
    pub fn read_all(&self, buffer: &mut Vec<u8>) -> io::Result<()> {
        buffer.clear();
        self.reader()?.read_to_end(buffer).map(|_| ())
    }
}

/// Reads a `Source` with `pread`: any number of them read one descriptor, each at its own position.
pub struct SourceReader {
    file: File,
    position: u64,
    len: u64,
}

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.position)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl io::Seek for SourceReader {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let position = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::End(n) => self.len.checked_add_signed(n),
            io::SeekFrom::Current(n) => self.position.checked_add_signed(n),
        };
        self.position =
            position.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the file"))?;
        Ok(self.position)
    }
}

/// Why an output (a thumbnail, a transcode) was not made: the source file's fault, which is final, or photosd's
/// own storage's (its data dir unwritable, full or read-only), which is never the photo's and is retried.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
pub enum OutputError {
    #[error("{0}")]
    File(String),
    #[error("{0}")]
    Storage(String),
}

impl OutputError {
    /// The same, its reason cut to a few KB: what a worker says is stored and shown, and it may be compromised.
    pub fn bounded(self) -> OutputError {
        let cut = |mut reason: String| {
            reason.truncate(reason.floor_char_boundary(4096));
            reason
        };
        match self {
            OutputError::File(reason) => OutputError::File(cut(reason)),
            OutputError::Storage(reason) => OutputError::Storage(cut(reason)),
        }
    }
}

impl From<String> for OutputError {
    fn from(reason: String) -> Self {
        OutputError::File(reason)
    }
}

impl From<&str> for OutputError {
    fn from(reason: &str) -> Self {
        OutputError::File(reason.to_string())
    }
}

/// Produces `target` through a temp file beside it: `write` fills the temp file, which is renamed into place
/// only when it succeeds (and removed when it fails), so a reader never sees half a file. Failing to create,
/// fill or rename the temp file is a storage error; `write` says which of its own failures are.
pub fn write_beside_then_rename(
    target: &Path,
    write: impl FnOnce(&Path) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    let storage = |what: String| OutputError::Storage(what);
    let dir = target.parent().ok_or("output path without a folder")?;
    std::fs::create_dir_all(dir).map_err(|e| storage(format!("cannot create {}: {e}", dir.display())))?;
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    let tmp = dir.join(format!(".{name}.{}.part", std::process::id()));
    // Created before any work, so that an unwritable data dir is found out as such, not as a decoder's failure.
    File::create(&tmp).map_err(|e| storage(format!("cannot write {}: {e}", tmp.display())))?;
    match write(&tmp) {
        Ok(()) => std::fs::rename(&tmp, target).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            storage(format!("cannot move {} into place: {e}", target.display()))
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Less free space than this on the data dir's file system refuses new work: thumbnails and transcodes would fail
/// half-way, and SQLite needs room for its journal.
const MIN_FREE_BYTES: u64 = 16 * 1024 * 1024;

/// Fails as a storage error when `dir` (made if missing) cannot take a new file, or its file system is all but
/// full: checked before any decoding, so that a data dir that refuses the output costs nothing to find out.
pub fn check_writable(dir: &Path) -> Result<(), OutputError> {
    let storage = |what: String| OutputError::Storage(what);
    std::fs::create_dir_all(dir).map_err(|e| storage(format!("cannot create {}: {e}", dir.display())))?;
    let probe = dir.join(format!(".probe.{}.part", std::process::id()));
    File::create(&probe).map_err(|e| storage(format!("cannot write {}: {e}", probe.display())))?;
    let _ = std::fs::remove_file(&probe);
    let fs = nix::sys::statvfs::statvfs(dir).map_err(|e| storage(format!("cannot stat {}: {e}", dir.display())))?;
    let free = fs.blocks_available().saturating_mul(fs.fragment_size());
    if free < MIN_FREE_BYTES {
        return Err(storage(format!("cannot write {}: No space left on device ({free} bytes free)", dir.display())));
    }
    Ok(())
}

/// Removes what `write_beside_then_rename` left behind for targets in `dir` whose name starts with `prefix`
/// (all of them for an empty prefix), when the writer was killed before it could clean up. Returns how many.
pub fn remove_partial_outputs(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let start = format!(".{prefix}");
    entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(&start) && n.ends_with(".part")))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

pub struct Input {
    file: File,
    pub len: u64,
    pub head: Vec<u8>,
}

impl Input {
    pub fn of(source: &Source) -> io::Result<Input> {
        let mut head = Vec::with_capacity(HEAD_BYTES.min(source.len as usize));
        source.reader()?.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
        Ok(Input { file: source.file.try_clone()?, len: source.len, head })
    }

    /// `len` bytes at `offset`, from the head when they are there. Fails past the end of the file.
    pub fn range(&self, offset: u64, len: u64) -> io::Result<Cow<'_, [u8]>> {
        let end = offset.checked_add(len).filter(|&e| e <= self.len).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("block at {offset}+{len} runs past the end of the file"),
            )
        })?;
        if len > MAX_BLOCK {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("metadata block of {len} bytes is implausible"),
            ));
        }
        if end <= self.head.len() as u64 {
            return Ok(Cow::Borrowed(&self.head[offset as usize..end as usize]));
        }
        let mut buf = vec![0u8; len as usize];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(Cow::Owned(buf))
    }

    /// The whole file, for formats whose metadata may point anywhere (TIFF and RAW). Bounded like `range`.
    pub fn all(&self) -> io::Result<Cow<'_, [u8]>> {
        self.range(0, self.len.min(MAX_BLOCK))
    }
}
