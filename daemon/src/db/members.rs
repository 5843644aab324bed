//! The members of condition albums, kept in memory: for each condition asked about in a space, the items it
//! matches, oldest first, read again only when a counter of the space's `library_epoch` that the condition reads
//! moved (migration 0019's triggers: items, tags, faces, subjects, folders). Any
//! page of a condition album, its count, its dates and its cover are then a slice of a list, not a test of the
//! condition on every photo of the space. A condition with a relative date ("the last 30 days") also moves with
//! the clock: its members are read again once they are a minute old.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::params_from_iter;

use super::query::{matching, where_clause, Reach};
use super::{Db, DbError};
use crate::domain::ItemQuery;

/// How many members all the kept lists may hold together (16 bytes each: 16 MB), the least recently read going
/// first; a single list longer than that is still kept, alone.
const MAX_KEPT: usize = 1_000_000;
/// How long the members of a condition on the clock stay right enough.
const CLOCK_CONDITION_TTL: Duration = Duration::from_secs(60);

/// The items a condition matches in one space, as read at `epoch`.
pub struct Members {
    epoch: i64,
    read_at: Instant,
    /// (taken time, id), oldest first: the order albums list in.
    sorted: Vec<(i64, i64)>,
}

impl Members {
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// The ids of one page, in date order, newest first when `descending`.
    pub fn page(&self, descending: bool, offset: i64, limit: i64) -> Vec<i64> {
        let (offset, limit) = (offset.max(0) as usize, limit.max(0) as usize);
        match descending {
            true => self.sorted.iter().rev().skip(offset).take(limit).map(|m| m.1).collect(),
            false => self.sorted.iter().skip(offset).take(limit).map(|m| m.1).collect(),
        }
    }

    /// The taken times of the oldest and newest member, and the newest one's id (the cover).
    pub fn span(&self) -> Option<(i64, i64, i64)> {
        Some((self.sorted.first()?.0, self.sorted.last()?.0, self.sorted.last()?.1))
    }
}

struct Kept {
    members: Arc<Members>,
    /// When it was last read, in `Lists::clock` ticks.
    used: u64,
}

/// The kept lists, per (space, condition as JSON), and a clock that ticks at each read.
#[derive(Default)]
struct Lists {
    clock: u64,
    by_condition: HashMap<(i64, String), Kept>,
}

/// The members of every condition read lately.
#[derive(Default)]
pub struct MemberCache {
    lists: Mutex<Lists>,
}

impl MemberCache {
    fn get(&self, key: &(i64, String), epoch: i64, on_clock: bool) -> Option<Arc<Members>> {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists.clock += 1;
        let tick = lists.clock;
        let entry = lists.by_condition.get_mut(key)?;
        let stale = entry.members.epoch != epoch || (on_clock && entry.members.read_at.elapsed() > CLOCK_CONDITION_TTL);
        if stale {
            return None;
        }
        entry.used = tick;
        Some(entry.members.clone())
    }

    fn put(&self, key: (i64, String), members: Arc<Members>) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists.clock += 1;
        let used = lists.clock;
        lists.by_condition.insert(key, Kept { members, used });
        while lists.by_condition.len() > 1
            && lists.by_condition.values().map(|k| k.members.len()).sum::<usize>() > MAX_KEPT
        {
            let oldest = lists.by_condition.iter().min_by_key(|(_, k)| k.used).map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                lists.by_condition.remove(&oldest);
            }
        }
    }
}

/// Whether a query's matches depend on when it runs.
fn on_clock(query: &ItemQuery) -> bool {
    query.recent_days.is_some() || query.within.as_deref().is_some_and(on_clock)
}

/// The counters of `library_epoch` whose sum moves whenever what `query` matches may have: always the items', and
/// those of the tables its conditions read (a keyword reads tag, person, folder and place names).
fn counters(query: &ItemQuery) -> String {
    fn add(query: &ItemQuery, read: &mut [bool; 4]) {
        let words = query.keyword.is_some();
        read[0] |= !query.tag_ids.is_empty() || words;
        read[1] |= !query.person_ids.is_empty() || words;
        read[2] |= !query.concept_ids.is_empty() || !query.keyword_concepts.is_empty();
        read[3] |= (query.subfolders && !query.folder_ids.is_empty()) || words;
        if let Some(within) = &query.within {
            add(within, read);
        }
    }
    let mut read = [false; 4];
    add(query, &mut read);
    let names = ["tags", "faces", "subjects", "folders"];
    std::iter::once("items")
        .chain(names.iter().zip(read).filter(|(_, r)| *r).map(|(n, _)| *n))
        .collect::<Vec<_>>()
        .join(" + ")
}

