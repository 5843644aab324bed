//! `ItemQuery`: which items a list, a count, a search, the timeline or a facet covers, as one typed value. The API
//! builds it from request parameters (`api::query`), `db::query` compiles it to SQL, and a conditional album
//! stores it as it is (it is serde-serialisable) and holds, at any moment, the items it matches. Who may see what
//! is not part of it: `db::Reach` narrows every query to the caller's part of a space.

use serde::{Deserialize, Serialize};

/// What an item list is narrowed to. Every field is optional; all given ones apply, or any one of them (`any`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemQuery {
    /// An item matching any one of the conditions below is enough, instead of all of them (a conditional album's
    /// "any"). `ids`, `album_id` and `within` always apply.
    pub any: bool,
    pub ids: Option<Vec<i64>>,
    pub folder_id: Option<i64>,
    /// Items in one of these folders; with `subfolders`, in their subfolders too (a conditional album's source).
    pub folder_ids: Vec<i64>,
    pub subfolders: bool,
    /// Items of this album (the caller's ownership of it is checked before).
    pub album_id: Option<i64>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// Items taken in one of these ranges (Unix seconds, the end excluded; either side may be open).
    pub time_ranges: Vec<TimeRange>,
    /// Items taken in the last this many days, counted from the moment the query runs ("last 30 days").
    pub recent_days: Option<i64>,
    pub types: Vec<String>,
    pub ratings: Vec<i64>,
    pub tag_ids: Vec<i64>,
    /// All tags must match, instead of any.
    pub all_tags: bool,
    /// Words to find in the file name, description, tags or folder path (all of them, anywhere).
    pub keyword: Option<String>,
    /// The subjects (concept ids) the whole keyword means ("puppies" → dog): an item with one of them matches
    /// the keyword too.
    pub keyword_concepts: Vec<i64>,
    /// Items whose facet value is one of these (camera, lens, ISO...).
    pub facets: Vec<(Facet, Vec<String>)>,
    /// Items whose numeric facet is within a range (ISO, aperture, focal length, exposure time; both ends
    /// included, either may be open).
    pub facet_ranges: Vec<(Facet, Range)>,
    /// Text the file name or the description contains (each word, anywhere).
    pub name_or_description: Option<String>,
    /// Items with a face of one of these persons (the caller's space's, checked before).
    pub person_ids: Vec<i64>,
    /// Items in one of these places (`geocoding_id`s, at any level: a country holds its cities' items).
    pub place_ids: Vec<i64>,
    /// Items with one of these subjects (concept ids; a concept holds its children's items too).
    pub concept_ids: Vec<i64>,
    /// Items whose position is in this area (the map's clusters).
    pub area: Option<Area>,
    /// Items a conditional album's stored query holds (its own `any` applies inside it).
    pub within: Option<Box<ItemQuery>>,
}

/// Unix seconds from `start` (included) to `end` (excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// From `min` to `max`, both included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A latitude/longitude box; `west > east` crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl ItemQuery {
    /// Whether any field narrows the list. Destructured, so that a new field cannot be forgotten here.
    pub fn narrows(&self) -> bool {
        let ItemQuery {
            any: _,
            ids,
            folder_id,
            folder_ids,
            subfolders: _,
            album_id,
            start_time,
            end_time,
            time_ranges,
            recent_days,
            types,
            ratings,
            tag_ids,
            all_tags: _,
            keyword,
            keyword_concepts: _,
            facets,
            facet_ranges,
            name_or_description,
            person_ids,
            place_ids,
            concept_ids,
            area,
            within,
        } = self;
        ids.is_some()
            || folder_id.is_some()
            || !folder_ids.is_empty()
            || album_id.is_some()
            || start_time.is_some()
            || end_time.is_some()
            || !time_ranges.is_empty()
            || recent_days.is_some()
            || !facet_ranges.is_empty()
            || name_or_description.is_some()
            || within.is_some()
            || !types.is_empty()
            || !ratings.is_empty()
            || !tag_ids.is_empty()
            || keyword.is_some()
            || !facets.is_empty()
            || !person_ids.is_empty()
            || !place_ids.is_empty()
            || !concept_ids.is_empty()
            || area.is_some()
    }
}

/// A filterable property of items, as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    Camera,
    Lens,
    Iso,
    Aperture,
    FocalLength,
    ExposureTime,
}

/// Sorts `rows` into the order their ids were asked for; rows whose id was not asked for go first. O(n log n):
/// a search of the id list for each row would be O(n² log n), seconds of a runtime thread for 5,000 ids.
pub fn in_asked_order<T>(rows: &mut [T], ids: &[i64], id_of: impl Fn(&T) -> i64) {
    let asked: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(n, &id)| (id, n)).collect();
    rows.sort_by_key(|row| asked.get(&id_of(row)).copied());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a conditional album will store reads back as it was; what it leaves out is no narrowing.
    #[test]
    fn a_query_reads_back_as_it_was_stored() {
        let query = ItemQuery {
            folder_id: Some(3),
            start_time: Some(1_600_000_000),
            types: vec!["photo".into(), "live".into()],
            ratings: vec![5],
            tag_ids: vec![7, 8],
            all_tags: true,
            keyword: Some("beach".into()),
            facets: vec![(Facet::Camera, vec!["FUJIFILM X100V".into()])],
            ..ItemQuery::default()
        };
        let stored = serde_json::to_string(&query).unwrap();
        assert!(stored.contains(r#""camera""#), "{stored}");
        assert_eq!(serde_json::from_str::<ItemQuery>(&stored).unwrap(), query);
        let nothing: ItemQuery = serde_json::from_str("{}").unwrap();
        assert!(!nothing.narrows());
        assert!(query.narrows());
    }

    #[test]
    fn rows_come_back_in_the_order_asked_for() {
        let ids: Vec<i64> = (1..=5000).rev().collect();
        let mut rows: Vec<i64> = (1..=5000).collect();
        in_asked_order(&mut rows, &ids, |r| *r);
        assert_eq!(rows, ids);
        let mut partly = vec![7, 3, 99, 5];
        in_asked_order(&mut partly, &[5, 7, 3], |r| *r);
        assert_eq!(partly, [99, 5, 7, 3], "an id not asked for first, the rest as asked");
    }
}
