//! Offline reverse geocoding: which country, state, county and city a GPS position is in. Nothing leaves the
//! machine. The country comes from OpenStreetMap's borders (the crate `country-boundaries`, compiled in), so a
//! photo taken near a border is never given the neighbouring country's town; the rest from the nearest place of
//! GeoNames' cities1000 in that country (`cities.csv` and `countries.tsv` in `Config::places_dir`, fetched from
//! their registry packages by `models/geodata.py`). The data is trusted (pinned packages, not users' files), so
//! it runs in the daemon, not in a worker.
//!
//! How far a place may be: a city within `CITY_KM`; beyond it (open country, a desert) the state and county of
//! the nearest place of the same country within `REGION_KM`; beyond that only the country. Where the borders
//! know the country's subdivisions (US states, Canadian provinces...), the place must lie in the same one. When
//! the nearest place is a quarter of a larger city (`city_of` in the data), the city is the city and the quarter
//! its district. At sea (no border
//! contains the position) a place within `COAST_KM` still counts, as harbours and beaches lie on the borders'
//! simplified coastline; farther out there is no place at all.

mod cities;

use std::collections::HashMap;
use std::num::NonZero;
use std::path::Path;

use country_boundaries::{CountryBoundaries, LatLon, BOUNDARIES_ODBL_360X180};
use kiddo::immutable::float::kdtree::ImmutableKdTree;
use kiddo::SquaredEuclidean;

use crate::domain::Address;
use cities::Cities;

/// A city farther than this is not where the photo was taken.
pub const CITY_KM: f64 = 25.0;
/// The state and county of a place this near are kept when its city is too far.
pub const REGION_KM: f64 = 80.0;
/// Off every border (at sea), a place this near still counts.
pub const COAST_KM: f64 = 12.0;
/// How many nearest places are looked at to find one in the position's country.
const CANDIDATES: usize = 24;
const EARTH_KM: f64 = 6371.0088;
/// Changes whenever the rules above change, so that every position is placed again.
const RULES_VERSION: &str = "places-1";

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("cannot read the place data {path}: {source} (run models/fetch.sh, or set places.data_dir)")]
    Read { path: String, source: std::io::Error },
    #[error("the place data {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

/// The loaded place data. About 10 MB; built once and shared.
pub struct Geocoder {
    cities: Cities,
    tree: ImmutableKdTree<f32, u32, 3, 32>,
    borders: CountryBoundaries,
    countries: HashMap<[u8; 2], Box<str>>,
    version: i64,
}

