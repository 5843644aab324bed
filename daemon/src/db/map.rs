//! The map's clusters: every item of a space with a position, held in memory (a few dozen bytes each) and read
//! again only when the space's `map_epoch` moved (migration 0015's triggers), then grouped per request into the
//! cells of a grid that halves with each zoom level. The whole world's clusters of a million items take a single
//! pass over them. Who sees what is the caller's `Reach`, as everywhere: its folders filter the points here, and
//! a reach confined to an album (a share link's) reads its few points from the database instead.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rusqlite::params_from_iter;

use super::query::Reach;
use super::{Db, DbError};
use crate::domain::Area;

/// The grid has `4 × 2^zoom` cells across the world: about 64 pixels each on 256-pixel map tiles.
const CELLS_PER_TILE: f64 = 4.0;
pub const MAX_ZOOM: u8 = 20;
const WIDEN: f64 = 1e-4;

#[derive(Debug, Clone, Copy)]
struct Point {
    /// Web Mercator, 0..1 across and down the world, so that cells are square on the screen.
    x: f32,
    y: f32,
    lat: f32,
    lon: f32,
    // 24 bytes a point: ids past 4 billion do not happen in one library.
    folder: u32,
    id: u32,
}

struct SpacePoints {
    epoch: i64,
    points: Vec<Point>,
}

/// The points of each space, kept between requests.
#[derive(Default)]
pub struct MapCache {
    spaces: Mutex<HashMap<i64, Arc<SpacePoints>>>,
}

/// A group of items near each other: where they are on average, how many, the newest (its cover), and the box
/// they lie in (what `Browse.Item list area=…` opens).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub latitude: f64,
    pub longitude: f64,
    pub count: i64,
    pub cover_item: i64,
    pub area: Area,
}

#[derive(Clone, Copy)]
struct Sum {
    count: i64,
    lat: f64,
    lon: f64,
    cover: u32,
    south: f32,
    north: f32,
    west: f32,
    east: f32,
}

fn mercator(lat: f64, lon: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    ((lon + 180.0) / 360.0, y)
}

impl Db {
    /// The caller's clusters in `area` at `zoom` (0 shows the world in one tile).
    pub fn map_clusters(&self, cache: &MapCache, reach: &Reach, area: Area, zoom: u8) -> Result<Vec<Cluster>, DbError> {
        let points = match reach.album_id() {
            Some(_) => Arc::new(SpacePoints { epoch: 0, points: self.map_points(reach)? }),
            None => self.space_points(cache, reach.space_id)?,
        };
        let allowed: Option<HashSet<u32>> =
            reach.folder_ids().map(|f| f.into_iter().filter_map(|id| u32::try_from(id).ok()).collect());
        Ok(cluster(&points.points, allowed.as_ref(), area, zoom.min(MAX_ZOOM)))
    }

    fn space_points(&self, cache: &MapCache, space_id: i64) -> Result<Arc<SpacePoints>, DbError> {
        let epoch: i64 = {
            let conn = self.read();
            let mut stmt = conn.prepare_cached("SELECT coalesce(max(epoch), 0) FROM map_epoch WHERE space_id = ?1")?;
            stmt.query_row([space_id], |r| r.get(0))?
        };
        if let Some(kept) = cache.spaces.lock().unwrap_or_else(|p| p.into_inner()).get(&space_id) {
            if kept.epoch == epoch {
                return Ok(kept.clone());
            }
        }
        // Read after the epoch: a change in between moves the epoch again, and the next request reads again.
        let fresh = Arc::new(SpacePoints { epoch, points: self.map_points(&Reach::whole(space_id))? });
        cache.spaces.lock().unwrap_or_else(|p| p.into_inner()).insert(space_id, fresh.clone());
        Ok(fresh)
    }

    /// Every item with a position that `reach` shows.
    fn map_points(&self, reach: &Reach) -> Result<Vec<Point>, DbError> {
        let (visible, values) = reach.clause("i");
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT i.latitude, i.longitude, i.folder_id, i.id FROM item i
             WHERE {visible} AND i.latitude IS NOT NULL AND i.longitude IS NOT NULL"
        ))?;
        let rows = stmt.query_map(params_from_iter(values), |r| {
            let (lat, lon): (f64, f64) = (r.get(0)?, r.get(1)?);
            let (x, y) = mercator(lat, lon);
            let (folder, id) = (u32::try_from(r.get::<_, i64>(2)?), u32::try_from(r.get::<_, i64>(3)?));
            Ok(folder.ok().zip(id.ok()).map(|(folder, id)| Point {
                x: x as f32,
                y: y as f32,
                lat: lat as f32,
                lon: lon as f32,
                folder,
                id,
            }))
        })?;
        let mut points = Vec::new();
        for row in rows {
            points.extend(row?);
        }
        points.shrink_to_fit();
        Ok(points)
    }
}

