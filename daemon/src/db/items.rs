//! Item rows: one per file. The upsert here is where identity is kept: a file at a known path keeps its id when
//! re-read, and a new path whose content hash matches an item whose file went missing takes over that item
//! (a move seen by the reconcile scan), so albums, tags, faces, rating and description follow the file.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Transaction};

use super::folders::{ensure_folder_tx, split_parent};
use super::tags::replace_file_tags_tx;
use super::{now, Db, DbError};
use crate::media::{MediaKind, Reading};

/// What the reconcile scan needs to know about a stored file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredFile {
    pub id: i64,
    pub size: u64,
    pub mtime_ns: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Inserted(i64),
    Updated(i64),
    /// A missing item with the same content was found and moved here.
    Adopted(i64),
}

impl UpsertOutcome {
    pub fn id(self) -> i64 {
        match self {
            UpsertOutcome::Inserted(id) | UpsertOutcome::Updated(id) | UpsertOutcome::Adopted(id) => id,
        }
    }
}

const ITEM_PATH: &str = "CASE WHEN f.path = '' THEN i.filename ELSE f.path || '/' || i.filename END";

fn find_item_tx(tx: &Transaction, space_id: i64, path: &str) -> Result<Option<i64>, DbError> {
    let (dir, name) = split_parent(path);
    Ok(tx
        .query_row(
            "SELECT i.id FROM item i JOIN folder f ON f.id = i.folder_id
             WHERE f.space_id = ?1 AND f.path = ?2 AND i.filename = ?3",
            params![space_id, dir, name],
            |r| r.get(0),
        )
        .optional()?)
}

impl Db {
    /// Stores what a worker read from the file at `path` (relative to the space root).
    pub fn upsert_item(
        &self,
        space_id: i64,
        path: &str,
        mtime_ns: i64,
        reading: &Reading,
    ) -> Result<UpsertOutcome, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let (dir, filename) = split_parent(path);
        let folder_id = ensure_folder_tx(&tx, space_id, dir)?;
        let outcome = match find_item_tx(&tx, space_id, path)? {
            Some(id) => UpsertOutcome::Updated(id),
            None => {
                let adoptable: Option<i64> = match &reading.hash {
                    Some(hash) => tx
                        .query_row(
                            // Only within the space: another user's copy of the same bytes must never
                            // take over this user's item, its tags and albums.
                            "SELECT id FROM item WHERE hash = ?1 AND state = 'missing' AND space_id = ?2
                             ORDER BY id LIMIT 1",
                            params![hash, space_id],
                            |r| r.get(0),
                        )
                        .optional()?,
                    None => None,
                };
                match adoptable {
                    Some(id) => UpsertOutcome::Adopted(id),
                    None => {
                        tx.execute(
                            "INSERT INTO item (space_id, folder_id, filename, size, mtime_ns, type, taken_ts, added_at, indexed_at)
                             VALUES (?1, ?2, ?3, 0, 0, 'photo', 0, ?4, 0)",
                            params![space_id, folder_id, filename, now()],
                        )?;
                        UpsertOutcome::Inserted(tx.last_insert_rowid())
                    }
                }
            }
        };
        let id = outcome.id();
        let taken = reading.taken;
        let gps = reading.gps;
        let state = if reading.error.is_some() { "broken" } else { "ok" };
        tx.execute(
            "UPDATE item SET space_id = ?2, folder_id = ?3, filename = ?4, size = ?5, mtime_ns = ?6, hash = ?7,
                type = CASE WHEN type = 'live' AND ?8 = 'photo' THEN 'live' ELSE ?8 END,
                mime = ?9, state = ?10, error = ?11, width = ?12, height = ?13, orientation = ?14,
                taken_local = ?15, taken_offset = ?16, taken_source = ?17, taken_ts = ?18, make = ?19, model = ?20,
                lens = ?21, focal_length = ?22, exposure_time = ?23, f_number = ?24, iso = ?25, flash = ?26,
                latitude = ?27, longitude = ?28, altitude = ?29, duration = ?30, rotation = ?31, video_codec = ?32,
                audio_codec = ?33, frame_rate = ?34, bitrate = ?35, description = ?36, rating = ?37,
                content_id = ?38, indexed_at = ?39,
                thumb_state = CASE WHEN thumb_hash IS ?7 THEN thumb_state ELSE 'notready' END
             WHERE id = ?1",
            params![
                id,
                space_id,
                folder_id,
                filename,
                reading.size as i64,
                mtime_ns,
                reading.hash,
                reading.kind.as_str(),
                reading.mime,
                state,
                reading.error,
                reading.width,
                reading.height,
                reading.orientation,
                taken.map(|t| t.to_iso()[..19].to_string()),
                taken.and_then(|t| t.offset_minutes),
                reading.taken_source,
                taken.map(|t| t.local_timestamp()).unwrap_or(mtime_ns / 1_000_000_000),
                reading.make,
                reading.model,
                reading.lens,
                reading.focal_length,
                reading.exposure_time,
                reading.f_number,
                reading.iso,
                reading.flash,
                gps.map(|g| g.lat),
                gps.map(|g| g.lon),
                gps.and_then(|g| g.alt),
                reading.duration,
                reading.rotation,
                reading.video_codec,
                reading.audio_codec,
                reading.frame_rate,
                reading.bitrate.map(|b| b as i64),
                reading.description,
                reading.rating,
                reading.content_id,
                now(),
            ],
        )?;
        replace_file_tags_tx(&tx, id, &reading.tags)?;
        super::edits::apply_edits_tx(&tx, id)?;
        pair_live_photo_tx(&tx, id, folder_id, filename, reading)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Renames or moves one item, keeping its id. Returns false when no item was stored at `from`.
    pub fn move_item(&self, from: (i64, &str), to: (i64, &str)) -> Result<bool, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let Some(id) = find_item_tx(&tx, from.0, from.1)? else { return Ok(false) };
        // A file the move replaced on disk is gone.
        if let Some(replaced) = find_item_tx(&tx, to.0, to.1)? {
            tx.execute("DELETE FROM item WHERE id = ?1", [replaced])?;
        }
        let (dir, filename) = split_parent(to.1);
        let folder_id = ensure_folder_tx(&tx, to.0, dir)?;
        // A file seen missing by a reconcile that was still running is present again at its new path.
        tx.execute(
            "UPDATE item SET space_id = ?2, folder_id = ?3, filename = ?4,
                state = CASE WHEN state = 'missing' THEN 'ok' ELSE state END WHERE id = ?1",
            params![id, to.0, folder_id, filename],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub fn delete_item(&self, space_id: i64, path: &str) -> Result<bool, DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let Some(id) = find_item_tx(&tx, space_id, path)? else { return Ok(false) };
        tx.execute("DELETE FROM item WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(true)
    }

    /// Every stored file of a space by relative path: the reconcile scan compares the disk with this.
    pub fn stored_files(&self, space_id: i64) -> Result<HashMap<String, StoredFile>, DbError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ITEM_PATH}, i.id, i.size, i.mtime_ns FROM item i JOIN folder f ON f.id = i.folder_id
             WHERE i.space_id = ?1 AND i.state <> 'missing'"
        ))?;
        let rows = stmt
            .query_map([space_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    StoredFile { id: r.get(1)?, size: r.get::<_, i64>(2)? as u64, mtime_ns: r.get(3)? },
                ))
            })?
            .collect::<Result<HashMap<_, _>, _>>()?;
        Ok(rows)
    }

    /// Marks items whose files were not found, so a matching hash elsewhere can adopt them before the purge.
    pub fn mark_missing(&self, ids: &[i64]) -> Result<(), DbError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare("UPDATE item SET state = 'missing' WHERE id = ?1")?;
            for id in ids {
                stmt.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes the items of a space still missing after the imports that could have adopted them.
    pub fn purge_missing(&self, space_id: i64) -> Result<usize, DbError> {
        Ok(self.lock().execute("DELETE FROM item WHERE space_id = ?1 AND state = 'missing'", [space_id])?)
    }
}