impl Geocoder {
    /// Loads `cities.csv` and `countries.tsv` from `dir`.
    pub fn open(dir: &Path) -> Result<Geocoder, GeoError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| GeoError::Read { path: path.display().to_string(), source })
        };
        let (csv, tsv) = (read("cities.csv")?, read("countries.tsv")?);
        let invalid =
            |name: &str, message: String| GeoError::Invalid { path: dir.join(name).display().to_string(), message };
        let cities = Cities::parse(&csv).map_err(|e| invalid("cities.csv", e))?;
        let countries = parse_countries(&tsv).map_err(|e| invalid("countries.tsv", e))?;
        let points: Vec<[f32; 3]> = cities.positions().map(|(lat, lon)| unit_vector(lat, lon)).collect();
        let tree = ImmutableKdTree::new_from_slice(&points);
        let borders = CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180)
            .map_err(|e| invalid("(compiled-in borders)", e.to_string()))?;
        let mut hash = blake3::Hasher::new();
        hash.update(RULES_VERSION.as_bytes()).update(&csv).update(&tsv).update(b"country-boundaries 1.2 360x180");
        let version = i64::from_le_bytes(hash.finalize().as_bytes()[..8].try_into().expect("8 bytes")) & i64::MAX;
        Ok(Geocoder { cities, tree, borders, countries, version })
    }

    /// Identifies the data and the rules: positions placed with another version are placed again.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The positions of the data's places.
    pub fn place_positions(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.cities.positions()
    }

    /// How many places the data holds.
    pub fn len(&self) -> usize {
        self.cities.len()
    }

    /// Where a position is, or `None` for an invalid one or one at sea.
    pub fn locate(&self, lat: f64, lon: f64) -> Option<Address> {
        let position = LatLon::new(lat, lon).ok().filter(|_| lat.is_finite() && lon.is_finite())?;
        // The smallest region holding the position says the country: a subdivision's code starts with its
        // country's ("US-TX"), and where the borders disagree (a disputed area is a subdivision of one country
        // inside another's outline) the subdivision's country is the one GeoNames and most maps name.
        let regions = self.borders.ids(position);
        let smallest = regions.first().copied();
        let country = smallest.and_then(country_code);
        // That subdivision (a US state, a Canadian province...): a place across its border is not where the photo
        // was taken either.
        let subdivision = smallest.filter(|id| id.len() > 3);
        let query = unit_vector(lat, lon);
        let near = self.tree.nearest_n::<SquaredEuclidean>(&query, NonZero::new(CANDIDATES).expect("not zero"));
        let km = |chord2: f32| 2.0 * (f64::from(chord2).sqrt() / 2.0).min(1.0).asin() * EARTH_KM;
        let Some(code) = country else {
            // At sea: only a place very near, which then says the country too.
            let first = near.first().filter(|n| km(n.distance) <= COAST_KM)?;
            return Some(self.settled(self.cities.get(first.item).cc, first.item));
        };
        // Border checks cost more than the rest: made last, and only for places that qualify otherwise.
        let in_region = |item: u32| subdivision.is_none_or(|region| self.contains(region, item));
        let mut places = near.iter().filter(|n| km(n.distance) <= REGION_KM && self.cities.get(n.item).cc == code);
        let Some(nearest) = places.by_ref().find(|n| in_region(n.item)) else {
            return Some(self.address(code, None, None, None, None));
        };
        let first = self.cities.get(nearest.item);
        if km(nearest.distance) > CITY_KM {
            return Some(self.address(code, Some(first.admin1), Some(first.admin2), None, None));
        }
        // The nearest place may be a quarter of a city (Nice's old town, Berlin's Steglitz): the city is then the
        // city, and the quarter its district.
        Some(self.settled(code, nearest.item))
    }

    /// The address of place `index` in country `code`: the place as the city, or, for a quarter of a city, the
    /// city with the quarter as its district (and the city's own state and county, so that a city is one place).
    fn settled(&self, code: [u8; 2], index: u32) -> Address {
        let place = self.cities.get(index);
        match place.city_of {
            Some(city) => {
                let city = self.cities.get(city);
                self.address(code, Some(city.admin1), Some(city.admin2), Some(city.name), Some(place.name))
            }
            None => self.address(code, Some(place.admin1), Some(place.admin2), Some(place.name), None),
        }
    }

    /// Whether place `index` lies within the borders of `region`.
    fn contains(&self, region: &str, index: u32) -> bool {
        let (lat, lon) = self.cities.position(index);
        LatLon::new(lat, lon).is_ok_and(|p| self.borders.is_in(p, region))
    }

    fn address(
        &self,
        cc: [u8; 2],
        state: Option<&str>,
        county: Option<&str>,
        city: Option<&str>,
        district: Option<&str>,
    ) -> Address {
        let code = String::from_utf8_lossy(&cc).into_owned();
        let country = self.countries.get(&cc).map(|n| n.to_string()).unwrap_or_else(|| code.clone());
        let some = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
        Address {
            country_code: code,
            country,
            state: some(state),
            county: some(county),
            city: some(city),
            district: some(district),
        }
    }
}

/// The country of a borders' id: a country's own ("US"), or a subdivision's ("US-TX").
fn country_code(id: &str) -> Option<[u8; 2]> {
    match *id.as_bytes() {
        [a, b] | [a, b, b'-', ..] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some([a, b]),
        _ => None,
    }
}

/// A position on the unit sphere: straight-line distances there order places as distances on the Earth do,
/// across the antimeridian and near the poles too.
fn unit_vector(lat: f64, lon: f64) -> [f32; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [(lat.cos() * lon.cos()) as f32, (lat.cos() * lon.sin()) as f32, lat.sin() as f32]
}

