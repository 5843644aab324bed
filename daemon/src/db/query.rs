//! Compiling an `ItemQuery` to SQL, in one place: the WHERE clause of every list, count, search, timeline and facet
//! of items, always narrowed by the caller's `Reach`.

use std::sync::Arc;

use rusqlite::types::Value;

use crate::domain::{Facet, ItemQuery};

/// The part of a space one caller may see: all of it, or only the items of some of its folders (the Shared
/// Space's folder permissions). Every list and aggregate of items takes one, so none can forget it.
#[derive(Debug, Clone)]
pub struct Reach {
    pub space_id: i64,
    /// When set, the only folders whose items show, as a JSON array (read by `json_each`, so that a long list
    /// costs one parameter).
    folders: Option<Arc<str>>,
    /// When set, the only album whose items show (a shared album, to the holder of its link).
    album: Option<i64>,
}

impl Reach {
    pub fn whole(space_id: i64) -> Reach {
        Reach { space_id, folders: None, album: None }
    }

    pub fn folders(space_id: i64, ids: &[i64]) -> Reach {
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        Reach { space_id, folders: Some(list.into()), album: None }
    }

    /// This reach, narrowed to the items of one album.
    pub fn within_album(self, album_id: i64) -> Reach {
        Reach { album: Some(album_id), ..self }
    }

    /// Nothing at all: what a photo request's holder sees.
    pub fn nothing(space_id: i64) -> Reach {
        Reach::folders(space_id, &[])
    }

    /// The only folders whose items show, when the reach is narrowed to some.
    pub fn folder_ids(&self) -> Option<Vec<i64>> {
        self.folders.as_ref().map(|list| serde_json::from_str(list).unwrap_or_default())
    }

    /// The only album whose items show, when the reach is confined to one.
    pub fn album_id(&self) -> Option<i64> {
        self.album
    }

    pub fn is_whole(&self) -> bool {
        self.folders.is_none() && self.album.is_none()
    }

    /// The condition on the items lists show (`alias` is the item table's alias) and its values.
    pub(crate) fn clause(&self, alias: &str) -> (String, Vec<Value>) {
        let (sql, values) = self.files_clause(alias);
        (format!("{sql} AND {alias}.live_photo_id IS NULL"), values)
    }

    /// The same for every file, the video halves of Live Photos included.
    pub(crate) fn files_clause(&self, alias: &str) -> (String, Vec<Value>) {
        let mut sql = format!("{alias}.space_id = ? AND {alias}.state <> 'missing'");
        let mut values: Vec<Value> = vec![self.space_id.into()];
        if let Some(folders) = &self.folders {
            sql.push_str(&format!(" AND {alias}.folder_id IN (SELECT value FROM json_each(?))"));
            values.push(Value::Text(folders.to_string()));
        }
        if let Some(album) = self.album {
            sql.push_str(&format!(
                " AND ({alias}.id IN (SELECT item_id FROM album_item WHERE album_id = ?)
                       OR {alias}.live_photo_id IN (SELECT item_id FROM album_item WHERE album_id = ?))"
            ));
            values.extend([Value::from(album), Value::from(album)]);
        }
        (sql, values)
    }
}

