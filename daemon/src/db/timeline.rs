//! Aggregates for browsing: the timeline (item counts per day or month), tags with their counts, and the facets
//! of the filter panel (cameras, lenses, exposure values, years) of one space's visible items.

use rusqlite::params;

use super::{Db, DbError};

/// Only what the lists show: not missing, not the video half of a Live Photo.
const VISIBLE: &str = "space_id = ?1 AND state <> 'missing' AND live_photo_id IS NULL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineBucket {
    pub year: i64,
    pub month: i64,
    /// 0 when grouped by month.
    pub day: i64,
    pub count: i64,
}

impl Db {
    /// Item counts per day (or month), newest first.
    pub fn timeline(&self, space_id: i64, by_month: bool) -> Result<Vec<TimelineBucket>, DbError> {
        let unit = if by_month { "'%Y-%m-00'" } else { "'%Y-%m-%d'" };
        let conn = self.lock();
        // Grouping on the day number walks the (space_id, taken_ts) index in order; only the few distinct
        // days are formatted.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT strftime({unit}, d * 86400, 'unixepoch') AS bucket, sum(n) FROM
               (SELECT taken_ts / 86400 AS d, count(*) AS n FROM item WHERE {VISIBLE} GROUP BY d)
             GROUP BY bucket ORDER BY bucket DESC"
        ))?;
        let rows = stmt.query_map([space_id], |r| {
            let bucket: String = r.get(0)?;
            let part =
                |i: usize| bucket.get(i..).and_then(|s| s.split('-').next()).and_then(|s| s.parse().ok()).unwrap_or(0);
            Ok(TimelineBucket { year: part(0), month: part(5), day: part(8), count: r.get(1)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Tags on visible items of the space, with how many carry each. Tags only other spaces use are not
    /// listed: their names are other people's business.
    pub fn tags_with_counts(&self, space_id: i64, offset: i64, limit: i64) -> Result<Vec<(i64, String, i64)>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT t.id, t.name, count(*) FROM tag t JOIN item_tag it ON it.tag_id = t.id JOIN item i ON i.id = it.item_id
             WHERE i.space_id = ?1 AND i.state <> 'missing' AND i.live_photo_id IS NULL
             GROUP BY t.id ORDER BY t.name COLLATE NOCASE LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt.query_map(params![space_id, limit, offset], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Distinct non-empty values of one column among the visible items of a space, most used first.
    pub fn distinct_values(&self, space_id: i64, column: Facet) -> Result<Vec<String>, DbError> {
        let expr = column.expression();
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT v FROM (SELECT {expr} AS v, count(*) AS n FROM item WHERE {VISIBLE} GROUP BY v)
             WHERE v IS NOT NULL AND v <> '' ORDER BY n DESC, v"
        ))?;
        let rows = stmt.query_map([space_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A filterable property of items, as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Camera,
    Lens,
    Iso,
    Aperture,
    FocalLength,
    ExposureTime,
}

impl Facet {
    /// The SQL text of the facet's value for one item; also used to filter by it.
    pub fn expression(self) -> &'static str {
        match self {
            Facet::Camera => "trim(coalesce(make, '') || ' ' || coalesce(model, ''))",
            Facet::Lens => "lens",
            Facet::Iso => "CAST(iso AS TEXT)",
            Facet::Aperture => "printf('F%g', round(f_number, 1))",
            Facet::FocalLength => "printf('%g mm', round(focal_length, 1))",
            Facet::ExposureTime => "CASE WHEN exposure_time >= 1 THEN printf('%g s', exposure_time)
                                    WHEN exposure_time > 0 THEN printf('1/%d s', CAST(round(1.0 / exposure_time) AS INTEGER)) END",
        }
    }
}
