//! Media reading: turns one file into a [`Reading`]. This code parses untrusted bytes, so it runs only inside
//! `photosd worker` processes (see `worker`), never in the daemon itself.

mod blocks;
pub mod bmff;
mod containers;
pub mod detect;
mod exif;
pub mod input;
mod iptc;
mod legacy_raw;
pub mod reading;
pub mod sidecar;
pub mod taken;
pub mod thumb;
mod tiff_ifd;
pub mod transcode;
pub mod video;
mod xmp;

use std::io::Read;
use std::path::Path;

use ::exif::Tag;

pub use reading::{MediaKind, Reading, Taken};

use detect::Format;
use input::Input;

/// Descriptions that cameras write by default; they say nothing about the photo.
const BOILERPLATE_DESCRIPTIONS: &[&str] = &[
    "OLYMPUS DIGITAL CAMERA",
    "SONY DSC",
    "DIGITAL CAMERA",
    "KODAK Digital Still Camera",
    "default",
    "Exif_JPEG_PICTURE",
];

/// Reads everything photosd stores about an open file. Never panics on bad input by design, but it runs in a
/// worker anyway, because the parsers below it are not all ours. A file that cannot be read gives a Reading with
/// `error` set, so it is still indexed and flagged.
pub fn read_source(source: &input::Source, with_hash: bool) -> Reading {
    let mut reading = Reading { path: source.path.display().to_string(), size: source.len, ..Reading::default() };
    let mtime = source.file().metadata().and_then(|m| m.modified()).ok();
    if with_hash {
        // Start reading the whole file in the background now, so the disk works while the metadata is parsed
        // and the hash then mostly finds the file in memory.
        let _ = nix::fcntl::posix_fadvise(source.file(), 0, 0, nix::fcntl::PosixFadviseAdvice::POSIX_FADV_WILLNEED);
    }
    if let Err(e) = read_into(source, &mut reading) {
        reading.error = Some(e);
    }
    sidecar::apply(source.sidecar.as_ref(), &mut reading);
    if with_hash {
        match hash_source(source) {
            Ok(h) => reading.hash = Some(h),
            Err(e) => reading.error = reading.error.take().or(Some(format!("cannot read: {e}"))),
        }
    }
    fill_taken_fallbacks(&source.path, mtime, &mut reading);
    reading.sanitize();
    reading
}

fn read_into(source: &input::Source, reading: &mut Reading) -> Result<(), String> {
    let input = Input::of(source).map_err(|e| format!("cannot read: {e}"))?;
    if input.len == 0 {
        return Err("empty file".into());
    }
    let path = source.path.as_path();
    let (format, mime) = detect::detect(path, &input.head);
    reading.mime = mime;
    match format {
        Format::Video => {
            reading.kind = MediaKind::Video;
            let result = video::read(source, reading);
            video::read_container_dates(&input, reading);
            result
        }
        Format::Unknown => {
            reading.kind = if detect::is_video_name(path) { MediaKind::Video } else { MediaKind::Photo };
            Err("not a photo or video format photosd can read (the content does not match any known format)".into())
        }
        _ => read_image(format, &input, reading),
    }
}

fn read_image(format: Format, input: &Input, reading: &mut Reading) -> Result<(), String> {
    let mut blocks = containers::read_blocks(format, input)?;
    let mut view = exif::ExifView::default();
    let mut exif_error = None;
    for (tiff, context) in blocks.tiff {
        if let Err(e) = view.add_tiff(tiff, context) {
            exif_error = Some(e);
        }
    }
    let mut xmp_packets: Vec<Vec<u8>> = blocks.xmp;
    if let Some(x) = view.xmp() {
        xmp_packets.push(x.to_vec());
    }
    let xmp = xmp_packets.iter().map(|p| xmp::parse(p)).fold(xmp::XmpFields::default(), merge_xmp);
    let iptc = blocks.iptc.or_else(|| view.iptc()).map(|d| iptc::parse(&d)).unwrap_or_default();

    reading.make = view.text(Tag::Make).or(xmp.make).or(blocks.direct.make.take());
    reading.model = view.text(Tag::Model).or(xmp.model).or(blocks.direct.model.take());
    reading.lens = view.text(Tag::LensModel).or(xmp.lens);
    reading.focal_length = view.float(Tag::FocalLength).filter(|f| *f > 0.0);
    reading.exposure_time = view.float(Tag::ExposureTime).filter(|f| *f > 0.0);
    reading.f_number = view.float(Tag::FNumber).filter(|f| *f > 0.0);
    reading.iso = view.uint(Tag::PhotographicSensitivity).filter(|i| *i > 0);
    reading.flash = view.uint(Tag::Flash).map(|f| f & 1 == 1);
    reading.gps = view.gps().or(xmp.gps);
    reading.content_id = view.apple_content_id();
    reading.rating = xmp.rating.or_else(|| view.uint(Tag(::exif::Context::Tiff, 0x4746)).map(|r| r.min(5) as i32));
    reading.description = [xmp.description, iptc.caption, view.text(Tag::ImageDescription)]
        .into_iter()
        .flatten()
        .find(|d| !BOILERPLATE_DESCRIPTIONS.iter().any(|b| d.eq_ignore_ascii_case(b)));
    let mut tags = iptc.keywords;
    for t in xmp.tags {
        if !tags_contains(&tags, &t) {
            tags.push(t);
        }
    }
    reading.tags = tags;

    let gps_utc = view.gps_utc();
    let candidates = [
        (view.taken(Tag::DateTimeOriginal, Tag::OffsetTimeOriginal), "EXIF:DateTimeOriginal"),
        (xmp.date_time_original, "XMP:DateTimeOriginal"),
        (view.taken(Tag::DateTimeDigitized, Tag::OffsetTimeDigitized), "EXIF:CreateDate"),
        (xmp.create_date, "XMP:CreateDate"),
        (xmp.date_created, "XMP:DateCreated"),
        (iptc.date_created, "IPTC:DateCreated"),
        (blocks.direct.taken.map(|local| Taken { local, offset_minutes: None }), blocks.direct.taken_source),
        (view.reconyx_taken().map(|local| Taken { local, offset_minutes: None }), "MakerNotes:DateTimeOriginal"),
    ];
    if let Some((mut taken, source)) = candidates.into_iter().find_map(|(t, s)| t.map(|t| (t, s))) {
        if taken.offset_minutes.is_none() {
            taken.offset_minutes = gps_utc.and_then(|utc| offset_from_gps(taken.local, utc));
        }
        reading.taken = Some(taken);
        reading.taken_source = Some(source.into());
    }

    // Size and orientation. HEIF's irot/imir transform the image itself; EXIF orientation only describes it.
    let orientation = view.orientation().or(xmp.orientation);
    let stored = stored_size(format, blocks.size, blocks.fallback_size, &view);
    let turned = match blocks.heif_rotation {
        Some(quarters) => quarters % 2 == 1,
        None => orientation.is_some_and(|o| o >= 5),
    };
    // For HEIF this is what the EXIF says; the pixels are already turned by irot, which `turned` accounts for.
    reading.orientation = orientation;
    if let Some((w, h)) = stored {
        let (w, h) = if turned { (h, w) } else { (w, h) };
        reading.width = Some(w);
        reading.height = Some(h);
    }
    match exif_error {
        // Metadata that could not be read at all in a file whose pixels are fine is worth a log line, not a flag.
        Some(e) if view.is_empty() && stored.is_none() => Err(format!("unreadable metadata: {e}")),
        _ => Ok(()),
    }
}

