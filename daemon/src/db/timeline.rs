//! Aggregates for browsing: the timeline (item counts per day or month), tags with their counts, and the facets
//! of the filter panel (cameras, lenses, exposure values, years) of one space's visible items.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::query::{where_clause, Reach};
use super::{Db, DbError};
use crate::domain::{Facet, ItemQuery};

/// The statement behind `timeline`, and its values.
pub(super) fn timeline_sql(reach: &Reach) -> (String, Vec<Value>) {
    match reach.is_whole() {
        true => (
            "SELECT day, count FROM timeline_day WHERE space_id = ? AND count > 0 ORDER BY day DESC".to_string(),
            vec![reach.space_id.into()],
        ),
        false => {
            let (clause, values) = where_clause(reach, &ItemQuery::default());
            let sql = format!(
                "SELECT i.taken_ts / 86400 AS day, count(*) FROM item i WHERE {clause} GROUP BY day ORDER BY day DESC"
            );
            (sql, values)
        }
    }
}

/// The statement behind `distinct_values`, and its values.
pub(super) fn distinct_values_sql(reach: &Reach, column: Facet) -> (String, Vec<Value>) {
    let expr = super::query::facet_expression(column);
    let (clause, values) = reach.clause("i");
    let sql = format!(
        "SELECT v FROM (SELECT {expr} AS v, count(*) AS n FROM item i WHERE {clause} GROUP BY v)
         WHERE v IS NOT NULL AND v <> '' ORDER BY n DESC, v"
    );
    (sql, values)
}

/// A tag, how many items of a reach have it, and the newest of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub id: i64,
    pub name: String,
    pub item_count: i64,
    pub cover_item: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineBucket {
    pub year: i64,
    pub month: i64,
    /// 0 when grouped by month.
    pub day: i64,
    pub count: i64,
}

