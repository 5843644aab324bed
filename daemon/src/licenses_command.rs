//! `photosd licenses`: photosd's own licence and those of the libraries built into it, read from the libraries
//! themselves (FFmpeg says how it was configured), so that a package's terms can be checked, not assumed.

#[derive(Debug, Clone, clap::Args)]
pub struct LicensesArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The credit the place data's licences ask for (models/geodata.py writes the full NOTICE).
pub const PLACES_CREDIT: &str = "place names from GeoNames (https://www.geonames.org), CC BY 4.0; country borders \
    (c) OpenStreetMap contributors, ODbL 1.0";

pub fn run(args: &LicensesArgs) -> anyhow::Result<()> {
    let ffmpeg_version = ffmpeg_next::codec::version();
    let (major, minor, micro) = (ffmpeg_version >> 16, (ffmpeg_version >> 8) & 0xff, ffmpeg_version & 0xff);
    let libavcodec = format!("{major}.{minor}.{micro}");
    let ffmpeg = serde_json::json!({
        "libavcodec": libavcodec,
        "license": ffmpeg_next::codec::license(),
        "configuration": ffmpeg_next::codec::configuration(),
    });
    let answer = serde_json::json!({
        "photosd": { "version": env!("CARGO_PKG_VERSION"), "license": env!("CARGO_PKG_LICENSE") },
        "ffmpeg": ffmpeg,
        "sqlite": { "version": rusqlite::version(), "license": "public domain" },
        "places": { "data": PLACES_CREDIT },
    });
    if args.json {
        println!("{answer}");
        return Ok(());
    }
    println!("photosd {}: {}", env!("CARGO_PKG_VERSION"), env!("CARGO_PKG_LICENSE"));
    println!("FFmpeg (libavcodec {libavcodec}): {}", ffmpeg_next::codec::license());
    println!("  configured with: {}", ffmpeg_next::codec::configuration());
    println!("SQLite {}: public domain", rusqlite::version());
    println!("Places: {PLACES_CREDIT}");
    println!("The package carries every other library's copyright in share/licenses.");
    Ok(())
}
