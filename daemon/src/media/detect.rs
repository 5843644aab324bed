//! What a file is: its MIME type from its first bytes (the `infer` crate), with the extension as a tie-breaker
//! for formats `infer` does not tell apart (RAW variants that all look like TIFF, MTS streams).

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
    Tiff,
    Heif,
    /// Camera RAW built on TIFF (DNG, CR2, NEF, ARW, ORF, RW2, PEF, SRW...).
    TiffRaw,
    Cr3,
    Raf,
    /// Minolta, Canon CIFF, Sigma and Kyocera RAW: their own containers (see `legacy_raw`).
    Mrw,
    Crw,
    X3f,
    Kyocera,
    /// JPEG 2000 and JPEG XL: EXIF in a box of the container.
    Jp2,
    Jxl,
    /// Other still formats whose size is all photosd reads (ICO, PSD...).
    OtherImage,
    Video,
    /// Not a photo or video photosd reads (still indexed, flagged with the reason).
    Unknown,
}

const RAW_EXTENSIONS: &[&str] = &[
    "dng", "cr2", "nef", "nrw", "arw", "srf", "sr2", "orf", "rw2", "raw", "pef", "srw", "3fr", "erf", "kdc", "mrw",
    "iiq", "rwl", "x3f",
];
const VIDEO_EXTENSIONS: &[&str] = &[
    "mov", "mp4", "m4v", "3gp", "3g2", "avi", "mts", "m2ts", "mkv", "webm", "wmv", "asf", "dv", "mpg", "mpeg", "flv",
    "ts",
];
const PHOTO_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "webp", "gif", "bmp", "tif", "tiff", "btf", "heic", "heif", "hif", "avif", "avifs",
    "cr3", "raf", "crw", "mrw", "jp2", "jxl",
];

/// Whether the file name looks like media photosd indexes at all. Other files (.txt, .xmp sidecars, .aae) are
/// not items.
pub fn is_media_name(name: &str) -> bool {
    let ext = extension(Path::new(name));
    [RAW_EXTENSIONS, VIDEO_EXTENSIONS, PHOTO_EXTENSIONS].iter().any(|list| list.contains(&ext.as_str()))
}

pub fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

pub fn is_heif_name(path: &Path) -> bool {
    matches!(extension(path).as_str(), "heic" | "heif" | "hif" | "avif" | "avifs")
}

pub fn is_video_name(path: &Path) -> bool {
    VIDEO_EXTENSIONS.contains(&extension(path).as_str())
}