/// The WHERE clause and its values for what a caller sees of a space, narrowed by a filter.
pub(crate) fn where_clause(reach: &Reach, filter: &ItemQuery) -> (String, Vec<Value>) {
    let (mut sql, mut values) = reach.clause("i");
    let mut list = |sql: &mut String, column: &str, items: Vec<Value>| {
        sql.push_str(&format!(" AND {column} IN ({})", vec!["?"; items.len()].join(",")));
        values.extend(items);
    };
    if let Some(ids) = &filter.ids {
        list(&mut sql, "i.id", ids.iter().map(|&i| i.into()).collect());
    }
    if !filter.types.is_empty() {
        list(&mut sql, "i.type", filter.types.iter().map(|t| t.clone().into()).collect());
    }
    if !filter.ratings.is_empty() {
        list(&mut sql, "coalesce(i.rating, 0)", filter.ratings.iter().map(|&r| r.into()).collect());
    }
    if let Some(folder) = filter.folder_id {
        sql.push_str(" AND i.folder_id = ?");
        values.push(folder.into());
    }
    if let Some(album) = filter.album_id {
        sql.push_str(" AND i.id IN (SELECT item_id FROM album_item WHERE album_id = ?)");
        values.push(album.into());
    }
    if let Some(start) = filter.start_time {
        sql.push_str(" AND i.taken_ts >= ?");
        values.push(start.into());
    }
    if let Some(end) = filter.end_time {
        sql.push_str(" AND i.taken_ts < ?");
        values.push(end.into());
    }
    let mut words = Vec::new();
    for word in filter.keyword.iter().flat_map(|k| k.split_whitespace()) {
        let like = contains_pattern(word);
        words.push(
            "(i.filename LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\'
                   OR EXISTS (SELECT 1 FROM item_tag it JOIN tag t ON t.id = it.tag_id
                              WHERE it.item_id = i.id AND t.name LIKE ? ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM folder f WHERE f.id = i.folder_id AND f.path LIKE ? ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM face fc JOIN person pn ON pn.id = fc.person_id
                              WHERE fc.item_id = i.id AND pn.hidden = 0 AND pn.name LIKE ? ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM place x JOIN place pl ON pl.id IN (x.l1, x.l2, x.l3, x.l4, x.l5)
                              WHERE x.id = i.place_id AND pl.name LIKE ? ESCAPE '\\'))",
        );
        values.extend(std::iter::repeat_n(Value::from(like), 6));
    }
    if !words.is_empty() {
        let all_words = words.join(" AND ");
        if filter.keyword_concepts.is_empty() {
            sql.push_str(&format!(" AND {all_words}"));
        } else {
            // The words anywhere, or one of the subjects the keyword means.
            let marks = vec!["?"; filter.keyword_concepts.len()].join(",");
            sql.push_str(&format!(
                " AND ({all_words} OR i.id IN (SELECT item_id FROM item_concept
                                                WHERE concept_id IN ({marks}) AND hidden = 0))"
            ));
            values.extend(filter.keyword_concepts.iter().map(|&c| Value::from(c)));
        }
    }
    for (facet, wanted) in &filter.facets {
        let marks = vec!["?"; wanted.len()].join(",");
        sql.push_str(&format!(" AND {} IN ({marks})", facet_expression(*facet)));
        values.extend(wanted.iter().map(|v| Value::from(v.clone())));
    }
    if !filter.tag_ids.is_empty() {
        let marks = vec!["?"; filter.tag_ids.len()].join(",");
        let need = if filter.all_tags { filter.tag_ids.len() } else { 1 };
        sql.push_str(&format!(
            " AND (SELECT count(*) FROM item_tag t WHERE t.item_id = i.id AND t.tag_id IN ({marks})) >= {need}"
        ));
        values.extend(filter.tag_ids.iter().map(|&t| Value::from(t)));
    }
    if !filter.person_ids.is_empty() {
        let marks = vec!["?"; filter.person_ids.len()].join(",");
        sql.push_str(&format!(" AND i.id IN (SELECT item_id FROM face WHERE person_id IN ({marks}))"));
        values.extend(filter.person_ids.iter().map(|&p| Value::from(p)));
    }
    if !filter.place_ids.is_empty() {
        let list = serde_json::to_string(&filter.place_ids).unwrap_or_else(|_| "[]".into());
        sql.push_str(
            " AND i.place_id IN (SELECT x.id FROM place x, json_each(?) w
                                 WHERE w.value IN (x.l1, x.l2, x.l3, x.l4, x.l5))",
        );
        values.push(Value::Text(list));
    }
    if !filter.concept_ids.is_empty() {
        let marks = vec!["?"; filter.concept_ids.len()].join(",");
        sql.push_str(&format!(
            " AND i.id IN (SELECT item_id FROM item_concept WHERE concept_id IN ({marks}) AND hidden = 0)"
        ));
        values.extend(filter.concept_ids.iter().map(|&c| Value::from(c)));
    }
    if let Some(area) = filter.area {
        sql.push_str(" AND i.latitude BETWEEN ? AND ?");
        values.extend([Value::from(area.south), Value::from(area.north)]);
        let across = if area.west <= area.east { "AND" } else { "OR" };
        sql.push_str(&format!(" AND (i.longitude >= ? {across} i.longitude <= ?)"));
        values.extend([Value::from(area.west), Value::from(area.east)]);
    }
    (sql, values)
}

/// A LIKE pattern (with `ESCAPE '\'`) matching text that contains `text`, its wildcards taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// The SQL text of a facet's value for one item; also used to filter by it.
pub fn facet_expression(facet: Facet) -> &'static str {
    match facet {
            Facet::Camera => "trim(coalesce(make, '') || ' ' || coalesce(model, ''))",
            Facet::Lens => "lens",
            Facet::Iso => "CAST(iso AS TEXT)",
            Facet::Aperture => "printf('F%g', round(f_number, 1))",
            Facet::FocalLength => "printf('%g mm', round(focal_length, 1))",
            Facet::ExposureTime => "CASE WHEN exposure_time >= 1 THEN printf('%g s', exposure_time)
                                    WHEN exposure_time > 0 THEN printf('1/%d s', CAST(round(1.0 / exposure_time) AS INTEGER)) END",
        }
}
