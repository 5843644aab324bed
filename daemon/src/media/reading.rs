//! `Reading`: everything photosd learns from one file, normalised. It is what a worker sends back, what the
//! indexer stores, and what `photosd inspect` prints, so all three always agree.

use serde::{Deserialize, Serialize};

use super::taken::taken_iso;
pub use super::taken::Taken;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    #[default]
    Photo,
    Video,
    /// A still photo with a paired short video (iPhone Live Photo).
    Live,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
            MediaKind::Live => "live",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    pub lat: f64,
    pub lon: f64,
    pub alt: Option<f64>,
}

impl Reading {
    /// Drops values that cannot be real (NaN, infinite, out of range): the daemon must always be able to store
    /// what a worker sends, whatever the file claimed.
    pub fn sanitize(&mut self) {
        let finite = |v: &mut Option<f64>| {
            if v.is_some_and(|x| !x.is_finite() || x < 0.0) {
                *v = None;
            }
        };
        for v in [
            &mut self.focal_length,
            &mut self.exposure_time,
            &mut self.f_number,
            &mut self.duration,
            &mut self.frame_rate,
        ] {
            finite(v);
        }
        if self
            .gps
            .is_some_and(|g| !(g.lat.is_finite() && g.lon.is_finite() && g.lat.abs() <= 90.0 && g.lon.abs() <= 180.0))
        {
            self.gps = None;
        }
        if let Some(g) = &mut self.gps {
            if g.alt.is_some_and(|a| !a.is_finite()) {
                g.alt = None;
            }
        }
        if self.taken.is_some_and(|t| !(1800..=9999).contains(&t.local.year())) {
            self.taken = None;
            self.taken_source = None;
        }
    }

    /// A worker's answer as the daemon accepts it: the worker is assumed compromised, so every value is held to
    /// what a real file can give (numbers in range, strings of sane length, a hash that is a BLAKE3 hex digest),
    /// and what the daemon knows itself (the path, the size of the file it opened) is its own.
    pub fn accepted_from_worker(mut self, path: &str, size: u64) -> Reading {
        self.sanitize();
        self.path = path.to_string();
        self.size = size;
        let short = |v: &mut Option<String>| {
            if v.as_ref().is_some_and(|s| s.len() > MAX_FIELD) {
                *v = None;
            }
        };
        for v in [
            &mut self.mime,
            &mut self.taken_source,
            &mut self.make,
            &mut self.model,
            &mut self.lens,
            &mut self.video_codec,
            &mut self.audio_codec,
            &mut self.content_id,
        ] {
            short(v);
        }
        if self.description.as_ref().is_some_and(|d| d.len() > MAX_DESCRIPTION) {
            self.description = None;
        }
        if let Some(error) = &mut self.error {
            error.truncate(error.floor_char_boundary(MAX_DESCRIPTION));
        }
        self.tags.retain(|t| !t.is_empty() && t.len() <= MAX_FIELD);
        self.tags.truncate(MAX_TAGS);
        let dimension = |v: &mut Option<u32>| {
            if v.is_some_and(|x| x == 0 || x > MAX_DIMENSION) {
                *v = None;
            }
        };
        dimension(&mut self.width);
        dimension(&mut self.height);
        if self.orientation.is_some_and(|o| !(1..=8).contains(&o)) {
            self.orientation = None;
        }
        if self.rating.is_some_and(|r| !(-1..=5).contains(&r)) {
            self.rating = None;
        }
        if self.rotation.is_some_and(|r| ![0, 90, 180, 270].contains(&r)) {
            self.rotation = None;
        }
        let is_digest =
            |h: &String| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if self.hash.as_ref().is_some_and(|h| !is_digest(h)) {
            self.hash = None;
            self.error = Some("the worker answered with an invalid hash".into());
        }
        self
    }
}

/// The longest make, model, codec, tag... a worker's answer may hold, in bytes.
const MAX_FIELD: usize = 256;
/// The longest description or error message, in bytes.
const MAX_DESCRIPTION: usize = 16 * 1024;
const MAX_TAGS: usize = 200;
/// The largest width or height: far above any camera or video.
const MAX_DIMENSION: u32 = 1_000_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: MediaKind,
    pub mime: Option<String>,
    /// Why the file could not be read, or null. A file with an error is still indexed, flagged broken.
    pub error: Option<String>,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u8>,
    #[serde(with = "taken_iso")]
    pub taken: Option<Taken>,
    /// The field the taken time came from (DateTimeOriginal, CreateDate, XMP, QuickTime, file name, mtime).
    pub taken_source: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens: Option<String>,
    pub focal_length: Option<f64>,
    pub exposure_time: Option<f64>,
    pub f_number: Option<f64>,
    pub iso: Option<u32>,
    pub flash: Option<bool>,
    pub gps: Option<Gps>,
    pub duration: Option<f64>,
    pub rotation: Option<i32>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub frame_rate: Option<f64>,
    pub bitrate: Option<u64>,
    pub description: Option<String>,
    pub rating: Option<i32>,
    pub tags: Vec<String>,
    /// Apple's content identifier, which ties the two halves of a Live Photo together.
    pub content_id: Option<String>,
    /// BLAKE3 of the whole file, hex.
    pub hash: Option<String>,
}
