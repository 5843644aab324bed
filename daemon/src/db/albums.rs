//! Albums: a user's named sets of items from their Personal Space. A normal album's membership is by item id, so
//! it keeps its photos through renames and moves; an item that is missing is not counted or listed, and comes
//! back to its albums when its file does. A conditional album stores a query instead (`domain::ItemQuery`), and
//! holds whatever matches it at the moment it is read.

use rusqlite::{params, params_from_iter, types::Value, OptionalExtension, Row};

use super::{now, Db, DbError};
use crate::domain::ItemQuery;

#[derive(Debug, Clone, PartialEq)]
pub struct AlbumRow {
    pub id: i64,
    pub owner_uid: u32,
    pub space_id: i64,
    pub name: String,
    pub created_at: i64,
    pub version: i64,
    pub item_count: i64,
    /// The taken times of its oldest and newest item (0 when empty).
    pub start_time: i64,
    pub end_time: i64,
    /// Its newest item, whose thumbnail stands for the album.
    pub cover_id: Option<i64>,
    /// A selection shared as a link: album lists leave it out.
    pub temporary: bool,
    /// A conditional album's query: its members are what matches it.
    pub condition: Option<ItemQuery>,
}

impl AlbumRow {
    /// Narrows `filter` to this album's photos: what a condition album's condition matches, a normal album's items.
    pub fn narrow(&self, filter: &mut ItemQuery) {
        match &self.condition {
            Some(condition) => filter.within = Some(Box::new(condition.clone())),
            None => filter.album_id = Some(self.id),
        }
    }
}

/// Which of a user's albums a list takes: all of them (but the temporary ones), one kind, or some by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Albums<'a> {
    All,
    Normal,
    Condition,
    Ids(&'a [i64]),
}

