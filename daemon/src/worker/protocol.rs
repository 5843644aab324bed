//! The wire between the daemon and a worker: length-prefixed frames (u32 little-endian length, then JSON) over
//! the worker's stdin and stdout. One request, one final response, in order; a transcode may send `Progress`
//! frames before its final response.

use serde::{Deserialize, Serialize};

use crate::media::input::OutputError;
use crate::media::thumb::{ThumbReport, ThumbRequest};
use crate::media::Reading;

/// A frame larger than this is a bug or a broken worker, never a real message.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Read metadata (and the content hash when `hash`) of the file at `path`.
    Read { path: String, hash: bool },
    /// Render the thumbnails of one file.
    Thumbs(ThumbRequest),
    /// Make a browser-playable copy of a video at `out`.
    Transcode { path: String, out: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    Read(Box<Reading>),
    /// The files written, or why they could not be (the file's fault, or the data dir's).
    Thumbs(Result<ThumbReport, OutputError>),
    Transcoded(Result<(), OutputError>),
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

/// Reads one frame from a blocking reader (the worker's side). `Ok(None)` at a clean end of input.
pub fn read_frame_blocking(reader: &mut impl std::io::Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("frame of {len} bytes")));
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    Ok(Some(body))
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
