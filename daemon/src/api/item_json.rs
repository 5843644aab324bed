//! Items as Synology clients read them: `id, filename, filesize, time, indexed_time, owner_user_id, folder_id,
//! type`, plus the `additional` blocks asked for (thumbnail with its cache_key, resolution, orientation, exif,
//! gps, address with geocoding_id, tag, person, description, rating, video_meta, video_convert). EXIF values are strings, as DSM sends.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::Ctx;
use crate::db::{ItemRow, PlaceRow, Space};

pub async fn items_json(
    ctx: &Ctx,
    space: &Space,
    rows: &[ItemRow],
    additional: &[String],
) -> Result<Vec<Value>, ApiError> {
    let wants = |name: &str| additional.iter().any(|a| a == name);
    let mut tags: HashMap<i64, Vec<Value>> = HashMap::new();
    if wants("tag") {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for (item, id, name) in ctx.app.db.call(move |db| db.tags_of(&ids)).await? {
            tags.entry(item).or_default().push(json!({ "id": id, "name": name }));
        }
    }
    let mut persons: HashMap<i64, Vec<Value>> = HashMap::new();
    // A share link shows photos, not who the library's owner has named in them.
    let by_link = matches!(ctx.principal, crate::service::principal::Principal::Link(_));
    if wants("person") && !by_link {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for face in ctx.app.db.call(move |db| db.item_faces(&ids)).await? {
            let (Some(id), false) = (face.person_id, face.hidden) else { continue };
            let list = persons.entry(face.item_id).or_default();
            if !list.iter().any(|p| p["id"] == id) {
                list.push(json!({ "id": id, "name": face.person_name.unwrap_or_default() }));
            }
        }
    }
    let mut places: HashMap<i64, PlaceRow> = HashMap::new();
    if wants("address") {
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.place_id).collect();
        places = ctx.app.db.call(move |db| db.places_by_id(&ids)).await?;
    }
    Ok(rows
        .iter()
        .map(|row| {
            let (tags, persons) = (tags.remove(&row.id), persons.remove(&row.id));
            let place = row.place_id.and_then(|id| places.get(&id));
            item_json(space, row, additional, tags.unwrap_or_default(), persons.unwrap_or_default(), place)
        })
        .collect())
}

fn item_json(
    space: &Space,
    row: &ItemRow,
    additional: &[String],
    tags: Vec<Value>,
    persons: Vec<Value>,
    place: Option<&PlaceRow>,
) -> Value {
    let mut item = json!({
        "id": row.id,
        "filename": row.filename,
        "filesize": row.size,
        "time": row.taken_ts,
        "indexed_time": row.indexed_at * 1000,
        "owner_user_id": space.owner_user_id(),
        "folder_id": row.folder_id,
        "type": row.kind,
    });
    if row.kind == "live" {
        item["live_type"] = json!("photo");
    }
    let mut extra = Map::new();
    for name in additional {
        let value = match name.as_str() {
            "thumbnail" => thumbnail(row),
            "resolution" => json!({ "width": row.width.unwrap_or(0), "height": row.height.unwrap_or(0) }),
            "orientation" => json!(row.orientation.unwrap_or(1)),
            "orientation_original" => json!(row.orientation.unwrap_or(1)),
            "exif" => exif(row),
            "gps" => match (row.latitude, row.longitude) {
                (Some(lat), Some(lon)) => json!({ "latitude": lat, "longitude": lon }),
                _ => continue,
            },
            "address" => {
                extra.insert("geocoding_id".into(), json!(row.place_id.unwrap_or(0)));
                address(place)
            }
            "tag" => json!(tags),
            "description" => json!(row.description.clone().unwrap_or_default()),
            "rating" => json!(row.rating.unwrap_or(0)),
            "video_meta" if row.kind == "video" => video_meta(row),
            "video_convert" => match row.video_state.as_deref() {
                Some("ready") => json!([{ "quality": "medium" }]),
                _ => json!([]),
            },
            "person" => json!(persons),
            _ => continue,
        };
        extra.insert(name.clone(), value);
    }
    if !additional.is_empty() {
        item["additional"] = Value::Object(extra);
    }
    item
}

/// The `additional` block of each cover (by item id) of a list of albums, places or tags: the covers' thumbnails
/// when `additional` asks for them, read in one query within `reach`; else nothing (an empty block, when
/// `additional` asks for something else).
pub async fn cover_blocks(
    ctx: &Ctx,
    reach: &crate::db::Reach,
    covers: Vec<i64>,
    additional: &[String],
) -> Result<impl Fn(Option<i64>) -> Option<Value>, ApiError> {
    let rows = match additional.iter().any(|a| a == "thumbnail") && !covers.is_empty() {
        true => {
            let (reach, limit) = (reach.clone(), covers.len() as i64);
            let filter = crate::domain::ItemQuery { ids: Some(covers), ..Default::default() };
            let sort = crate::db::ItemSort::TakenTime;
            ctx.app.db.call(move |db| db.list_items(&reach, &filter, sort, true, 0, limit)).await?
        }
        false => Vec::new(),
    };
    let blocks: HashMap<i64, Value> = rows.iter().map(|row| (row.id, json!({ "thumbnail": thumbnail(row) }))).collect();
    let asked = !additional.is_empty();
    Ok(move |cover: Option<i64>| match cover.and_then(|id| blocks.get(&id)) {
        Some(block) => Some(block.clone()),
        None => asked.then(|| json!({})),
    })
}