impl Db {
    /// Item counts per day (or month), newest first. A whole space reads the counts the triggers keep; a reach
    /// limited to some folders counts its items. The rows come in day order and are turned into dates here,
    /// which is several times cheaper than formatting them in SQL.
    pub fn timeline(&self, reach: &Reach, by_month: bool) -> Result<Vec<TimelineBucket>, DbError> {
        let conn = self.read();
        let (sql, values) = timeline_sql(reach);
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(values))?;
        let mut buckets: Vec<TimelineBucket> = Vec::new();
        while let Some(row) = rows.next()? {
            let (day, count): (i64, i64) = (row.get(0)?, row.get(1)?);
            let Ok(date) = time::OffsetDateTime::from_unix_timestamp(day * 86400) else { continue };
            let (year, month) = (i64::from(date.year()), i64::from(u8::from(date.month())));
            let day_of_month = if by_month { 0 } else { i64::from(date.day()) };
            match buckets.last_mut() {
                Some(b) if (b.year, b.month, b.day) == (year, month, day_of_month) => b.count += count,
                _ => buckets.push(TimelineBucket { year, month, day: day_of_month, count }),
            }
        }
        Ok(buckets)
    }

    /// Where page `offset` of a space sorted by date starts: the bound of the day it falls in, and how many items
    /// of that bound remain to skip. A deep page then walks one day of the index, not every item before it.
    pub(crate) fn seek_by_day(
        &self,
        space_id: i64,
        descending: bool,
        offset: i64,
    ) -> Result<Option<(i64, i64)>, DbError> {
        let conn = self.read();
        let order = if descending { "DESC" } else { "ASC" };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT day, count FROM timeline_day WHERE space_id = ?1 AND count > 0 ORDER BY day {order}"
        ))?;
        let mut rows = stmt.query([space_id])?;
        let mut before = 0i64;
        while let Some(row) = rows.next()? {
            let (day, count): (i64, i64) = (row.get(0)?, row.get(1)?);
            if before + count > offset {
                // Days before 1970 share bucket 0 with the first day (integer division truncates): plain paging.
                if day <= 0 {
                    return Ok(None);
                }
                // Descending: items on or before this day; ascending: on or after it.
                let bound = if descending { (day + 1) * 86400 } else { day * 86400 };
                return Ok(Some((bound, offset - before)));
            }
            before += count;
        }
        Ok(None)
    }

    /// Tags on visible items of the space, with how many carry each. Tags only other spaces use are not
    /// listed: their names are other people's business.
    /// The tags of what `reach` shows, by name: each with its item count and its newest item (the cover).
    pub fn tags_with_counts(&self, reach: &Reach, offset: i64, limit: i64) -> Result<Vec<TagCount>, DbError> {
        let (clause, mut values) = reach.clause("i");
        values.push(limit.into());
        values.push(offset.into());
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            // The bare i.id is the row of max(i.taken_ts): SQLite's rule for a single max().
            "SELECT t.id, t.name, count(*), max(i.taken_ts), i.id
             FROM tag t JOIN item_tag it ON it.tag_id = t.id JOIN item i ON i.id = it.item_id
             WHERE {clause} GROUP BY t.id ORDER BY t.name COLLATE NOCASE LIMIT ? OFFSET ?"
        ))?;
        let rows = stmt.query_map(params_from_iter(values), |r| {
            Ok(TagCount { id: r.get(0)?, name: r.get(1)?, item_count: r.get(2)?, cover_item: r.get(4)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Distinct non-empty values of one column among the visible items of a space, most used first.
    pub fn distinct_values(&self, reach: &Reach, column: Facet) -> Result<Vec<String>, DbError> {
        let (sql, values) = distinct_values_sql(reach, column);
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{ItemSort, SpaceKind};
    use crate::media::{Reading, Taken};

    fn reading(ts: i64) -> Reading {
        let utc = time::OffsetDateTime::from_unix_timestamp(ts).unwrap();
        let taken = Taken { local: time::PrimitiveDateTime::new(utc.date(), utc.time()), offset_minutes: None };
        Reading { size: 1, taken: Some(taken), ..Reading::default() }
    }

    #[test]
    fn deep_pages_and_day_counts_agree_with_a_full_sort() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let space = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap();
        let mut expected = Vec::new();
        for n in 0..3000i64 {
            // 3000 items over about 40 days, several per second in places, out of order.
            let ts = 1_600_000_000 + (n * 7919 % 3000) * 1151;
            let id = db.upsert_item(space.id, &format!("d{}/IMG_{n}.jpg", n % 7), 1, &reading(ts)).unwrap().id();
            expected.push((ts, id));
        }
        // Some leave: one deleted, some missing; a move across days keeps the counts right.
        db.delete_item(space.id, "d0/IMG_0.jpg").unwrap();
        expected.retain(|(_, id)| *id != 1);
        let gone: Vec<i64> = expected.iter().take(10).map(|(_, id)| *id).collect();
        db.mark_missing(&gone).unwrap();
        expected.retain(|(_, id)| !gone.contains(id));
        expected.sort_by(|a, b| b.cmp(a));
        let total: i64 = db.timeline(&Reach::whole(space.id), false).unwrap().iter().map(|b| b.count).sum();
        assert_eq!(total, expected.len() as i64, "the day counts follow inserts, deletes and missing files");
        for offset in [0, 999, 1001, 1777, 2900] {
            let page = db
                .list_items(&Reach::whole(space.id), &ItemQuery::default(), ItemSort::TakenTime, true, offset, 50)
                .unwrap();
            let want: Vec<i64> = expected.iter().skip(offset as usize).take(50).map(|(_, id)| *id).collect();
            assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), want, "descending, offset {offset}");
            let page = db
                .list_items(&Reach::whole(space.id), &ItemQuery::default(), ItemSort::TakenTime, false, offset, 50)
                .unwrap();
            let want: Vec<i64> = expected.iter().rev().skip(offset as usize).take(50).map(|(_, id)| *id).collect();
            assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), want, "ascending, offset {offset}");
        }
    }
}