/// Sniffs the format and MIME type from the first bytes, using the name only where the bytes are ambiguous.
pub fn detect(path: &Path, head: &[u8]) -> (Format, Option<String>) {
    let ext = extension(path);
    if head.starts_with(b"\0MRM") {
        return (Format::Mrw, Some("image/x-minolta-mrw".into()));
    }
    if head.get(6..14) == Some(b"HEAPCCDR") {
        return (Format::Crw, Some("image/x-canon-crw".into()));
    }
    if head.starts_with(b"FOVb") {
        return (Format::X3f, Some("image/x-sigma-x3f".into()));
    }
    if is_kyocera(head) {
        return (Format::Kyocera, Some("image/x-kyocera-raw".into()));
    }
    if head.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n") {
        return (Format::Jp2, Some("image/jp2".into()));
    }
    if head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") || head.starts_with(&[0xFF, 0x0A]) {
        return (Format::Jxl, Some("image/jxl".into()));
    }
    if head.starts_with(b"FUJIFILMCCD-RAW") {
        return (Format::Raf, Some("image/x-fuji-raf".into()));
    }
    // ORF and RW2 are TIFF with a changed magic number.
    if head.starts_with(b"IIRO") || head.starts_with(b"IIRS") || head.starts_with(b"MMOR") {
        return (Format::TiffRaw, Some("image/x-olympus-orf".into()));
    }
    if head.starts_with(b"II+\0") || head.starts_with(b"MM\0+") {
        return (Format::Tiff, Some("image/tiff".into())); // BigTIFF
    }
    if head.starts_with(b"IIU\0") {
        return (Format::TiffRaw, Some("image/x-panasonic-rw2".into()));
    }
    if head.len() > 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if brand == b"crx " {
            return (Format::Cr3, Some("image/x-canon-cr3".into()));
        }
        let heif_brands: [&[u8]; 8] = [b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"];
        if heif_brands.contains(&brand) {
            let mime = if brand.starts_with(b"avi") { "image/avif" } else { "image/heic" };
            return (Format::Heif, Some(mime.into()));
        }
        // A compatible-brands list can mark HEIF even when the major brand is generic.
        let compatible = head.get(16..head.len().min(64)).unwrap_or(&[]);
        if compatible.chunks(4).any(|b| b == b"mif1" || b == b"heic") && !VIDEO_EXTENSIONS.contains(&ext.as_str()) {
            return (Format::Heif, Some("image/heic".into()));
        }
        return (Format::Video, infer::get(head).map(|t| t.mime_type().to_string()).or(Some("video/mp4".into())));
    }
    // QuickTime files from before `ftyp` existed start with any top-level atom.
    let quicktime_atoms: [&[u8]; 6] = [b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"];
    if head.len() > 8 && quicktime_atoms.contains(&&head[4..8]) && is_video_name(path) {
        return (Format::Video, Some("video/quicktime".into()));
    }
    // A damaged JPEG may lack its start-of-image marker but still be a JPEG by name and first byte.
    if head.first() == Some(&0xFF) && matches!(ext.as_str(), "jpg" | "jpeg" | "jpe") && !head.starts_with(&[0xFF, 0xD8])
    {
        return (Format::Jpeg, Some("image/jpeg".into()));
    }
    let inferred = infer::get(head);
    let mime = inferred.map(|t| t.mime_type().to_string());
    let format = match mime.as_deref() {
        Some("image/jpeg") => Format::Jpeg,
        Some("image/png") => Format::Png,
        Some("image/webp") => Format::Webp,
        Some("image/gif") => Format::Gif,
        Some("image/bmp") => Format::Bmp,
        Some("image/tiff")
        | Some("image/x-canon-cr2")
        | Some("image/x-nikon-nef")
        | Some("image/x-sony-arw")
        | Some("image/x-adobe-dng")
        | Some("image/x-panasonic-rw2")
        | Some("image/x-olympus-orf") => {
            if RAW_EXTENSIONS.contains(&ext.as_str()) || mime.as_deref() != Some("image/tiff") {
                Format::TiffRaw
            } else {
                Format::Tiff
            }
        }
        Some(m) if m.starts_with("video/") => Format::Video,
        Some(_) if inferred.is_some_and(|t| t.matcher_type() == infer::MatcherType::Image) => Format::OtherImage,
        // Formats infer does not know (DV, ASF stubs): FFmpeg decides, by content.
        None if is_video_name(path) => Format::Video,
        _ if head.first() == Some(&0x47) && (ext == "mts" || ext == "m2ts" || ext == "ts") => Format::Video,
        _ if head.len() > 4 && head[4] == 0x47 && (ext == "mts" || ext == "m2ts") => Format::Video,
        _ => Format::Unknown,
    };
    let mime = match (format, mime) {
        (Format::TiffRaw, Some(m)) if m == "image/tiff" => Some(format!("image/x-raw-{ext}")),
        (Format::Video, None) => Some(
            match ext.as_str() {
                "mts" | "m2ts" | "ts" => "video/mp2t",
                "dv" => "video/x-dv",
                "wmv" | "asf" => "video/x-ms-asf",
                _ => "application/octet-stream",
            }
            .into(),
        ),
        (_, m) => m,
    };
    (format, mime)
}

/// Kyocera's RAW files (Contax N Digital) carry their maker's name backwards at 0x19.
fn is_kyocera(head: &[u8]) -> bool {
    head.get(0x19..0x20) == Some(b"ARECOYK")
}
