//! Read queries behind browsing: items of a space (by folder, time range, type, rating, tag), their tags, and
//! the folders of a space. Missing files and the video halves of Live Photos are never listed: a Live Photo is
//! one item, as in Synology Photos.

use std::sync::Arc;

use rusqlite::{params_from_iter, types::Value, OptionalExtension, Row};

use super::{Db, DbError};

/// The part of a space one caller may see: all of it, or only the items of some of its folders (the Shared
/// Space's folder permissions). Every list and aggregate of items takes one, so none can forget it.
#[derive(Debug, Clone)]
pub struct Reach {
    pub space_id: i64,
    /// When set, the only folders whose items show, as a JSON array (read by `json_each`, so that a long list
    /// costs one parameter).
    folders: Option<Arc<str>>,
}

impl Reach {
    pub fn whole(space_id: i64) -> Reach {
        Reach { space_id, folders: None }
    }

    pub fn folders(space_id: i64, ids: &[i64]) -> Reach {
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        Reach { space_id, folders: Some(list.into()) }
    }

    pub fn is_whole(&self) -> bool {
        self.folders.is_none()
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
        (sql, values)
    }
}

/// What an item list may be narrowed to. Every field is optional; all given ones apply.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub ids: Option<Vec<i64>>,
    pub folder_id: Option<i64>,
    /// Items of this album (the caller's ownership of it is checked before).
    pub album_id: Option<i64>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub types: Vec<String>,
    pub ratings: Vec<i64>,
    pub tag_ids: Vec<i64>,
    /// All tags must match, instead of any.
    pub all_tags: bool,
    /// Words to find in the file name, description, tags or folder path (all of them, anywhere).
    pub keyword: Option<String>,
    /// Items whose facet value is one of these (camera, lens, ISO...).
    pub facets: Vec<(super::timeline::Facet, Vec<String>)>,
}

impl ItemFilter {
    /// Whether any field narrows the list. Destructured, so that a new field cannot be forgotten here.
    pub fn narrows(&self) -> bool {
        let ItemFilter {
            ids,
            folder_id,
            album_id,
            start_time,
            end_time,
            types,
            ratings,
            tag_ids,
            all_tags: _,
            keyword,
            facets,
        } = self;
        ids.is_some()
            || folder_id.is_some()
            || album_id.is_some()
            || start_time.is_some()
            || end_time.is_some()
            || !types.is_empty()
            || !ratings.is_empty()
            || !tag_ids.is_empty()
            || keyword.is_some()
            || !facets.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSort {
    TakenTime,
    Filename,
    Filesize,
    ItemType,
    AddedTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub id: i64,
    pub space_id: i64,
    pub folder_id: i64,
    pub filename: String,
    pub size: i64,
    pub kind: String,
    pub mime: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub orientation: Option<i64>,
    pub taken_ts: i64,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens: Option<String>,
    pub focal_length: Option<f64>,
    pub exposure_time: Option<f64>,
    pub f_number: Option<f64>,
    pub iso: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub duration: Option<f64>,
    pub rotation: Option<i64>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub frame_rate: Option<f64>,
    pub bitrate: Option<i64>,
    pub description: Option<String>,
    pub rating: Option<i64>,
    pub indexed_at: i64,
    pub added_at: i64,
    pub thumb_state: String,
    pub thumb_hash: Option<String>,
    pub video_state: Option<String>,
}

const ITEM_COLUMNS: &str = "i.id, i.space_id, i.folder_id, i.filename, i.size, i.type, i.mime, i.width, i.height,
    i.orientation, i.taken_ts, i.make, i.model, i.lens, i.focal_length, i.exposure_time, i.f_number, i.iso,
    i.latitude, i.longitude, i.duration, i.rotation, i.video_codec, i.audio_codec, i.frame_rate, i.bitrate,
    i.description, i.rating, i.indexed_at, i.added_at, i.thumb_state, i.thumb_hash, i.video_state";

fn item_row(r: &Row) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: r.get(0)?,
        space_id: r.get(1)?,
        folder_id: r.get(2)?,
        filename: r.get(3)?,
        size: r.get(4)?,
        kind: r.get(5)?,
        mime: r.get(6)?,
        width: r.get(7)?,
        height: r.get(8)?,
        orientation: r.get(9)?,
        taken_ts: r.get(10)?,
        make: r.get(11)?,
        model: r.get(12)?,
        lens: r.get(13)?,
        focal_length: r.get(14)?,
        exposure_time: r.get(15)?,
        f_number: r.get(16)?,
        iso: r.get(17)?,
        latitude: r.get(18)?,
        longitude: r.get(19)?,
        duration: r.get(20)?,
        rotation: r.get(21)?,
        video_codec: r.get(22)?,
        audio_codec: r.get(23)?,
        frame_rate: r.get(24)?,
        bitrate: r.get(25)?,
        description: r.get(26)?,
        rating: r.get(27)?,
        indexed_at: r.get(28)?,
        added_at: r.get(29)?,
        thumb_state: r.get(30)?,
        thumb_hash: r.get(31)?,
        video_state: r.get(32)?,
    })
}

