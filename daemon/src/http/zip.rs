//! ZIP archives streamed as they are written, with constant memory whatever their size: a blocking thread
//! writes entries (stored, not compressed: photos and videos do not shrink) into a bounded channel that the
//! response body drains, so a slow client slows the writer instead of filling memory. Entries of 4 GiB and
//! more get zip64 records. A client that goes away stops the writer.

use std::io::{self, Write};

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::body::Body;

/// A file to put in the archive: its name there, and how to open it (confined to its space by the caller).
pub struct Entry {
    pub name: String,
    pub open: Box<dyn FnOnce() -> io::Result<std::fs::File> + Send>,
}

/// Chunks in flight between the writer and the client: 8 × 256 KiB.
const CHUNKS: usize = 8;
const CHUNK: usize = 256 * 1024;

struct ChannelWriter(mpsc::Sender<Result<Frame<Bytes>, io::Error>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Ok(Frame::data(Bytes::copy_from_slice(buf))))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn archive(entries: Vec<Entry>) -> Body {
    let (tx, rx) = mpsc::channel(CHUNKS);
    let errors = tx.clone();
    tokio::task::spawn_blocking(move || {
        let write = || -> zip::result::ZipResult<()> {
            let mut zip = ZipWriter::new_stream(io::BufWriter::with_capacity(CHUNK, ChannelWriter(tx)));
            let mut used = std::collections::HashSet::new();
            for entry in entries {
                let mut file = match (entry.open)() {
                    Ok(f) => f,
                    // A file deleted since the listing is left out; the rest of the archive is still good.
                    Err(e) => {
                        tracing::warn!(name = entry.name, "left out of the archive: {e}");
                        continue;
                    }
                };
                let meta = file.metadata()?;
                let mut options = SimpleFileOptions::default()
                    .compression_method(CompressionMethod::Stored)
                    .large_file(meta.len() >= u64::from(u32::MAX))
                    .unix_permissions(0o644);
                if let Ok(modified) = meta.modified() {
                    let t = time::OffsetDateTime::from(modified);
                    if let Ok(dt) = zip::DateTime::try_from(time::PrimitiveDateTime::new(t.date(), t.time())) {
                        options = options.last_modified_time(dt);
                    }
                }
                zip.start_file(unique(&mut used, &entry.name), options)?;
                io::copy(&mut file, &mut zip)?;
            }
            zip.finish()?.into_inner().flush()?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::info!("archive stopped: {e}");
            let _ = errors.blocking_send(Err(io::Error::other(e.to_string())));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    StreamBody::new(stream).boxed()
}

/// "a.jpg", then "a (2).jpg", "a (3).jpg"...: two items of the same name from different folders both arrive.
fn unique(used: &mut std::collections::HashSet<String>, name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut candidate = name.to_string();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{stem} ({n}){ext}");
        n += 1;
    }
    candidate
}
