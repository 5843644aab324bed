//! Read queries behind browsing: items of a space (by folder, time range, type, rating, tag), their tags, and
//! the folders of a space. Missing files and the video halves of Live Photos are never listed: a Live Photo is
//! one item, as in Synology Photos.

use rusqlite::{params_from_iter, types::Value, OptionalExtension, Row};

use super::query::{where_clause, Reach};
use super::{Db, DbError};
use crate::domain::ItemQuery;

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
    /// The deepest place of its position (`geocoding_id`).
    pub place_id: Option<i64>,
}

const ITEM_COLUMNS: &str = "i.id, i.space_id, i.folder_id, i.filename, i.size, i.type, i.mime, i.width, i.height,
    i.orientation, i.taken_ts, i.make, i.model, i.lens, i.focal_length, i.exposure_time, i.f_number, i.iso,
    i.latitude, i.longitude, i.duration, i.rotation, i.video_codec, i.audio_codec, i.frame_rate, i.bitrate,
    i.description, i.rating, i.indexed_at, i.added_at, i.thumb_state, i.thumb_hash, i.video_state, i.place_id";

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
        place_id: r.get(33)?,
    })
}

/// The statement behind `count_items`, and its values.
pub(super) fn count_items_sql(reach: &Reach, filter: &ItemQuery) -> (String, Vec<Value>) {
    let (clause, values) = where_clause(reach, filter);
    (format!("SELECT count(*) FROM item i WHERE {clause}"), values)
}

impl Db {
    pub fn list_items(
        &self,
        reach: &Reach,
        filter: &ItemQuery,
        sort: ItemSort,
        descending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ItemRow>, DbError> {
        if let (ItemSort::TakenTime, Some(condition)) = (sort, reach.only_condition_album(filter)) {
            // A condition album by date: a page of its kept members, then those rows by id.
            let page = self.condition_members(reach.space_id, condition)?.page(descending, offset, limit);
            let by_id = ItemQuery { ids: Some(page), ..ItemQuery::default() };
            return self.list_items(&Reach::whole(reach.space_id), &by_id, sort, descending, 0, limit);
        }
        let (sql, values) = self.list_items_sql(reach, filter, sort, descending, offset, limit)?;
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The statement behind `list_items`, and its values.
    pub(super) fn list_items_sql(
        &self,
        reach: &Reach,
        filter: &ItemQuery,
        sort: ItemSort,
        descending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(String, Vec<Value>), DbError> {
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
        Ok((format!("SELECT {ITEM_COLUMNS} FROM item i WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?"), values))
    }

    pub fn count_items(&self, reach: &Reach, filter: &ItemQuery) -> Result<i64, DbError> {
        if let Some(condition) = reach.only_condition_album(filter) {
            return Ok(self.condition_members(reach.space_id, condition)?.len() as i64);
        }
        let (sql, values) = count_items_sql(reach, filter);
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_row(params_from_iter(values), |r| r.get(0))?)
    }

    /// One item, whatever its space (the caller checks access with `space_id`).
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>, DbError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM item i WHERE i.id = ?1 AND i.state <> 'missing'"))?;
        Ok(stmt.query_row([id], item_row).optional()?)
    }

    /// Whether the file `id` (an item, or the video half of a Live Photo) is in `reach`.
    pub fn in_reach(&self, reach: &Reach, id: i64) -> Result<bool, DbError> {
        let (clause, mut values) = reach.files_clause("i");
        values.push(id.into());
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT count(*) > 0 FROM item i WHERE {clause} AND i.id = ?"))?;
        Ok(stmt.query_row(params_from_iter(values), |r| r.get(0))?)
    }

    /// Tags of each item: (item id, tag id, tag name).
    pub fn tags_of(&self, item_ids: &[i64]) -> Result<Vec<(i64, i64, String)>, DbError> {
        if item_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; item_ids.len()].join(",");
        let conn = self.read();
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
        let conn = self.read();
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
        let conn = self.read();
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
        let conn = self.read();
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
