//! Places: the tree of places (country, state, county, city, district) that items with a position are in (migration
//! 0015), what the geocode stage has left to place, and the places a caller's items are in, with their counts and
//! covers. A place row is only a name: every count is of the items the caller's `Reach` lets them see.

use std::collections::HashMap;

use rusqlite::{params, params_from_iter, types::Value, OptionalExtension, Transaction};

use super::query::{where_clause, Reach};
use super::{Db, DbError};
use crate::domain::{Address, ItemQuery};

/// A place with the names of its path, as items' `address` and the Geocoding API show them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlaceRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub level: i64,
    pub name: String,
    pub country_code: String,
    /// (id, name) of the place at each level of the path: country, state, county, city, district.
    pub path: [Option<(i64, String)>; 5],
}

/// A place with how many of the caller's items are in it, and the newest of them for its cover.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceCount {
    pub place: PlaceRow,
    pub item_count: i64,
    pub cover_item: i64,
}

/// Which places a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceList {
    /// The deepest place of each item (a city, or the region or country when that is all there is), as
    /// Synology's Geocoding `list` has it.
    Leaves,
    /// The children of a place (`None`: the countries), with the items anywhere below each.
    Children(Option<i64>),
}

const PLACE_COLUMNS: &str = "p.id, p.parent_id, p.level, p.name, p.country_code, p.l1, p.l2, p.l3, p.l4, p.l5";
/// The deepest level: a city's district.
const LEVELS: i64 = 5;

