//! What a user's edits of one item are, as the database holds them and its XMP sidecar says them.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SidecarValues {
    pub description: Option<String>,
    pub rating: Option<i64>,
    /// `YYYY-MM-DDTHH:MM:SS`, when the user corrected the date.
    pub taken_local: Option<String>,
    pub tags: Vec<String>,
    /// (latitude, longitude), when the user set the position.
    pub position: Option<(f64, f64)>,
}
