//! `photosd geocode`: the place of positions, offline, as the library stores them (country, state, county,
//! city); and `--bench`, which measures the geocoder on one core: positions per second, and the memory it adds
//! to the process, against the figures the Places issue asks for.

use std::time::Instant;

use crate::config::Config;
use crate::geo::Geocoder;

#[derive(Debug, Clone, clap::Args)]
pub struct GeocodeArgs {
    /// Positions as LAT,LON (decimal degrees, north and east positive).
    #[arg(value_name = "LAT,LON", allow_hyphen_values = true)]
    pub positions: Vec<String>,
    /// Read the positions from this file instead, one LAT,LON per line.
    #[arg(long, value_name = "FILE")]
    pub from: Option<std::path::PathBuf>,
    /// Print one JSON object per position.
    #[arg(long)]
    pub json: bool,
    /// Measure instead of printing: place the positions (by default `--count` positions near the data's own
    /// places, where photos are taken) on one thread, and print positions per second and the memory the
    /// geocoder adds to the process.
    #[arg(long)]
    pub bench: bool,
    /// How many positions `--bench` makes up when none are given.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: usize,
}

pub async fn run(config: &Config, args: GeocodeArgs) -> anyhow::Result<()> {
    let before = rss_kib();
    let started = Instant::now();
    let geocoder = Geocoder::open(&config.places_dir())?;
    let load = started.elapsed();
    let added_mib = (rss_kib().saturating_sub(before)) as f64 / 1024.0;
    let mut texts = args.positions.clone();
    if let Some(file) = &args.from {
        let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        texts.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
    }
    let mut positions = Vec::with_capacity(texts.len());
    for text in &texts {
        let parsed = text.split_once(',').and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
        positions.push(parsed.ok_or_else(|| anyhow::anyhow!("{text:?} is not LAT,LON"))?);
    }
    if args.bench {
        if positions.is_empty() {
            positions = near_places(&geocoder, args.count);
        }
        return bench(&geocoder, &positions, load, added_mib);
    }
    if positions.is_empty() {
        anyhow::bail!("give positions as LAT,LON (see --help)");
    }
    for (lat, lon) in positions {
        let place = geocoder.locate(lat, lon);
        if args.json {
            let value = place.map(|a| {
                serde_json::json!({ "country_code": a.country_code, "country": a.country, "state": a.state,
                                    "county": a.county, "city": a.city, "district": a.district })
            });
            println!("{}", serde_json::json!({ "latitude": lat, "longitude": lon, "place": value }));
        } else {
            match place {
                Some(a) => {
                    let parts = [a.district, a.city, a.county, a.state, Some(a.country)];
                    println!("{lat},{lon}: {}", parts.into_iter().flatten().collect::<Vec<_>>().join(", "));
                }
                None => println!("{lat},{lon}: no place (at sea, or not a position)"),
            }
        }
    }
    Ok(())
}

/// `count` positions within about 20 km of the data's places, in a fixed pseudo-random order (the same every run).
fn near_places(geocoder: &Geocoder, count: usize) -> Vec<(f64, f64)> {
    let places: Vec<(f64, f64)> = geocoder.place_positions().collect();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let (lat, lon) = places[(next() % places.len() as u64) as usize];
            let jitter = |r: u64| (r % 4000) as f64 / 10_000.0 - 0.2;
            ((lat + jitter(next())).clamp(-90.0, 90.0), (lon + jitter(next())).clamp(-180.0, 180.0))
        })
        .collect()
}

fn bench(
    geocoder: &Geocoder,
    positions: &[(f64, f64)],
    load: std::time::Duration,
    added_mib: f64,
) -> anyhow::Result<()> {
    let count = positions.len();
    let started = Instant::now();
    let mut placed = 0usize;
    for &(lat, lon) in positions {
        placed += usize::from(geocoder.locate(lat, lon).is_some());
    }
    let took = started.elapsed();
    let per_second = count as f64 / took.as_secs_f64();
    println!("photosd geocode --bench: {count} positions, one thread");
    println!("  place data: {} places, loaded in {:.0} ms", geocoder.len(), load.as_secs_f64() * 1000.0);
    println!("  memory the geocoder adds to the process: {added_mib:.1} MiB (resident, after loading)");
    println!(
        "  {count} positions in {:.0} ms: {:.0} positions/s ({:.2} µs each); {placed} placed",
        took.as_secs_f64() * 1000.0,
        per_second,
        took.as_secs_f64() * 1e6 / count as f64
    );
    Ok(())
}

/// The process's resident memory, in KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