impl Db {
    /// The listed items of space `space_id` that `condition` matches, oldest first.
    pub(super) fn condition_members(&self, space_id: i64, condition: &ItemQuery) -> Result<Arc<Members>, DbError> {
        if matching(condition).is_none() {
            // A condition that asks nothing holds nothing (as the SQL of a link's reach has it), never the space.
            return Ok(Arc::new(Members { epoch: 0, read_at: Instant::now(), sorted: Vec::new() }));
        }
        let key = (space_id, serde_json::to_string(condition).unwrap_or_default());
        let epoch: i64 = {
            let conn = self.read();
            let sum = counters(condition);
            let mut stmt =
                conn.prepare_cached(&format!("SELECT coalesce(max({sum}), 0) FROM library_epoch WHERE space_id = ?1"))?;
            stmt.query_row([space_id], |r| r.get(0))?
        };
        if let Some(members) = self.members.get(&key, epoch, on_clock(condition)) {
            return Ok(members);
        }
        // Read after the epoch: a change in between moves the epoch again, and the next request reads again.
        let (clause, values) = where_clause(&Reach::whole(space_id), condition);
        let sorted = {
            let conn = self.read();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT i.taken_ts, i.id FROM item i WHERE {clause} ORDER BY i.taken_ts, i.id"
            ))?;
            let rows = stmt.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<Vec<(i64, i64)>, _>>()?
        };
        let members = Arc::new(Members { epoch, read_at: Instant::now(), sorted });
        self.members.put(key, members.clone());
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SpaceKind;
    use crate::media::Reading;

    /// Every kind of change a condition can ask about reaches the kept members at once; the background stages'
    /// own writes (thumbnails) leave them be.
    #[test]
    fn kept_members_follow_every_change_a_condition_reads() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let space = db.ensure_space(SpaceKind::Personal, Some((1000, "ann")), "/home/ann/Photos", true).unwrap();
        let other = db.ensure_space(SpaceKind::Personal, Some((1001, "bob")), "/home/bob/Photos", true).unwrap();
        let ids: Vec<i64> = ["trip/a.jpg", "trip/b.jpg", "c.jpg"]
            .iter()
            .map(|path| db.upsert_item(space.id, path, 1, &Reading { size: 1, ..Reading::default() }).unwrap().id())
            .collect();
        let sql = |statement: &str, id: i64| db.lock().execute(statement, [id]).unwrap();
        for (n, &id) in ids.iter().enumerate() {
            sql(&format!("UPDATE item SET taken_ts = {} WHERE id = ?1", 1000 * (n + 1)), id);
        }
        let members = |condition: ItemQuery| -> Vec<i64> {
            let filter = ItemQuery { within: Some(Box::new(condition)), ..ItemQuery::default() };
            let reach = Reach::whole(space.id);
            let listed = db.list_items(&reach, &filter, super::super::ItemSort::TakenTime, false, 0, 100).unwrap();
            assert_eq!(db.count_items(&reach, &filter).unwrap(), listed.len() as i64, "count and list agree");
            listed.iter().map(|i| i.id).collect()
        };
        let rated = ItemQuery { ratings: vec![5], ..ItemQuery::default() };
        assert_eq!(members(rated.clone()), Vec::<i64>::new());
        sql("UPDATE item SET rating = 5 WHERE id = ?1", ids[2]);
        sql("UPDATE item SET rating = 5 WHERE id = ?1", ids[0]);
        assert_eq!(members(rated.clone()), vec![ids[0], ids[2]], "oldest first");
        let epoch = |space: i64| -> i64 {
            let sum = "items + tags + faces + subjects + folders";
            let sql = format!("SELECT coalesce(max({sum}), 0) FROM library_epoch WHERE space_id = ?1");
            db.lock().query_row(&sql, [space], |r| r.get(0)).unwrap()
        };
        let before = epoch(space.id);
        sql("UPDATE item SET thumb_state = 'ready', thumb_hash = 'x' WHERE id = ?1", ids[0]);
        assert_eq!(epoch(space.id), before, "a thumbnail is no change to a condition");
        sql("UPDATE item SET state = 'missing' WHERE id = ?1", ids[0]);
        assert_eq!(members(rated.clone()), vec![ids[2]], "a missing file leaves");
        sql(&format!("UPDATE item SET space_id = {} WHERE id = ?1", other.id), ids[2]);
        assert_eq!(members(rated), Vec::<i64>::new(), "an item moved to another space leaves");

        let tag = db.ensure_tag(space.id, "beach").unwrap();
        let tagged = ItemQuery { tag_ids: vec![tag], ..ItemQuery::default() };
        assert_eq!(members(tagged.clone()), Vec::<i64>::new());
        db.add_user_tags(&[ids[1]], &[tag]).unwrap();
        assert_eq!(members(tagged.clone()), vec![ids[1]]);
        db.remove_tags(&[ids[1]], &[tag]).unwrap();
        assert_eq!(members(tagged), Vec::<i64>::new());
        let named = ItemQuery { keyword: Some("sea".into()), ..ItemQuery::default() };
        db.add_user_tags(&[ids[1]], &[tag]).unwrap();
        assert_eq!(members(named.clone()), Vec::<i64>::new());
        sql("UPDATE tag SET name = 'seaside' WHERE id = ?1", tag);
        assert_eq!(members(named), vec![ids[1]], "a renamed tag");

        sql(
            "INSERT INTO face (item_id, space_id, x, y, width, height, landmarks, score, size_px, embedding)
             SELECT id, space_id, 0, 0, 1, 1, '[]', 1, 100, x'' FROM item WHERE id = ?1",
            ids[1],
        );
        let face: i64 = db.lock().query_row("SELECT max(id) FROM face", [], |r| r.get(0)).unwrap();
        let person = db.start_person(space.id, &[face]).unwrap();
        let with_person = ItemQuery { person_ids: vec![person], ..ItemQuery::default() };
        assert_eq!(members(with_person.clone()), vec![ids[1]], "a face given a person");
        sql("UPDATE face SET person_id = NULL WHERE id = ?1", face);
        assert_eq!(members(with_person), Vec::<i64>::new(), "and taken from it");

        db.lock().execute("INSERT INTO concept (name) VALUES ('test-dog')", []).unwrap();
        let dog: i64 = db.lock().query_row("SELECT id FROM concept WHERE name = 'test-dog'", [], |r| r.get(0)).unwrap();
        let dogs = ItemQuery { concept_ids: vec![dog], ..ItemQuery::default() };
        let rated = ItemQuery { ratings: vec![5], ..ItemQuery::default() };
        let kept = db.condition_members(space.id, &rated).unwrap();
        sql(&format!("INSERT INTO item_concept (item_id, concept_id, score) VALUES (?1, {dog}, 0.9)"), ids[1]);
        assert_eq!(members(dogs.clone()), vec![ids[1]], "a subject found");
        let still = db.condition_members(space.id, &rated).unwrap();
        assert!(Arc::ptr_eq(&kept, &still), "a subject found is no change to an album by rating: its list is kept");
        sql(&format!("UPDATE item_concept SET hidden = 1 WHERE item_id = ?1 AND concept_id = {dog}"), ids[1]);
        assert_eq!(members(dogs), Vec::<i64>::new(), "a subject hidden");

        let trip: i64 =
            db.lock().query_row("SELECT folder_id FROM item WHERE id = ?1", [ids[1]], |r| r.get(0)).unwrap();
        let in_trip = ItemQuery { keyword: Some("holiday".into()), ..ItemQuery::default() };
        assert_eq!(members(in_trip.clone()), Vec::<i64>::new());
        sql("UPDATE folder SET path = 'holiday', name = 'holiday' WHERE id = ?1", trip);
        assert_eq!(members(in_trip), vec![ids[1]], "a renamed folder");
    }
}
