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
    /// That album's condition, when it is a condition album: its items are what the condition matches.
    album_condition: Option<Arc<ItemQuery>>,
}

impl Reach {
    pub fn whole(space_id: i64) -> Reach {
        Reach { space_id, folders: None, album: None, album_condition: None }
    }

    pub fn folders(space_id: i64, ids: &[i64]) -> Reach {
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        Reach { space_id, folders: Some(list.into()), album: None, album_condition: None }
    }

    /// This reach, narrowed to the items of one album.
    pub fn within_album(self, album_id: i64) -> Reach {
        Reach { album: Some(album_id), ..self }
    }

    /// This reach, narrowed to what a condition album's condition matches.
    pub fn within_condition_album(self, album_id: i64, condition: ItemQuery) -> Reach {
        Reach { album: Some(album_id), album_condition: Some(Arc::new(condition)), ..self }
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

    /// The condition, when what `filter` asks of this reach is exactly a condition album's members in the whole
    /// space: its owner's list, or its link's (`db/members.rs` keeps those).
    pub(super) fn only_condition_album<'a>(&'a self, filter: &'a ItemQuery) -> Option<&'a ItemQuery> {
        if self.folders.is_some() {
            return None;
        }
        match (&self.album_condition, self.album, &filter.within) {
            (Some(condition), _, _) if !filter.narrows() => Some(&**condition),
            (None, None, Some(condition)) if !ItemQuery { within: None, ..filter.clone() }.narrows() => {
                Some(&**condition)
            }
            _ => None,
        }
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
        if let Some(condition) = &self.album_condition {
            // The item, or the photo whose video half it is, matches the condition (`matching` names the item
            // `i`, so it runs in a subquery of its own).
            // Membership is decided on the items albums list (a Live Photo's video half only through its photo),
            // in this space.
            let (matched, more) = matching(condition).unwrap_or_else(|| ("0".into(), Vec::new()));
            let members = format!(
                "SELECT i.id FROM item i WHERE i.space_id = ? AND i.live_photo_id IS NULL AND i.state <> 'missing'
                   AND {matched}"
            );
            sql.push_str(&format!(" AND ({alias}.id IN ({members}) OR {alias}.live_photo_id IN ({members}))"));
            for _ in 0..2 {
                values.push(self.space_id.into());
                values.extend(more.iter().cloned());
            }
        } else if let Some(album) = self.album {
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
    if let Some((narrowed, more)) = matching(filter) {
        sql.push_str(&format!(" AND {narrowed}"));
        values.extend(more);
    }
    (sql, values)
}

/// SQL conditions over the item alias `i`, each self-contained, with their values in order.
#[derive(Default)]
struct Conditions {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl Conditions {
    fn push(&mut self, sql: String, values: impl IntoIterator<Item = Value>) {
        self.parts.push(sql);
        self.values.extend(values);
    }

    /// `column IN (…)`, for a non-empty list.
    fn one_of(&mut self, column: &str, items: Vec<Value>) {
        if !items.is_empty() {
            self.push(format!("{column} IN ({})", marks(items.len())), items);
        }
    }

    /// All of them (AND) or any one (OR), in parentheses; None when there are none.
    fn joined(self, any: bool) -> Option<(String, Vec<Value>)> {
        (!self.parts.is_empty())
            .then(|| (format!("({})", self.parts.join(if any { " OR " } else { " AND " })), self.values))
    }
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// What a filter asks of an item, as one parenthesised condition: the ids, the album, a conditional album's
/// stored query and its folders always, then the other conditions, all or any of them (`ItemQuery::any`).
pub(super) fn matching(filter: &ItemQuery) -> Option<(String, Vec<Value>)> {
    let mut always = Conditions::default();
    if let Some(ids) = &filter.ids {
        always.push(format!("i.id IN ({})", marks(ids.len())), ids.iter().map(|&i| Value::from(i)));
    }
    if let Some(album) = filter.album_id {
        always.push("i.id IN (SELECT item_id FROM album_item WHERE album_id = ?)".into(), [album.into()]);
    }
    if let Some((stored, values)) = filter.within.as_deref().and_then(matching) {
        always.push(stored, values);
    }
    // The folders are where a condition album looks, not one of its conditions: with `any`, the conditions
    // are joined inside them.
    in_folders(filter, &mut always);
    if let Some((conditions, values)) = conditions(filter).joined(filter.any) {
        always.push(conditions, values);
    }
    always.joined(false)
}

/// A conditional album's source: the items of some folders, or of those folders and every folder under them.
fn in_folders(filter: &ItemQuery, c: &mut Conditions) {
    if !filter.folder_ids.is_empty() {
        let list = Value::Text(serde_json::to_string(&filter.folder_ids).unwrap_or_else(|_| "[]".into()));
        if filter.subfolders {
            // A folder and every folder under it: the same path, or the path and a slash before the rest.
            c.push(
                "i.folder_id IN (SELECT f.id FROM folder f JOIN folder top ON top.space_id = f.space_id
                                 WHERE top.id IN (SELECT value FROM json_each(?))
                                   AND (f.id = top.id OR top.path = ''
                                        OR substr(f.path, 1, length(top.path) + 1) = top.path || '/'))"
                    .into(),
                [list],
            );
        } else {
            c.push("i.folder_id IN (SELECT value FROM json_each(?))".into(), [list]);
        }
    }
}

/// The conditions a filter combines with `any` or all.
fn conditions(filter: &ItemQuery) -> Conditions {
    let mut c = Conditions::default();
    c.one_of("i.type", filter.types.iter().map(|t| t.clone().into()).collect());
    c.one_of("coalesce(i.rating, 0)", filter.ratings.iter().map(|&r| r.into()).collect());
    if let Some(folder) = filter.folder_id {
        c.push("i.folder_id = ?".into(), [folder.into()]);
    }
    match (filter.start_time, filter.end_time) {
        (Some(start), Some(end)) => c.push("i.taken_ts >= ? AND i.taken_ts < ?".into(), [start.into(), end.into()]),
        (Some(start), None) => c.push("i.taken_ts >= ?".into(), [start.into()]),
        (None, Some(end)) => c.push("i.taken_ts < ?".into(), [end.into()]),
        (None, None) => {}
    }
    if !filter.time_ranges.is_empty() {
        let mut ranges = Conditions::default();
        for range in &filter.time_ranges {
            let start = range.start.unwrap_or(i64::MIN);
            let end = range.end.unwrap_or(i64::MAX);
            ranges.push("(i.taken_ts >= ? AND i.taken_ts < ?)".into(), [start.into(), end.into()]);
        }
        if let Some((sql, values)) = ranges.joined(true) {
            c.push(sql, values);
        }
    }
    if let Some(days) = filter.recent_days {
        // taken_ts is the local time of the photo read as UTC: so is the cut-off.
        c.push("i.taken_ts >= CAST(strftime('%s', 'now', 'localtime') AS INTEGER) - 86400 * ?".into(), [days.into()]);
    }
    keyword(filter, &mut c);
    if let Some(text) = &filter.name_or_description {
        let mut words = Conditions::default();
        for word in text.split_whitespace() {
            let like = Value::from(contains_pattern(word));
            words.push(
                "(i.filename LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\')".into(),
                [like.clone(), like],
            );
        }
        if let Some((sql, values)) = words.joined(false) {
            c.push(sql, values);
        }
    }
    for (facet, wanted) in &filter.facets {
        c.one_of(facet_expression(*facet), wanted.iter().map(|v| Value::from(v.clone())).collect());
    }
    for (facet, range) in &filter.facet_ranges {
        if let Some(column) = facet_number(*facet) {
            let (min, max) = (range.min.unwrap_or(f64::MIN), range.max.unwrap_or(f64::MAX));
            c.push(format!("i.{column} BETWEEN ? AND ?"), [min.into(), max.into()]);
        }
    }
    if !filter.tag_ids.is_empty() {
        let need = if filter.all_tags { filter.tag_ids.len() } else { 1 };
        c.push(
            format!(
                "(SELECT count(*) FROM item_tag t WHERE t.item_id = i.id AND t.tag_id IN ({})) >= {need}",
                marks(filter.tag_ids.len())
            ),
            filter.tag_ids.iter().map(|&t| Value::from(t)),
        );
    }
    if !filter.person_ids.is_empty() {
        c.push(
            format!("i.id IN (SELECT item_id FROM face WHERE person_id IN ({}))", marks(filter.person_ids.len())),
            filter.person_ids.iter().map(|&p| Value::from(p)),
        );
    }
    if !filter.place_ids.is_empty() {
        let list = serde_json::to_string(&filter.place_ids).unwrap_or_else(|_| "[]".into());
        c.push(
            "i.place_id IN (SELECT x.id FROM place x, json_each(?) w
                            WHERE w.value IN (x.l1, x.l2, x.l3, x.l4, x.l5))"
                .into(),
            [Value::Text(list)],
        );
    }
    if !filter.concept_ids.is_empty() {
        c.push(
            format!(
                "i.id IN (SELECT item_id FROM item_concept WHERE concept_id IN ({}) AND hidden = 0)",
                marks(filter.concept_ids.len())
            ),
            filter.concept_ids.iter().map(|&c| Value::from(c)),
        );
    }
    if let Some(area) = filter.area {
        let across = if area.west <= area.east { "AND" } else { "OR" };
        c.push(
            format!("(i.latitude BETWEEN ? AND ? AND (i.longitude >= ? {across} i.longitude <= ?))"),
            [area.south.into(), area.north.into(), area.west.into(), area.east.into()],
        );
    }
    c
}

/// The keyword's words, each anywhere (file name, description, tags, folder path, persons, places), or one of the
/// subjects the whole keyword means.
fn keyword(filter: &ItemQuery, c: &mut Conditions) {
    let mut words = Conditions::default();
    for word in filter.keyword.iter().flat_map(|k| k.split_whitespace()) {
        words.push(
            "(i.filename LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\'
                   OR EXISTS (SELECT 1 FROM item_tag it JOIN tag t ON t.id = it.tag_id
                              WHERE it.item_id = i.id AND t.name LIKE ? ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM folder f WHERE f.id = i.folder_id AND f.path LIKE ? ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM face fc JOIN person pn ON pn.id = fc.person_id
                              WHERE fc.item_id = i.id AND pn.hidden = 0 AND pn.name LIKE ? ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM place x JOIN place pl ON pl.id IN (x.l1, x.l2, x.l3, x.l4, x.l5)
                              WHERE x.id = i.place_id AND pl.name LIKE ? ESCAPE '\\'))"
                .into(),
            std::iter::repeat_n(Value::from(contains_pattern(word)), 6),
        );
    }
    let Some((all_words, values)) = words.joined(false) else { return };
    if filter.keyword_concepts.is_empty() {
        c.push(all_words, values);
    } else {
        let subjects = filter.keyword_concepts.iter().map(|&c| Value::from(c));
        c.push(
            format!(
                "({all_words} OR i.id IN (SELECT item_id FROM item_concept WHERE concept_id IN ({}) AND hidden = 0))",
                marks(filter.keyword_concepts.len())
            ),
            values.into_iter().chain(subjects),
        );
    }
}

/// The column of a numeric facet, for ranges; None for text ones (camera, lens).
fn facet_number(facet: Facet) -> Option<&'static str> {
    match facet {
        Facet::Iso => Some("iso"),
        Facet::Aperture => Some("f_number"),
        Facet::FocalLength => Some("focal_length"),
        Facet::ExposureTime => Some("exposure_time"),
        Facet::Camera | Facet::Lens => None,
    }
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
