//! `Blocks`: what a container holds for the metadata parsers (its EXIF/TIFF, XMP and IPTC blocks, its stored pixel
//! size, and the fields some RAW formats keep outside any block). `containers` and `legacy_raw` fill it; `exif`,
//! `xmp` and `iptc` read it.

use exif::Context;

/// Fields some RAW formats store outside any TIFF block.
#[derive(Default)]
pub struct Direct {
    pub make: Option<String>,
    pub model: Option<String>,
    pub taken: Option<time::PrimitiveDateTime>,
    /// Which field `taken` came from, for `taken_source`.
    pub taken_source: &'static str,
}

#[derive(Default)]
pub struct Blocks {
    pub direct: Direct,
    /// TIFF-structured blocks, with the context their IFD0 fields belong to (CR3 splits Exif and GPS out).
    pub tiff: Vec<(Vec<u8>, Option<Context>)>,
    pub xmp: Vec<Vec<u8>>,
    pub iptc: Option<Vec<u8>>,
    /// Stored pixel size, before any orientation.
    pub size: Option<(u32, u32)>,
    /// RAW files: the largest full-resolution image found in the IFDs, used when EXIF gives no size.
    pub fallback_size: Option<(u32, u32)>,
    /// HEIF: the container's rotation (irot, quarter turns), which is applied to the pixels instead of EXIF's.
    pub heif_rotation: Option<u8>,
}
