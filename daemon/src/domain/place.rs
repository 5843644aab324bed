//! `Address`: where a position is, as the geocoder finds it and the library stores it (country, state, county,
//! city, district; Synology's address without its street-level parts, which offline data does not have).

/// A position's place: names from the country down; `None` where the data has no such level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub country: String,
    pub state: Option<String>,
    pub county: Option<String>,
    pub city: Option<String>,
    /// The quarter of the city ("Steglitz" in Berlin), when the nearest place is one.
    pub district: Option<String>,
}