/// The WHERE clause and its values for what a caller sees of a space, narrowed by a filter.
pub(crate) fn where_clause(reach: &Reach, filter: &ItemFilter) -> (String, Vec<Value>) {
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
    for word in filter.keyword.iter().flat_map(|k| k.split_whitespace()) {
        let like = format!("%{}%", word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        sql.push_str(
            " AND (i.filename LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\'
                   OR EXISTS (SELECT 1 FROM item_tag it JOIN tag t ON t.id = it.tag_id
                              WHERE it.item_id = i.id AND t.name LIKE ? ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM folder f WHERE f.id = i.folder_id AND f.path LIKE ? ESCAPE '\\'))",
        );
        values.extend(std::iter::repeat_n(Value::from(like), 4));
    }
    for (facet, wanted) in &filter.facets {
        let marks = vec!["?"; wanted.len()].join(",");
        sql.push_str(&format!(" AND {} IN ({marks})", facet.expression()));
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
    (sql, values)
}

impl Db {
    pub fn list_items(
        &self,
        reach: &Reach,
        filter: &ItemFilter,
        sort: ItemSort,
        descending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ItemRow>, DbError> {
        let (mut clause, mut values) = where_clause(reach, filter);
        let mut offset = offset;
        // Deep pages of a whole space by date: start from the day the page falls in (see `seek_by_day`).
        let whole_space = reach.is_whole() && !filter.narrows();
        if sort == ItemSort::TakenTime && whole_space && offset > 1000 {
            if let Some((bound, rest)) = self.seek_by_day(reach.space_id, descending, offset)? {
                clause.push_str(if descending { " AND i.taken_ts < ?" } else { " AND i.taken_ts >= ?" });
                values.push(bound.into());
                offset = rest;
            }
        }
        let direction = if descending { "DESC" } else { "ASC" };
        let order = match sort {
            ItemSort::TakenTime => format!("i.taken_ts {direction}, i.id {direction}"),
            ItemSort::Filename => format!("i.filename COLLATE NOCASE {direction}, i.id {direction}"),
            ItemSort::Filesize => format!("i.size {direction}, i.id {direction}"),
            ItemSort::ItemType => format!("i.type {direction}, i.taken_ts {direction}, i.id {direction}"),
            ItemSort::AddedTime => format!("i.added_at {direction}, i.id {direction}"),
        };
        values.push(limit.into());
        values.push(offset.into());
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM item i WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?"
        ))?;
        let rows = stmt.query_map(params_from_iter(values), item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn count_items(&self, reach: &Reach, filter: &ItemFilter) -> Result<i64, DbError> {
        let (clause, values) = where_clause(reach, filter);
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!("SELECT count(*) FROM item i WHERE {clause}"))?;
        Ok(stmt.query_row(params_from_iter(values), |r| r.get(0))?)
    }

    /// One item, whatever its space (the caller checks access with `space_id`).
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>, DbError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM item i WHERE i.id = ?1 AND i.state <> 'missing'"))?;
        Ok(stmt.query_row([id], item_row).optional()?)
    }

    /// Tags of each item: (item id, tag id, tag name).
    pub fn tags_of(&self, item_ids: &[i64]) -> Result<Vec<(i64, i64, String)>, DbError> {
        if item_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; item_ids.len()].join(",");
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT it.item_id, t.id, t.name FROM item_tag it JOIN tag t ON t.id = it.tag_id
             WHERE it.item_id IN ({marks}) ORDER BY t.name"
        ))?;
        let rows = stmt.query_map(params_from_iter(item_ids.iter()), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Where an item's file is: the space root, the folder path in it, and the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFile {
    pub root: String,
    pub folder: String,
    pub filename: String,
    pub mime: Option<String>,
}