/// `countries.tsv`: `cc<TAB>name` per line.
fn parse_countries(tsv: &[u8]) -> Result<HashMap<[u8; 2], Box<str>>, String> {
    let text = std::str::from_utf8(tsv).map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let (code, name) = line.split_once('\t').ok_or_else(|| format!("line {}: no tab", n + 1))?;
        let cc: [u8; 2] = code.as_bytes().try_into().map_err(|_| format!("line {}: bad code {code:?}", n + 1))?;
        out.insert(cc, name.into());
    }
    if out.len() < 200 {
        return Err(format!("only {} countries", out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data `models/fetch.sh` puts in target/geo (tests/setup.sh runs it).
    fn geocoder() -> Geocoder {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/geo");
        Geocoder::open(&dir).expect("target/geo holds the place data: run models/fetch.sh")
    }

    fn place(g: &Geocoder, lat: f64, lon: f64) -> (String, Option<String>) {
        let a = g.locate(lat, lon).unwrap_or_else(|| panic!("{lat},{lon} has a place"));
        (a.country_code, a.city)
    }

    #[test]
    fn cities_are_found_with_their_country_state_and_county() {
        let g = geocoder();
        let paris = g.locate(48.8566, 2.3522).unwrap();
        assert_eq!((paris.country.as_str(), paris.city.as_deref()), ("France", Some("Paris")));
        assert_eq!(paris.state.as_deref(), Some("Ile-de-France"));
        assert_eq!(place(&g, 48.5387, 9.0122).1.as_deref(), Some("Tübingen"), "names as GeoNames writes them");
        let old_town = g.locate(43.6958, 7.2714).unwrap();
        assert_eq!((old_town.city.as_deref(), old_town.district.as_deref()), (Some("Nice"), Some("Vieille Ville")));
        let steglitz = g.locate(52.4597, 13.3218).unwrap();
        assert_eq!((steglitz.city.as_deref(), steglitz.district.as_deref()), (Some("Berlin"), Some("Steglitz")));
        let airport = g.locate(50.0477, 8.5724).unwrap();
        assert_eq!(airport.district, None, "a village beside a town is not its quarter: {airport:?}");
        // Death Valley: the nearest towns are across the state line, in Nevada; none of them is where it is.
        let death_valley_inn = g.locate(36.4483, -116.855).unwrap();
        assert_eq!(death_valley_inn.country, "United States");
        assert_ne!(death_valley_inn.state.as_deref(), Some("Nevada"), "{death_valley_inn:?}");
        assert_eq!(place(&g, -17.7733, 177.3658).0, "FJ", "across the antimeridian");
    }

    #[test]
    fn a_position_near_a_border_keeps_its_own_country() {
        let g = geocoder();
        // Kehl lies across the Rhine from Strasbourg, whose centre is nearer to many points of Kehl's edge.
        assert_eq!(place(&g, 48.5690, 7.8110).0, "DE");
        assert_eq!(place(&g, 48.5734, 7.7521).0, "FR");
        // Baarle-Hertog and Baarle-Nassau: Belgian enclaves inside the Netherlands.
        assert_eq!(place(&g, 51.4381, 4.9279).0, "BE");
        // Tijuana and San Diego's San Ysidro, a kilometre apart.
        assert_eq!(place(&g, 32.5420, -117.0300).0, "MX");
        assert_eq!(place(&g, 32.5560, -117.0440).0, "US");
        // Crimea: inside Russia's outline in OpenStreetMap, a subdivision of Ukraine (UA-43), as GeoNames has it.
        assert_eq!(place(&g, 45.7528, 33.2219).0, "UA");
    }

    #[test]
    fn far_from_any_town_only_the_region_and_at_sea_nothing() {
        let g = geocoder();
        let sahara = g.locate(23.5, 12.0).expect("the desert is in a country");
        assert_eq!(sahara.city, None, "no town within {CITY_KM} km: {sahara:?}");
        assert!(!sahara.country.is_empty());
        assert_eq!(g.locate(0.0, 0.0), None, "the Gulf of Guinea");
        assert_eq!(g.locate(35.0, -40.0), None, "the mid-Atlantic");
        assert_eq!(g.locate(91.0, 0.0), None);
        assert_eq!(g.locate(f64::NAN, 0.0), None);
    }
}