impl Albums<'_> {
    /// The SQL condition on `a` and its values.
    fn clause(self) -> (String, Vec<Value>) {
        match self {
            Albums::All => (" AND a.temporary = 0".into(), Vec::new()),
            Albums::Normal => (" AND a.temporary = 0 AND a.condition IS NULL".into(), Vec::new()),
            Albums::Condition => (" AND a.temporary = 0 AND a.condition IS NOT NULL".into(), Vec::new()),
            Albums::Ids(ids) => (
                format!(" AND a.id IN ({})", vec!["?"; ids.len()].join(",")),
                ids.iter().map(|&i| Value::from(i)).collect(),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlbumSort {
    Name,
    CreateTime,
    StartTime,
}

/// The items an album counts and lists: present, in the album's space, and not the video half of a Live Photo.
const LISTED: &str = "i.state <> 'missing' AND i.live_photo_id IS NULL AND i.space_id = a.space_id";

fn album_row(r: &Row) -> rusqlite::Result<AlbumRow> {
    Ok(AlbumRow {
        id: r.get(0)?,
        owner_uid: r.get(1)?,
        space_id: r.get(2)?,
        name: r.get(3)?,
        created_at: r.get(4)?,
        version: r.get(5)?,
        item_count: r.get(6)?,
        start_time: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
        end_time: r.get::<_, Option<i64>>(8)?.unwrap_or(0),
        cover_id: r.get(9)?,
        temporary: r.get(10)?,
        condition: r.get::<_, Option<String>>(11)?.map(|json| read_condition(&json)),
    })
}

impl Db {
    /// Creates an album in `space_id` for `owner_uid`, holding those of `items` that are listed items of that
    /// space; a temporary one (a selection shared as a link) stays out of album lists. Returns its id and the ids
    /// that could not be added.
    pub fn create_album(
        &self,
        owner_uid: u32,
        space_id: i64,
        name: &str,
        items: &[i64],
        temporary: bool,
    ) -> Result<(i64, Vec<i64>), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO album (owner_uid, space_id, name, created_at, temporary) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![owner_uid, space_id, name, now(), temporary],
        )?;
        let id = tx.last_insert_rowid();
        let refused = add_items_tx(&tx, id, items)?;
        tx.commit()?;
        Ok((id, refused))
    }

    /// Creates a conditional album in `space_id` for `owner_uid`: it holds what `condition` matches.
    pub fn create_condition_album(
        &self,
        owner_uid: u32,
        space_id: i64,
        name: &str,
        condition: &ItemQuery,
    ) -> Result<i64, DbError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO album (owner_uid, space_id, name, created_at, condition) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![owner_uid, space_id, name, now(), stored(condition)],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Replaces a conditional album's query.
    pub fn set_album_condition(&self, album_id: i64, condition: &ItemQuery) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE album SET condition = ?1, version = version + 1 WHERE id = ?2 AND condition IS NOT NULL",
            params![stored(condition), album_id],
        )?;
        Ok(())
    }

    /// The condition of album `album_id` when it is a condition album.
    pub fn album_condition(&self, album_id: i64) -> Result<Option<ItemQuery>, DbError> {
        let conn = self.read();
        let stored: Option<Option<String>> =
            conn.query_row("SELECT condition FROM album WHERE id = ?1", [album_id], |r| r.get(0)).optional()?;
        Ok(stored.flatten().map(|json| read_condition(&json)))
    }

    /// Adds items to an album; returns the ids that are not listed items of the album's space.
    pub fn add_album_items(&self, album_id: i64, items: &[i64]) -> Result<Vec<i64>, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let refused = add_items_tx(&tx, album_id, items)?;
        tx.execute("UPDATE album SET version = version + 1 WHERE id = ?1", [album_id])?;
        tx.commit()?;
        Ok(refused)
    }

    /// Takes items out of an album (the photos themselves stay where they are).
    pub fn remove_album_items(&self, album_id: i64, items: &[i64]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for item in items {
            tx.execute("DELETE FROM album_item WHERE album_id = ?1 AND item_id = ?2", [album_id, *item])?;
        }
        tx.execute("UPDATE album SET version = version + 1 WHERE id = ?1", [album_id])?;
        tx.commit()?;
        Ok(())
    }

    /// `owner_uid`'s albums of the space `space_id` (`which` of them), one page in the order asked for. A
    /// condition album's count, times and cover are left empty (`count_condition_albums`), unless the order is
    /// by start time.
    #[allow(clippy::too_many_arguments)]
    pub fn albums(
        &self,
        owner_uid: u32,
        space_id: i64,
        which: Albums,
        sort: AlbumSort,
        descending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<AlbumRow>, DbError> {
        if sort == AlbumSort::StartTime && which != Albums::Normal {
            // A condition album's first date is its members' (kept in memory, not in SQL): all the albums, their
            // dates filled in, sorted and paged here.
            let mut all = self.albums(owner_uid, space_id, which, AlbumSort::CreateTime, false, 0, i64::MAX)?;
            self.count_condition_albums(&mut all)?;
            all.sort_by_key(|a| (a.start_time, a.id));
            if descending {
                all.reverse();
            }
            return Ok(all.into_iter().skip(offset.max(0) as usize).take(limit.max(0) as usize).collect());
        }
        let mut values: Vec<Value> = vec![owner_uid.into(), space_id.into()];
        let (only, more) = which.clause();
        values.extend(more);
        let direction = if descending { "DESC" } else { "ASC" };
        let order = match sort {
            AlbumSort::Name => format!("a.name COLLATE NOCASE {direction}, a.id {direction}"),
            AlbumSort::CreateTime => format!("a.created_at {direction}, a.id {direction}"),
            AlbumSort::StartTime => format!("min(i.taken_ts) {direction}, a.id {direction}"),
        };
        values.extend([Value::from(limit), Value::from(offset)]);
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT a.id, a.owner_uid, a.space_id, a.name, a.created_at, a.version,
                    count(i.id), min(i.taken_ts), max(i.taken_ts),
                    (SELECT i.id FROM album_item ai JOIN item i ON i.id = ai.item_id
                     WHERE ai.album_id = a.id AND {LISTED} ORDER BY i.taken_ts DESC, i.id DESC LIMIT 1),
                    a.temporary, a.condition
             FROM album a
             LEFT JOIN album_item ai ON ai.album_id = a.id
             LEFT JOIN item i ON i.id = ai.item_id AND {LISTED}
             WHERE a.owner_uid = ? AND a.space_id = ?{only}
             GROUP BY a.id ORDER BY {order} LIMIT ? OFFSET ?"
        ))?;
        let rows = stmt.query_map(params_from_iter(values), album_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Fills in what the condition albums among `albums` hold now (count, first and last taken time, cover), in
    /// their owner's whole space: `albums` leaves them empty, since a caller that only needs the condition (a
    /// list of its items) should not pay for two passes over its members.
    pub fn count_condition_albums(&self, albums: &mut [AlbumRow]) -> Result<(), DbError> {
        for album in albums.iter_mut() {
            let Some(condition) = &album.condition else { continue };
            let members = self.condition_members(album.space_id, condition)?;
            let (start, end, cover) =
                members.span().map_or((0, 0, None), |(start, end, cover)| (start, end, Some(cover)));
            (album.item_count, album.start_time, album.end_time, album.cover_id) =
                (members.len() as i64, start, end, cover);
        }
        Ok(())
    }

    pub fn count_albums(&self, owner_uid: u32, space_id: i64, which: Albums) -> Result<i64, DbError> {
        let (only, more) = which.clause();
        let values = [Value::from(owner_uid), Value::from(space_id)].into_iter().chain(more);
        Ok(self.read().query_row(
            &format!("SELECT count(*) FROM album a WHERE a.owner_uid = ? AND a.space_id = ?{only}"),
            params_from_iter(values),
            |r| r.get(0),
        )?)
    }

    /// Deletes those of `ids` that `owner_uid` owns; their photos stay. Returns how many went.
    pub fn delete_albums(&self, owner_uid: u32, ids: &[i64]) -> Result<usize, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut deleted = 0;
        for id in ids {
            deleted += tx.execute("DELETE FROM album WHERE id = ?1 AND owner_uid = ?2", params![id, owner_uid])?;
        }
        tx.commit()?;
        Ok(deleted)
    }

    pub fn rename_album(&self, album_id: i64, name: &str) -> Result<(), DbError> {
        self.lock()
            .execute("UPDATE album SET name = ?1, version = version + 1 WHERE id = ?2", params![name, album_id])?;
        Ok(())
    }
}