impl Db {
    pub fn item_file(&self, id: i64) -> Result<Option<ItemFile>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT s.root, f.path, i.filename, i.mime FROM item i JOIN folder f ON f.id = i.folder_id
             JOIN space s ON s.id = i.space_id WHERE i.id = ?1",
        )?;
        Ok(stmt
            .query_row([id], |r| {
                Ok(ItemFile { root: r.get(0)?, folder: r.get(1)?, filename: r.get(2)?, mime: r.get(3)? })
            })
            .optional()?)
    }

    /// Every file the reach shows under a folder (itself and all subfolders), as (folder path, file name), by
    /// path. Live Photo videos come along with their photos.
    pub fn files_under(&self, reach: &Reach, folder_path: &str) -> Result<Vec<(String, String)>, DbError> {
        let conn = self.lock();
        let prefix = if folder_path.is_empty() { String::new() } else { format!("{folder_path}/") };
        let (clause, mut values) = reach.files_clause("i");
        values.push(folder_path.to_string().into());
        values.push(prefix.clone().into());
        values.push(prefix.into());
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT f.path, i.filename FROM item i JOIN folder f ON f.id = i.folder_id
             WHERE {clause} AND (f.path = ? OR substr(f.path, 1, length(?)) = ?)
             ORDER BY f.path, i.filename"
        ))?;
        let rows = stmt.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Db {
    pub fn item_id_by_path(&self, space_id: i64, folder: &str, filename: &str) -> Result<Option<i64>, DbError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT i.id FROM item i JOIN folder f ON f.id = i.folder_id
                 WHERE f.space_id = ?1 AND f.path = ?2 AND i.filename = ?3",
                rusqlite::params![space_id, folder, filename],
                |r| r.get(0),
            )
            .optional()?)
    }
}

impl Db {
    /// A file the reach holds already: one with this content hash (BLAKE3, hex) when given, else one with this
    /// name and size. For clients that back up a phone and skip what is there.
    pub fn existing_file(
        &self,
        reach: &Reach,
        hash: Option<&str>,
        name: &str,
        size: i64,
    ) -> Result<Option<i64>, DbError> {
        let (clause, mut values) = reach.files_clause("i");
        let test = match hash {
            Some(hash) => {
                values.push(hash.to_ascii_lowercase().into());
                "i.hash = ?"
            }
            None => {
                values.extend([Value::from(name.to_string()), Value::from(size)]);
                "i.filename = ? AND i.size = ?"
            }
        };
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!("SELECT i.id FROM item i WHERE {clause} AND {test} LIMIT 1"))?;
        Ok(stmt.query_row(params_from_iter(values), |r| r.get(0)).optional()?)
    }

    /// The video half of a Live Photo.
    pub fn live_video_of(&self, photo_id: i64) -> Result<Option<i64>, DbError> {
        Ok(self
            .lock()
            .query_row("SELECT id FROM item WHERE live_photo_id = ?1 AND state <> 'missing'", [photo_id], |r| r.get(0))
            .optional()?)
    }
}