impl Db {
    /// Up to `limit` items of a space with a position and no place yet, after item `after`.
    pub fn unplaced(&self, space_id: i64, after: i64, limit: i64) -> Result<Vec<(i64, f64, f64)>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT id, latitude, longitude FROM item INDEXED BY item_unplaced
             WHERE space_id = ?1 AND latitude IS NOT NULL AND place_version IS NULL AND id > ?2
             ORDER BY id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![space_id, after, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The spaces with items left to place.
    pub fn spaces_with_unplaced(&self) -> Result<Vec<i64>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM space s WHERE EXISTS (SELECT 1 FROM item INDEXED BY item_unplaced
               WHERE space_id = s.id AND latitude IS NOT NULL AND place_version IS NULL)",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets the places made by another version of the data or rules, so that they are made again. Returns how
    /// many items are to be placed again.
    pub fn forget_places_not_of(&self, version: i64) -> Result<usize, DbError> {
        let conn = self.lock();
        Ok(conn.execute(
            "UPDATE item SET place_version = NULL WHERE place_version IS NOT NULL AND place_version <> ?1",
            [version],
        )?)
    }

    /// Stores the places of items (`None`: the position is in no place, at sea), made by data `version`. An item
    /// whose position changed since it was read keeps waiting for its next turn.
    pub fn set_places(&self, placed: &[(i64, f64, f64, Option<Address>)], version: i64) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut known: HashMap<(i64, i64, String), i64> = HashMap::new();
        for (item, lat, lon, path) in placed {
            let place = match path {
                Some(path) => Some(place_of_tx(&tx, path, &mut known)?),
                None => None,
            };
            tx.execute(
                "UPDATE item SET place_id = ?2, place_version = ?3 WHERE id = ?1 AND latitude = ?4 AND longitude = ?5",
                params![item, place, version, lat, lon],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// One place with its path, or `None`.
    pub fn place(&self, id: i64) -> Result<Option<PlaceRow>, DbError> {
        Ok(self.places_by_id(&[id])?.remove(&id))
    }

    /// Places with their paths, by id.
    pub fn places_by_id(&self, ids: &[i64]) -> Result<HashMap<i64, PlaceRow>, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {PLACE_COLUMNS} FROM place p WHERE p.id IN (SELECT value FROM json_each(?1))"
        ))?;
        let list = serde_json::to_string(ids).unwrap_or_default();
        let mut rows: Vec<(PlaceRow, [Option<i64>; 5])> =
            stmt.query_map([list], place_row)?.collect::<Result<_, _>>()?;
        // The names along each path, in one more statement.
        let path_ids: Vec<i64> = rows.iter().flat_map(|(_, p)| p.iter().flatten().copied()).collect();
        let mut names_stmt =
            conn.prepare_cached("SELECT id, name FROM place WHERE id IN (SELECT value FROM json_each(?1))")?;
        let names: HashMap<i64, String> = names_stmt
            .query_map([serde_json::to_string(&path_ids).unwrap_or_default()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows
            .drain(..)
            .map(|(mut row, ids)| {
                for (slot, id) in row.path.iter_mut().zip(ids) {
                    *slot = id.and_then(|id| names.get(&id).map(|n| (id, n.clone())));
                }
                (row.id, row)
            })
            .collect())
    }

    /// The places a caller's items (narrowed by `filter`) are in, with counts and covers, most items first.
    pub fn place_counts(&self, reach: &Reach, filter: &ItemQuery, list: PlaceList) -> Result<Vec<PlaceCount>, DbError> {
        let (visible, mut values) = where_clause(reach, filter);
        let (group, narrow) = match list {
            PlaceList::Leaves => ("x.id".to_string(), String::new()),
            PlaceList::Children(None) => ("x.l1".to_string(), String::new()),
            PlaceList::Children(Some(parent)) => {
                let Some(parent) = self.place(parent)? else { return Ok(Vec::new()) };
                let below: Vec<String> = ((parent.level + 1)..=LEVELS).map(|l| format!("x.l{l}")).collect();
                if below.is_empty() {
                    return Ok(Vec::new());
                }
                values.push(parent.id.into());
                (format!("coalesce({})", below.join(", ")), format!(" AND x.l{} = ?", parent.level))
            }
        };
        let sql = format!(
            "SELECT {group} AS g, count(*), max(i.id) FROM item i JOIN place x ON x.id = i.place_id
             WHERE {visible}{narrow} AND i.place_id IS NOT NULL GROUP BY g HAVING g IS NOT NULL"
        );
        let counts: Vec<(i64, i64, i64)> = {
            let conn = self.read();
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let ids: Vec<i64> = counts.iter().map(|c| c.0).collect();
        let mut places = self.places_by_id(&ids)?;
        let mut out: Vec<PlaceCount> = counts
            .into_iter()
            .filter_map(|(id, item_count, cover_item)| {
                Some(PlaceCount { place: places.remove(&id)?, item_count, cover_item })
            })
            .collect();
        out.sort_by(|a, b| b.item_count.cmp(&a.item_count).then_with(|| a.place.name.cmp(&b.place.name)));
        Ok(out)
    }

    /// Places whose name contains `text` (any level) with at least one item `reach` shows, for search
    /// suggestions.
    pub fn places_named(&self, reach: &Reach, text: &str, limit: i64) -> Result<Vec<PlaceRow>, DbError> {
        let like = super::query::contains_pattern(text);
        let (visible, mut values) = reach.clause("i");
        values.insert(0, like.into());
        values.push(limit.into());
        let ids: Vec<i64> = {
            let conn = self.read();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT p.id FROM place p WHERE p.name LIKE ? ESCAPE '\\'
                   AND EXISTS (SELECT 1 FROM item i JOIN place x ON x.id = i.place_id
                               WHERE {visible} AND p.id IN (x.l1, x.l2, x.l3, x.l4, x.l5))
                 ORDER BY p.level, p.name LIMIT ?"
            ))?;
            let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut by_id = self.places_by_id(&ids)?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Which of `ids` (places at any level) hold at least one item `reach` shows.
    pub fn places_seen(&self, reach: &Reach, ids: &[i64]) -> Result<Vec<i64>, DbError> {
        let (visible, mut values) = reach.clause("i");
        values.insert(0, Value::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())));
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT DISTINCT w.value FROM json_each(?) w
             WHERE EXISTS (SELECT 1 FROM item i JOIN place x ON x.id = i.place_id
                           WHERE {visible} AND w.value IN (x.l1, x.l2, x.l3, x.l4, x.l5))"
        ))?;
        let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn place_row(r: &rusqlite::Row) -> rusqlite::Result<(PlaceRow, [Option<i64>; 5])> {
    let row = PlaceRow {
        id: r.get(0)?,
        parent_id: r.get(1)?,
        level: r.get(2)?,
        name: r.get(3)?,
        country_code: r.get(4)?,
        path: Default::default(),
    };
    Ok((row, [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?]))
}