/// A stored condition; one stored by another version in a shape this one cannot read matches nothing, rather
/// than all.
fn read_condition(json: &str) -> ItemQuery {
    serde_json::from_str(json).unwrap_or(ItemQuery { ids: Some(Vec::new()), ..Default::default() })
}

/// A query as the album table stores it.
fn stored(condition: &ItemQuery) -> String {
    serde_json::to_string(condition).unwrap_or_else(|_| "{}".into())
}

fn add_items_tx(tx: &rusqlite::Transaction, album_id: i64, items: &[i64]) -> Result<Vec<i64>, DbError> {
    let mut refused = Vec::new();
    let at = now();
    for &item in items {
        let added = tx.execute(
            &format!(
                "INSERT OR IGNORE INTO album_item (album_id, item_id, added_at)
                 SELECT a.id, i.id, ?3 FROM album a JOIN item i ON i.id = ?2 AND {LISTED} WHERE a.id = ?1"
            ),
            params![album_id, item, at],
        )?;
        let already: bool = tx.query_row(
            "SELECT count(*) > 0 FROM album_item WHERE album_id = ?1 AND item_id = ?2",
            [album_id, item],
            |r| r.get(0),
        )?;
        if added == 0 && !already {
            refused.push(item);
        }
    }
    Ok(refused)
}