/// Every size shares one state; `cache_key` changes whenever the file is indexed again (new content, new
/// thumbnails), so a client's cached copy is never stale.
pub fn thumbnail(row: &ItemRow) -> Value {
    let state = match row.thumb_state.as_str() {
        "ready" => "ready",
        "broken" => "broken",
        _ => "notready",
    };
    json!({
        "sm": state, "m": state, "xl": state, "preview": "broken",
        "cache_key": cache_key(row),
        "unit_id": row.id,
    })
}

pub fn cache_key(row: &ItemRow) -> String {
    format!("{}_{}", row.id, row.indexed_at)
}

fn exif(row: &ItemRow) -> Value {
    let camera = match (row.make.as_deref(), row.model.as_deref()) {
        (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => model.to_string(),
        (Some(make), Some(model)) => format!("{make} {model}"),
        (make, model) => make.or(model).unwrap_or_default().to_string(),
    };
    let exposure = row.exposure_time.filter(|t| *t > 0.0).map(|t| match t {
        t if t < 1.0 => format!("1/{} s", (1.0 / t).round()),
        t => format!("{} s", trim(t)),
    });
    json!({
        "camera": camera,
        "lens": row.lens.clone().unwrap_or_default(),
        "aperture": row.f_number.map(|f| format!("F{}", trim(f))).unwrap_or_default(),
        "exposure_time": exposure.unwrap_or_default(),
        "focal_length": row.focal_length.map(|f| format!("{} mm", trim(f))).unwrap_or_default(),
        "iso": row.iso.map(|i| i.to_string()).unwrap_or_default(),
    })
}

/// Every camera field photosd stores, by its EXIF tag name, for `get_exif`.
pub fn exif_fields(row: &ItemRow) -> Value {
    let mut fields = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            fields.insert(key.to_string(), v);
        }
    };
    put("Make", row.make.clone().map(Value::from));
    put("Model", row.model.clone().map(Value::from));
    put("LensModel", row.lens.clone().map(Value::from));
    put("ExposureTime", row.exposure_time.map(Value::from));
    put("FNumber", row.f_number.map(Value::from));
    put("ISO", row.iso.map(Value::from));
    put("FocalLength", row.focal_length.map(Value::from));
    put("Orientation", row.orientation.map(Value::from));
    put("ImageWidth", row.width.map(Value::from));
    put("ImageHeight", row.height.map(Value::from));
    put("GPSLatitude", row.latitude.map(Value::from));
    put("GPSLongitude", row.longitude.map(Value::from));
    Value::Object(fields)
}

/// Up to one decimal, without a trailing ".0".
fn trim(value: f64) -> String {
    let text = format!("{:.1}", value);
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// Where the item was taken, as DSM's address: country, state, county, city and district, each with its
/// `geocoding_id` (as a string, as DSM sends ids there), and `country_code` (photosd's own). What offline data
/// does not have (town, village, route, landmark), and every field of an item without a place, is empty, as DSM
/// sends.
pub fn address(place: Option<&PlaceRow>) -> Value {
    // Each key with its level in the place's path; the rest are always empty.
    let keys = [
        ("country", Some(0)),
        ("state", Some(1)),
        ("county", Some(2)),
        ("city", Some(3)),
        ("town", None),
        ("district", Some(4)),
        ("village", None),
        ("route", None),
        ("landmark", None),
    ];
    let mut map = Map::new();
    for (key, level) in keys {
        let found = level.and_then(|n| place.and_then(|p| p.path[n].as_ref()));
        map.insert(key.into(), json!(found.map(|l| l.1.as_str()).unwrap_or("")));
        map.insert(format!("{key}_id"), json!(found.map(|l| l.0.to_string()).unwrap_or_default()));
    }
    map.insert("country_code".into(), json!(place.map(|p| p.country_code.as_str()).unwrap_or("")));
    Value::Object(map)
}

fn video_meta(row: &ItemRow) -> Value {
    json!({
        "duration": row.duration.map(|d| (d * 1000.0).round() as i64).unwrap_or(0),
        "video_codec": row.video_codec.clone().unwrap_or_default(),
        "audio_codec": row.audio_codec.clone().unwrap_or_default(),
        "container_type": row.mime.as_deref().and_then(|m| m.split('/').nth(1)).unwrap_or_default(),
        "resolution_x": row.width.unwrap_or(0),
        "resolution_y": row.height.unwrap_or(0),
        "orientation": row.rotation.unwrap_or(0),
        "framerate": row.frame_rate.unwrap_or(0.0),
        "frame_bitrate": row.bitrate.unwrap_or(0),
    })
}