/// The pixel size as stored: from the container where it knows, else from EXIF (RAW files' IFD0 is often a
/// preview, so the EXIF pixel dimensions win there).
fn stored_size(
    format: Format,
    container: Option<(u32, u32)>,
    main_image: Option<(u32, u32)>,
    view: &exif::ExifView,
) -> Option<(u32, u32)> {
    let exif_dims =
        view.uint(Tag::PixelXDimension).zip(view.uint(Tag::PixelYDimension)).filter(|(w, h)| *w > 0 && *h > 0);
    match format {
        Format::TiffRaw | Format::Cr3 | Format::Raf => container.or(exif_dims).or(main_image).or(view.ifd0_size),
        Format::Mrw | Format::Crw | Format::X3f => container.or(exif_dims),
        Format::Tiff => view.ifd0_size.or(container).or(exif_dims),
        _ => container.or(exif_dims),
    }
}

/// A local time and the UTC time of the GPS fix taken with it give the offset, to the nearest quarter hour.
fn offset_from_gps(local: time::PrimitiveDateTime, utc: time::PrimitiveDateTime) -> Option<i32> {
    let minutes = (local - utc).whole_minutes();
    let rounded = ((minutes as f64 / 15.0).round() * 15.0) as i32;
    ((minutes - rounded as i64).abs() <= 5 && rounded.abs() <= 14 * 60).then_some(rounded)
}

fn merge_xmp(a: xmp::XmpFields, b: xmp::XmpFields) -> xmp::XmpFields {
    let mut tags = a.tags;
    for t in b.tags {
        if !tags_contains(&tags, &t) {
            tags.push(t);
        }
    }
    xmp::XmpFields {
        description: a.description.or(b.description),
        rating: a.rating.or(b.rating),
        tags,
        date_time_original: a.date_time_original.or(b.date_time_original),
        create_date: a.create_date.or(b.create_date),
        date_created: a.date_created.or(b.date_created),
        gps: a.gps.or(b.gps),
        make: a.make.or(b.make),
        model: a.model.or(b.model),
        lens: a.lens.or(b.lens),
        orientation: a.orientation.or(b.orientation),
    }
}

fn tags_contains(tags: &[String], t: &str) -> bool {
    tags.iter().any(|x| x.eq_ignore_ascii_case(t))
}

/// The end of the fallback chain: a date in the file name, then the file's modification time.
fn fill_taken_fallbacks(path: &Path, mtime: Option<std::time::SystemTime>, reading: &mut Reading) {
    if reading.taken.is_some() {
        return;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some(local) = taken::from_file_name(name) {
        reading.taken = Some(Taken { local, offset_minutes: None });
        reading.taken_source = Some("file name".into());
    } else if let Some(mtime) = mtime {
        let utc = time::OffsetDateTime::from(mtime);
        reading.taken =
            Some(Taken { local: time::PrimitiveDateTime::new(utc.date(), utc.time()), offset_minutes: Some(0) });
        reading.taken_source = Some("file modification time".into());
    }
}

/// BLAKE3 of the whole file, in 1 MiB reads. The kernel's readahead (told the read is sequential) keeps the
/// disk busy; the job runner keeps every worker fed, so hashing runs at the disk's pace (docs/benchmarks.md).
pub fn hash_source(source: &input::Source) -> std::io::Result<String> {
    let _ = nix::fcntl::posix_fadvise(source.file(), 0, 0, nix::fcntl::PosixFadviseAdvice::POSIX_FADV_SEQUENTIAL);
    let mut reader = source.reader()?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}