fn cluster(points: &[Point], allowed: Option<&HashSet<u32>>, area: Area, zoom: u8) -> Vec<Cluster> {
    let cells = CELLS_PER_TILE * f64::from(1u32 << zoom);
    let (south, north) = (area.south as f32, area.north as f32);
    let (west, east) = (area.west as f32, area.east as f32);
    let across = west > east;
    let mut sums: HashMap<(u32, u32), Sum> = HashMap::new();
    for p in points {
        if p.lat < south || p.lat > north || (!across && (p.lon < west || p.lon > east)) {
            continue;
        }
        if across && p.lon < west && p.lon > east {
            continue;
        }
        if allowed.is_some_and(|f| !f.contains(&p.folder)) {
            continue;
        }
        let cell = ((f64::from(p.x) * cells) as u32, (f64::from(p.y) * cells) as u32);
        let sum = sums.entry(cell).or_insert(Sum {
            count: 0,
            lat: 0.0,
            lon: 0.0,
            cover: p.id,
            south: p.lat,
            north: p.lat,
            west: p.lon,
            east: p.lon,
        });
        sum.count += 1;
        sum.lat += f64::from(p.lat);
        sum.lon += f64::from(p.lon);
        sum.cover = sum.cover.max(p.id);
        sum.south = sum.south.min(p.lat);
        sum.north = sum.north.max(p.lat);
        sum.west = sum.west.min(p.lon);
        sum.east = sum.east.max(p.lon);
    }
    let mut out: Vec<Cluster> = sums
        .into_values()
        .map(|s| Cluster {
            latitude: s.lat / s.count as f64,
            longitude: s.lon / s.count as f64,
            count: s.count,
            cover_item: i64::from(s.cover),
            // Points are held as f32 (a metre or so): the box is widened by about ten, so that listing it
            // finds every photo of the cluster.
            area: Area {
                south: (f64::from(s.south) - WIDEN).max(-90.0),
                west: (f64::from(s.west) - WIDEN).max(-180.0),
                north: (f64::from(s.north) + WIDEN).min(90.0),
                east: (f64::from(s.east) + WIDEN).min(180.0),
            },
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.cover_item.cmp(&b.cover_item)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lat: f64, lon: f64, folder: u32, id: u32) -> Point {
        let (x, y) = mercator(lat, lon);
        Point { x: x as f32, y: y as f32, lat: lat as f32, lon: lon as f32, folder, id }
    }

    const WORLD: Area = Area { south: -90.0, west: -180.0, north: 90.0, east: 180.0 };

    #[test]
    fn near_points_merge_when_zoomed_out_and_part_when_zoomed_in() {
        let paris = [point(48.8566, 2.3522, 1, 1), point(48.8606, 2.3376, 1, 2)];
        let all = [paris[0], paris[1], point(52.52, 13.405, 1, 3), point(-33.87, 151.21, 2, 4)];
        let world = cluster(&all, None, WORLD, 3);
        assert_eq!(world.len(), 3, "{world:?}");
        assert_eq!((world[0].count, world[0].cover_item), (2, 2), "Paris, its newest item the cover");
        assert!((world[0].area.south - 48.8566).abs() < 2e-4 && (world[0].area.north - 48.8606).abs() < 2e-4);
        assert!(world[0].area.south < 48.8566 && world[0].area.north > 48.8606, "the box holds its points");
        assert_eq!(cluster(&all, None, WORLD, 18).len(), 4, "a street apart at street level");
        let europe = Area { south: 35.0, west: -10.0, north: 60.0, east: 30.0 };
        assert_eq!(cluster(&all, None, europe, 2).iter().map(|c| c.count).sum::<i64>(), 3);
    }

    #[test]
    fn only_the_callers_folders_and_the_antimeridian_box() {
        let all = [point(-17.77, 177.37, 1, 1), point(-18.0, -179.5, 2, 2), point(0.0, 0.0, 1, 3)];
        let allowed = HashSet::from([1]);
        let mine = cluster(&all, Some(&allowed), WORLD, 3);
        assert_eq!(mine.iter().map(|c| c.count).sum::<i64>(), 2);
        let fiji = Area { south: -25.0, west: 170.0, north: -10.0, east: -170.0 };
        assert_eq!(cluster(&all, None, fiji, 3).iter().map(|c| c.count).sum::<i64>(), 2);
    }

    /// The cache is read again whenever a positioned item comes, goes, moves or leaves for another space.
    #[test]
    fn the_kept_points_follow_every_change_even_to_another_space() {
        use crate::db::SpaceKind;
        use crate::media::{reading::Gps, Reading};
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let shared = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap();
        let mine = db.ensure_space(SpaceKind::Personal, Some((1000, "ann")), "/home/ann/Photos", true).unwrap();
        let gps = Gps { lat: 52.52, lon: 13.40, alt: None };
        let reading = Reading { size: 1, gps: Some(gps), ..Reading::default() };
        let id = db.upsert_item(shared.id, "a.jpg", 1, &reading).unwrap().id();
        let cache = MapCache::default();
        let count = |space: i64| -> i64 {
            db.map_clusters(&cache, &Reach::whole(space), WORLD, 0).unwrap().iter().map(|c| c.count).sum()
        };
        assert_eq!((count(shared.id), count(mine.id)), (1, 0));
        db.lock().execute("UPDATE item SET latitude = -33.87, longitude = 151.21 WHERE id = ?1", [id]).unwrap();
        let sydney = db.map_clusters(&cache, &Reach::whole(shared.id), WORLD, 0).unwrap();
        assert!(sydney[0].latitude < 0.0, "moved: {sydney:?}");
        // A folder moved to another space (the watcher's cross-share move) takes its items' space with it.
        db.lock().execute("UPDATE item SET space_id = ?2 WHERE id = ?1", [id, mine.id]).unwrap();
        assert_eq!((count(shared.id), count(mine.id)), (0, 1), "the space it left no longer shows it");
        db.lock().execute("DELETE FROM item WHERE id = ?1", [id]).unwrap();
        assert_eq!(count(mine.id), 0);
    }
}