/// Pairs the photo and video halves of a Live Photo: same folder, same base name, same content identifier.
/// The photo becomes type `live`; the video is kept, linked to it, and hidden from listings by later layers.
fn pair_live_photo_tx(
    tx: &Transaction,
    id: i64,
    folder_id: i64,
    filename: &str,
    reading: &Reading,
) -> Result<(), DbError> {
    let Some(content_id) = &reading.content_id else { return Ok(()) };
    let stem = filename.rsplit_once('.').map(|(s, _)| s).unwrap_or(filename);
    let (want, photo_is_me) = match reading.kind {
        MediaKind::Video => ("type IN ('photo', 'live')", false),
        _ => ("type = 'video'", true),
    };
    let mut stmt = tx.prepare(&format!(
        "SELECT id, filename FROM item WHERE folder_id = ?1 AND id <> ?2 AND content_id = ?3 AND {want}"
    ))?;
    let candidates = stmt
        .query_map(params![folder_id, id, content_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let partner = candidates.into_iter().find_map(|(other, name)| {
        let other_stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&name);
        other_stem.eq_ignore_ascii_case(stem).then_some(other)
    });
    let Some(partner) = partner else { return Ok(()) };
    let (photo, video) = if photo_is_me { (id, partner) } else { (partner, id) };
    tx.execute("UPDATE item SET type = 'live' WHERE id = ?1", [photo])?;
    tx.execute("UPDATE item SET live_photo_id = ?1 WHERE id = ?2", [photo, video])?;
    Ok(())
}

/// Counts per type and the files that could not be read, for `photosd index`.
#[derive(Debug, Default)]
pub struct LibrarySummary {
    pub by_type: Vec<(String, i64)>,
    pub broken: Vec<(String, String)>,
}

impl Db {
    pub fn library_summary(&self) -> Result<LibrarySummary, DbError> {
        let conn = self.lock();
        let mut summary = LibrarySummary::default();
        let mut stmt =
            conn.prepare("SELECT type, count(*) FROM item WHERE state = 'ok' GROUP BY type ORDER BY type")?;
        summary.by_type = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT s.root || '/' || {ITEM_PATH}, coalesce(i.error, '') FROM item i JOIN folder f ON f.id = i.folder_id
             JOIN space s ON s.id = i.space_id WHERE i.state = 'broken' ORDER BY 1"
        ))?;
        summary.broken = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(summary)
    }
}