/// The place of a path, made with the places above it where they do not exist yet.
fn place_of_tx(tx: &Transaction, path: &Address, known: &mut HashMap<(i64, i64, String), i64>) -> Result<i64, DbError> {
    let levels =
        [Some(&path.country), path.state.as_ref(), path.county.as_ref(), path.city.as_ref(), path.district.as_ref()];
    let mut parent: Option<i64> = None;
    let mut line: [Option<i64>; 5] = [None; 5];
    for (n, name) in levels.into_iter().enumerate() {
        let Some(name) = name else { continue };
        let level = n as i64 + 1;
        let key = (parent.unwrap_or(0), level, name.clone());
        let id = match known.get(&key) {
            Some(&id) => id,
            None => {
                let found: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM place WHERE coalesce(parent_id, 0) = ?1 AND level = ?2 AND name = ?3
                           AND country_code = ?4",
                        params![key.0, level, name, path.country_code],
                        |r| r.get(0),
                    )
                    .optional()?;
                let id = match found {
                    Some(id) => id,
                    None => {
                        tx.execute(
                            "INSERT INTO place (parent_id, level, name, country_code, l1) VALUES (?1, ?2, ?3, ?4, 0)",
                            params![parent, level, name, path.country_code],
                        )?;
                        let id = tx.last_insert_rowid();
                        line[n] = Some(id);
                        let l = |i: usize| line[i].map(Value::from).unwrap_or(Value::Null);
                        let l1 = line[0].unwrap_or(id);
                        tx.execute(
                            "UPDATE place SET l1 = ?2, l2 = ?3, l3 = ?4, l4 = ?5, l5 = ?6 WHERE id = ?1",
                            params![id, l1, l(1), l(2), l(3), l(4)],
                        )?;
                        id
                    }
                };
                known.insert(key, id);
                id
            }
        };
        line[n] = Some(id);
        parent = Some(id);
    }
    parent.ok_or_else(|| DbError::Task("a place path without a country".into()))
}

impl Db {
    /// One place with the caller's items anywhere below it (`filter` narrows to it), or `None` when they see none.
    pub fn place_totals(&self, reach: &Reach, filter: &ItemQuery, id: i64) -> Result<Option<PlaceCount>, DbError> {
        let (visible, values) = where_clause(reach, filter);
        let (item_count, cover_item): (i64, Option<i64>) = {
            let conn = self.read();
            let mut stmt = conn.prepare_cached(&format!("SELECT count(*), max(i.id) FROM item i WHERE {visible}"))?;
            stmt.query_row(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?
        };
        let (Some(cover_item), Some(place)) = (cover_item, self.place(id)?) else { return Ok(None) };
        Ok(Some(PlaceCount { place, item_count, cover_item }))
    }
}

impl Db {
    /// How many items of a space have a position and no place yet.
    pub fn unplaced_count(&self, space_id: i64) -> Result<i64, DbError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT count(*) FROM item INDEXED BY item_unplaced
             WHERE space_id = ?1 AND latitude IS NOT NULL AND place_version IS NULL",
        )?;
        Ok(stmt.query_row([space_id], |r| r.get(0))?)
    }
}

impl Db {
    /// Whether an item has a position and no place yet.
    pub fn is_unplaced(&self, item_id: i64) -> Result<bool, DbError> {
        let conn = self.read();
        let mut stmt =
            conn.prepare_cached("SELECT latitude IS NOT NULL AND place_version IS NULL FROM item WHERE id = ?1")?;
        Ok(stmt.query_row([item_id], |r| r.get(0)).optional()?.unwrap_or(false))
    }
}
