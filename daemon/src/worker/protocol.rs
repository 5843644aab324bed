//! The wire between the daemon and a worker. Requests go down a Unix socket (`SOCK_SEQPACKET`, the worker's
//! stdin), one datagram each: JSON with the open descriptors of the files it reads attached (`SCM_RIGHTS`), so a
//! worker reads what the daemon opened and never opens a photo by its path. Answers come back on the worker's
//! stdout as length-prefixed frames (u32 little-endian length, then JSON). One request, one final response, in
//! order; a transcode may send `Progress` frames before its final response.

use serde::{Deserialize, Serialize};

use crate::media::input::OutputError;
use crate::media::thumb::{ThumbReport, ThumbRequest};
use crate::media::Reading;
use crate::ml::subjects::Classes;
use crate::ml::FacesFound;

/// A frame larger than this is a bug or a broken worker, never a real message.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// The largest request datagram: a request names files, it never carries them.
pub const MAX_REQUEST: usize = 64 * 1024;

/// What a worker is asked. `path` only names the file (its extension, a date in its name, the log); the file
/// itself comes as the first descriptor attached, a `Read`'s XMP sidecar as the second when there is one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Read metadata (and the content hash when `hash`).
    Read { path: String, hash: bool },
    /// Render the thumbnails of one file.
    Thumbs(ThumbRequest),
    /// Make a browser-playable copy of a video at `out`.
    Transcode { path: String, out: String },
    /// Find the faces in an image (a photo or its thumbnail) brought to `short_side`, with their embeddings when
    /// `embedding`; or, when `aligned`, embed the image itself as one aligned 112×112 face. The two model files
    /// (YuNet, SFace) come as the second and third descriptors; a worker loads them once.
    Faces { path: String, embedding: bool, short_side: u32, aligned: bool },
    /// Classify an image (a photo or its thumbnail): its middle square at the network's size. The model file
    /// (EfficientNet-Lite0) comes as the second descriptor.
    Subjects { path: String },
}

impl Request {
    pub fn path(&self) -> &str {
        match self {
            Request::Read { path, .. }
            | Request::Transcode { path, .. }
            | Request::Faces { path, .. }
            | Request::Subjects { path } => path,
            Request::Thumbs(t) => &t.path,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    Read(Box<Reading>),
    /// The files written, or why they could not be (the file's fault, or the data dir's).
    Thumbs(Result<ThumbReport, OutputError>),
    Transcoded(Result<(), OutputError>),
    /// The faces found, or why the image could not be read (the file's fault) or the models not loaded (photosd's).
    Faces(Result<FacesFound, OutputError>),
    /// The classes the image scored, or why it could not be read (the file's fault) or classified (photosd's).
    Subjects(Result<Classes, OutputError>),
    /// Not an answer: the fraction (0 to 1) of a transcode done so far. The answer follows.
    Progress(f64),
}

pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let body = serde_json::to_vec(message).expect("protocol messages always serialise");
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    frame
}

/// Reads one frame from an async reader (the daemon's side).
pub async fn read_frame(reader: &mut (impl tokio::io::AsyncRead + Unpin)) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut len = [0u8; 4];
    reader.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("frame of {len} bytes")));
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await?;
    Ok(body)
}

/// Sends one datagram with `files` attached (`SCM_RIGHTS`), so that they cannot part from it. On a non-blocking
/// socket this may fail with `WouldBlock`.
pub fn send_datagram(socket: std::os::fd::RawFd, body: &[u8], files: &[std::os::fd::RawFd]) -> std::io::Result<()> {
    use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
    let rights = [ControlMessage::ScmRights(files)];
    let control = if files.is_empty() { &rights[..0] } else { &rights[..] };
    let iov = [std::io::IoSlice::new(body)];
    sendmsg::<()>(socket, &iov, control, MsgFlags::MSG_NOSIGNAL, None).map(|_| ()).map_err(std::io::Error::from)
}

/// Receives one datagram (blocking) and the files that came with it. `Ok(None)` once the other end is closed.
pub fn receive_datagram(socket: std::os::fd::BorrowedFd) -> std::io::Result<Option<(Vec<u8>, Vec<std::fs::File>)>> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    use std::os::fd::AsRawFd;
    let mut buffer = vec![0u8; MAX_REQUEST];
    // Room for more descriptors than any request sends (a file and its sidecar, or an image and two models), so
    // that a request is never cut short.
    let mut control = nix::cmsg_space!([std::os::fd::RawFd; 8]);
    let (len, truncated, files) = {
        let mut iov = [std::io::IoSliceMut::new(&mut buffer)];
        let message = recvmsg::<()>(socket.as_raw_fd(), &mut iov, Some(&mut control), MsgFlags::MSG_CMSG_CLOEXEC)?;
        let mut files = Vec::new();
        for control in message.cmsgs()? {
            if let ControlMessageOwned::ScmRights(fds) = control {
                files.extend(crate::ffi::adopt_received(fds));
            }
        }
        (message.bytes, message.flags.intersects(MsgFlags::MSG_TRUNC | MsgFlags::MSG_CTRUNC), files)
    };
    if len == 0 {
        return Ok(None);
    }
    if truncated {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "a message larger than expected"));
    }
    buffer.truncate(len);
    Ok(Some((buffer, files)))
}

/// Sends one request with the descriptors of the files it reads.
/// (`socket` is a `SOCK_SEQPACKET` socket; tokio has no type of its own for one, and only its readiness is used.)
pub async fn send(
    socket: &tokio::net::UnixStream,
    request: &Request,
    files: &[std::os::fd::RawFd],
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let body = serde_json::to_vec(request).expect("protocol messages always serialise");
    socket.async_io(tokio::io::Interest::WRITABLE, || send_datagram(socket.as_raw_fd(), &body, files)).await
}

/// Receives one request and the files that came with it (the worker's side, blocking). `Ok(None)` once the
/// daemon closed the socket.
pub fn receive(socket: std::os::fd::BorrowedFd) -> std::io::Result<Option<(Request, Vec<std::fs::File>)>> {
    match receive_datagram(socket)? {
        Some((body, files)) => Ok(Some((serde_json::from_slice(&body)?, files))),
        None => Ok(None),
    }
}
