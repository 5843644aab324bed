//! Condition albums through the web API, on the corpus' camera JPEGs (`camera_jpeg/exif-samples`: 45 photos from
//! about 40 cameras, four of them in subfolders) and a video. One album per kind of condition, each holding
//! exactly what exiftool's reading of the corpus (`exiftool.json`) says it should; all and any; a photo edited
//! into and out of an album; and nobody else sees or changes one. Then the portal on the same library, in Chromium
//! (`tests/e2e/condition_albums.test.mjs`): the condition editor with its live count, the automatic albums, and
//! Settings; screenshots land in `target/e2e-screenshots/`. A second test makes albums by person and by subject on
//! the labelled faces and dogs, with the real models, and corrects recognition under them.

use std::collections::BTreeSet;

use photosd_tests::api_library::{list, ok, GROUP};
use photosd_tests::link_client::{LinkHolder, Naming};
use photosd_tests::live::{write_live_pair, ID};
use photosd_tests::{corpus, error_code, sample_jpeg, test_user, wait_for, workspace, Api, Daemon, Library};
use serde_json::{json, Value};

const SAMPLES: &str = "camera_jpeg/exif-samples";
/// The group of Photos administrators.
const ADMINS: &str = "photosd-test-admins";
const VIDEO: &str = "video/photoprism/isom-avc1.mp4";

/// What exiftool read of one photo; `taken` is its DateTimeOriginal as Unix seconds (read as UTC: the ranges
/// below stay days away from every photo, so a time zone cannot move one across).
#[derive(Debug, Clone)]
struct Photo {
    /// Under the library's `exif-samples` folder.
    path: String,
    camera: String,
    lens: Option<String>,
    f_number: Option<f64>,
    iso: Option<f64>,
    focal_length: Option<f64>,
    exposure: Option<f64>,
    taken: Option<i64>,
    /// Latitude and longitude.
    position: Option<(f64, f64)>,
}

fn photos() -> Vec<Photo> {
    let all: Vec<Value> = serde_json::from_slice(&std::fs::read(corpus().join("exiftool.json")).unwrap()).unwrap();
    let text = |v: &Value, key: &str| v[key].as_str().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    all.iter()
        .filter_map(|v| {
            let path = v["SourceFile"].as_str()?.strip_prefix(&format!("{SAMPLES}/"))?.to_string();
            let camera = [text(v, "EXIF:Make"), text(v, "EXIF:Model")].into_iter().flatten().collect::<Vec<_>>();
            let taken = text(v, "EXIF:DateTimeOriginal").and_then(|t| exif_time(&t));
            Some(Photo {
                path,
                camera: camera.join(" "),
                lens: text(v, "EXIF:LensModel"),
                f_number: v["EXIF:FNumber"].as_f64(),
                iso: v["EXIF:ISO"].as_f64(),
                focal_length: v["EXIF:FocalLength"].as_f64(),
                exposure: v["EXIF:ExposureTime"].as_f64(),
                taken,
                position: v["Composite:GPSLatitude"].as_f64().zip(v["Composite:GPSLongitude"].as_f64()),
            })
        })
        .collect()
}

/// Unix seconds of a calendar time read as UTC (Howard Hinnant's days-from-civil).
fn utc(y: i64, m: i64, d: i64, hms: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400 + hms
}

/// "2008:05:30 15:56:01" as UTC Unix seconds; None for what is no date ("0000:00:00 00:00:00").
fn exif_time(text: &str) -> Option<i64> {
    let n: Vec<i64> = text.split([':', ' ']).map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [y, mo, d, h, mi, s] = n[..] else { return None };
    (y > 0 && (1..=12).contains(&mo) && (1..=31).contains(&d)).then(|| utc(y, mo, d, h * 3600 + mi * 60 + s))
}

fn names<'a>(photos: impl IntoIterator<Item = &'a Photo>) -> BTreeSet<String> {
    photos.into_iter().map(|p| file_name(&p.path)).collect()
}

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_string()
}

/// The file names a condition album holds, through `Browse.Item list album_id`, checked against its count in
/// `Album get` and `Item count`.
fn members(api: &Api, album: i64) -> BTreeSet<String> {
    let id = album.to_string();
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("album_id", &id), ("offset", "0"), ("limit", "500")]);
    let got: BTreeSet<String> = list(&items).iter().map(|i| i["filename"].as_str().unwrap().to_string()).collect();
    let counted = ok(api.call("SYNO.Foto.Browse.Item", "count", 5, &[("album_id", &id)]))["count"].as_u64().unwrap();
    let listed = list(&api.call("SYNO.Foto.Browse.Album", "get", 4, &[("id", &format!("[{album}]"))]))[0].clone();
    assert_eq!(counted as usize, got.len(), "album {album}: count and list");
    assert_eq!(listed["item_count"].as_u64().unwrap() as usize, got.len(), "album {album}: item_count and list");
    assert_eq!(listed["type"], "condition");
    got
}

fn create(api: &Api, name: &str, condition: &Value) -> i64 {
    let created = api.call(
        "SYNO.Foto.Browse.ConditionAlbum",
        "create",
        1,
        &[("name", &json!(name).to_string()), ("condition", &condition.to_string())],
    );
    ok(created)["album"]["id"].as_i64().unwrap()
}

/// The id `Search.Filter list` gives a value of one of its facets.
fn facet_id(api: &Api, facet: &str, value: &str) -> i64 {
    let filters = ok(api.call("SYNO.Foto.Search.Filter", "list", 2, &[]));
    let found = filters[facet].as_array().unwrap().iter().find(|v| v["name"] == value);
    found.unwrap_or_else(|| panic!("{facet} {value:?} among {}", filters[facet]))["id"].as_i64().unwrap()
}

/// The daemon, with the place data `tests/setup.sh` builds and the Shared Space at `shared`, once every file of
/// the library (`files` of them) is indexed and placed.
fn start(lib: &Library, shared: &std::path::Path, files: usize) -> Daemon {
    let places = workspace().join("target/geo").display().to_string();
    let env = [
        ("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP),
        ("PHOTOSD_PLACES_DATA_DIR", places.as_str()),
        ("PHOTOSD_AUTH_ADMIN_GROUP", ADMINS),
    ];
    let daemon = Daemon::launch(lib, shared, &env);
    let files = files as i64;
    let count = |sql: &str| lib.db().query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(-1);
    wait_for("every file indexed and placed", 120, || {
        count("SELECT count(*) FROM item WHERE state = 'ok' AND thumb_state = 'ready'") == files
            && count("SELECT count(*) FROM item WHERE latitude IS NOT NULL AND place_version IS NULL") == 0
    });
    daemon
}

#[test]
fn condition_albums_hold_what_the_metadata_says_and_follow_edits() {
    let alice = test_user("pdt-alice", "alice-Pa55word", &[GROUP]);
    let bob = test_user("pdt-bob", "bob-Pa55word", &[GROUP]);
    let lib = Library::for_user(alice.name);
    let photos = photos();
    assert!(photos.len() >= 40, "the corpus' camera samples: {}", photos.len());
    // Every file dated 1990 on disk: a photo whose date photosd does not find in it takes its file's, which is
    // then in none of the ranges below.
    let copy = |from: std::path::PathBuf, to: std::path::PathBuf| {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, &to).unwrap();
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(utc(1990, 1, 1, 0) as u64);
        std::fs::File::options().write(true).open(&to).unwrap().set_modified(at).unwrap();
    };
    for photo in &photos {
        copy(corpus().join(SAMPLES).join(&photo.path), lib.photos().join("exif-samples").join(&photo.path));
    }
    copy(corpus().join(VIDEO), lib.photos().join(file_name(VIDEO)));
    // A Live Photo at the top: its video half is a video file that no album lists on its own.
    write_live_pair(&lib.photos(), "IMG_0001", ID, ID);
    for half in ["IMG_0001.JPG", "IMG_0001.MOV"] {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(utc(1990, 1, 1, 0) as u64);
        std::fs::File::options().write(true).open(lib.photos().join(half)).unwrap().set_modified(at).unwrap();
    }
    let dave = test_user("pdt-dave", "dave-Pa55word", &[GROUP, ADMINS]);
    std::fs::create_dir_all(lib.photos_of(bob.name)).unwrap();
    // The administrator's own photo (the portal opens on a timeline), and a Shared Space folder everyone sees.
    std::fs::create_dir_all(lib.photos_of(dave.name)).unwrap();
    std::fs::copy(sample_jpeg(), lib.photos_of(dave.name).join("mine.jpg")).unwrap();
    let shared = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(shared.path().join("Family")).unwrap();
    std::fs::copy(sample_jpeg(), shared.path().join("Family/together.jpg")).unwrap();
    let files = [lib.photos(), lib.photos_of(dave.name), shared.path().to_path_buf()]
        .iter()
        .map(|dir| photosd_tests::files_under(dir).len())
        .sum();
    let daemon = start(&lib, shared.path(), files);
    let mut api = Api::new(&daemon.base_url());
    assert_eq!(api.login(alice.name, alice.password)["success"], true);
    let every: BTreeSet<String> = names(&photos);
    let expect = |keep: &dyn Fn(&Photo) -> bool| names(photos.iter().filter(|p| keep(p)));

    // Folder source: a folder alone, and with its subfolders.
    let folders = ok(api.call("SYNO.Foto.Browse.Folder", "list", 1, &[("offset", "0"), ("limit", "100")]));
    let samples = folders["list"].as_array().unwrap().iter().find(|f| f["name"] == "/exif-samples").unwrap()["id"]
        .as_i64()
        .unwrap();
    let top_only = create(&api, "Top folder", &json!({ "folder_filter": [samples] }));
    assert_eq!(members(&api, top_only), expect(&|p| !p.path.contains('/')));
    let with_subfolders =
        create(&api, "All samples", &json!({ "folder_filter": [samples], "include_subfolder": true }));
    assert_eq!(members(&api, with_subfolders), every);

    // File type: the one video.
    let videos = create(&api, "Videos", &json!({ "item_type": [1] }));
    assert_eq!(members(&api, videos), BTreeSet::from([file_name(VIDEO)]));

    // Date taken: two ranges (November 2000 to mid-2001, 2004 to mid-2006; each end days away from any photo's
    // date, including the dates only the makers' notes hold), and the last 30 days.
    let ranges = [(utc(2000, 11, 1, 0), utc(2001, 6, 1, 0)), (utc(2004, 1, 1, 0), utc(2006, 9, 1, 0))];
    let time: Vec<Value> = ranges.iter().map(|(s, e)| json!({ "start_time": s, "end_time": e })).collect();
    let dated = create(&api, "Two eras", &json!({ "time": time }));
    let in_ranges = expect(&|p| p.taken.is_some_and(|t| ranges.iter().any(|(s, e)| t >= *s && t < *e)));
    assert!(in_ranges.len() >= 10, "{in_ranges:?}");
    assert_eq!(members(&api, dated), in_ranges);
    // Cameras and lenses, by the ids of the filter's facets.
    let nikon = "NIKON COOLPIX P6000";
    let by_camera = create(&api, "P6000", &json!({ "camera": [facet_id(&api, "camera", nikon)] }));
    let p6000 = expect(&|p| p.camera == nikon);
    assert_eq!(p6000.len(), 9);
    assert_eq!(members(&api, by_camera), p6000);
    let iphone = photos.iter().find_map(|p| p.lens.clone()).expect("a photo with a lens model");
    let by_lens = create(&api, "A lens", &json!({ "lens": [facet_id(&api, "lens", &iphone)] }));
    assert_eq!(members(&api, by_lens), expect(&|p| p.lens.as_deref() == Some(iphone.as_str())));

    // Places, at any level: a country holds its cities' photos. Italy is where exiftool's positions say, inside
    // its borders' box; Spain or Finland, with "any", adds the photos taken there.
    let countries =
        ok(api.call("SYNO.Foto.Browse.Geocoding", "list", 1, &[("parent_id", "0"), ("offset", "0"), ("limit", "100")]));
    let country = |name: &str| -> i64 {
        let found = countries["list"].as_array().unwrap().iter().find(|c| c["name"] == name);
        found.unwrap_or_else(|| panic!("{name} among {countries}"))["id"].as_i64().unwrap()
    };
    let inside = |p: &Photo, south: f64, north: f64, west: f64, east: f64| {
        p.position.is_some_and(|(lat, lon)| (south..north).contains(&lat) && (west..east).contains(&lon))
    };
    let italy = create(&api, "Italy", &json!({ "geocoding": [country("Italy")] }));
    let in_italy = expect(&|p| inside(p, 35.4, 47.1, 6.6, 18.6));
    assert!(in_italy.len() >= 9, "{in_italy:?}");
    assert_eq!(members(&api, italy), in_italy);
    let south_or_north = json!({ "geocoding": [country("Spain"), country("Finland")], "policy": "any" });
    let abroad = create(&api, "Spain or Finland", &south_or_north);
    assert_eq!(
        members(&api, abroad),
        expect(&|p| inside(p, 36.0, 43.8, -9.3, 3.3) || inside(p, 59.8, 70.1, 20.5, 31.6))
    );

    // Focal length, aperture and ISO as ranges, exposure time as a set of values.
    let ranged = |key: &str, min: f64, max: f64, value: &dyn Fn(&Photo) -> Option<f64>| {
        let album = create(&api, key, &json!({ key: { "min": min, "max": max } }));
        let wanted = expect(&|p| value(p).is_some_and(|v| v >= min && v <= max));
        assert!(wanted.len() >= 3 && wanted.len() < every.len(), "{key}: {wanted:?}");
        assert_eq!(members(&api, album), wanted, "{key} {min}–{max}");
    };
    ranged("focal_length", 10.0, 25.0, &|p| p.focal_length);
    ranged("aperture", 2.0, 3.5, &|p| p.f_number);
    ranged("iso", 100.0, 200.0, &|p| p.iso);
    let two_hundredth =
        create(&api, "1/200 s", &json!({ "exposure_time": [facet_id(&api, "exposure_time", "1/200 s")] }));
    assert_eq!(members(&api, two_hundredth), expect(&|p| p.exposure.is_some_and(|e| (1.0 / e).round() == 200.0)));

    // File names and descriptions; ratings and tags, given through the API.
    let named = create(&api, "Named DSCN", &json!({ "keyword": "dscn" }));
    assert_eq!(members(&api, named), expect(&|p| p.path.to_lowercase().contains("dscn")));
    let id_of = |name: &str| -> i64 {
        let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("offset", "0"), ("limit", "500")]);
        list(&items).iter().find(|i| i["filename"] == name).unwrap()["id"].as_i64().unwrap()
    };
    let (canon, pentax, jolla) = (id_of("Canon_40D.jpg"), id_of("Pentax_K10D.jpg"), id_of("jolla.jpg"));
    let set = |id: i64, params: &[(&str, &str)]| {
        let mut all = vec![("id", format!("[{id}]"))];
        all.extend(params.iter().map(|(k, v)| (*k, v.to_string())));
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ok(api.call("SYNO.Foto.Browse.Item", "set", 2, &all));
    };
    set(canon, &[("rating", "5")]);
    set(pentax, &[("rating", "5")]);
    set(jolla, &[("description", "\"Sunday at the harbour\"")]);

    // The last 30 days: what exiftool dates so, and a photo whose date was set to five days ago.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    set(jolla, &[("time", &(now - 5 * 86400).to_string())]);
    let recent = create(&api, "Last 30 days", &json!({ "recent_days": 30 }));
    let mut lately = expect(&|p| p.taken.is_some_and(|t| t >= now - 30 * 86400) && p.path != "mobile/jolla.jpg");
    lately.insert("jolla.jpg".into());
    assert_eq!(members(&api, recent), lately);
    let tag = ok(api.call("SYNO.Foto.Browse.GeneralTag", "create", 1, &[("name", "\"Iceland\"")]))["tag"]["id"]
        .as_i64()
        .unwrap();
    ok(api.call("SYNO.Foto.Browse.Item", "add_tag", 5, &[("id", &format!("[{jolla}]")), ("tag", &format!("[{tag}]"))]));
    let five_stars = create(&api, "Five stars", &json!({ "rating": [5] }));
    assert_eq!(members(&api, five_stars), BTreeSet::from(["Canon_40D.jpg".into(), "Pentax_K10D.jpg".into()]));
    let described = create(&api, "Harbour", &json!({ "keyword": "harbour" }));
    assert_eq!(members(&api, described), BTreeSet::from(["jolla.jpg".to_string()]));
    let tagged = create(&api, "Iceland", &json!({ "general_tag": [tag] }));
    assert_eq!(members(&api, tagged), BTreeSet::from(["jolla.jpg".to_string()]));

    // Suggestions for a field of the editor: the library's values with their ids, by a part of the name.
    let suggested = ok(api.call(
        "SYNO.Foto.Browse.ConditionAlbum",
        "suggest",
        1,
        &[("field", "\"camera\""), ("keyword", "\"p60\"")],
    ));
    assert_eq!(suggested["list"], json!([{ "id": facet_id(&api, "camera", nikon), "name": nikon }]));
    let unknown = api.call("SYNO.Foto.Browse.ConditionAlbum", "suggest", 1, &[("field", "\"colour\"")]);
    assert_eq!(error_code(&unknown), 114);

    // All and any.
    let both = json!({ "camera": [facet_id(&api, "camera", nikon)], "iso": { "min": 64, "max": 64 } });
    let all = create(&api, "P6000 at ISO 64", &both);
    assert_eq!(members(&api, all), expect(&|p| p.camera == nikon && p.iso == Some(64.0)));
    let mut either = both.clone();
    either["policy"] = json!("any");
    let any = create(&api, "P6000 or ISO 64", &either);
    assert_eq!(members(&api, any), expect(&|p| p.camera == nikon || p.iso == Some(64.0)));
    let peeked =
        ok(api.call("SYNO.Foto.Browse.ConditionAlbum", "peek_item_count", 1, &[("condition", &either.to_string())]));
    assert_eq!(peeked["count"].as_u64().unwrap() as usize, members(&api, any).len());

    // Edited in and out: a photo rated 5 joins at once, and leaves when the rating goes.
    let jolla_rated = BTreeSet::from(["Canon_40D.jpg".into(), "Pentax_K10D.jpg".into(), "jolla.jpg".to_string()]);
    set(jolla, &[("rating", "5")]);
    assert_eq!(members(&api, five_stars), jolla_rated);
    set(canon, &[("rating", "0")]);
    assert_eq!(members(&api, five_stars), BTreeSet::from(["Pentax_K10D.jpg".into(), "jolla.jpg".to_string()]));

    // The folders are where the album looks: with "any", its conditions are joined inside them (here the top
    // folder only: the five-star jolla.jpg and exif-org/canon-ixus.jpg are in subfolders).
    let inside = json!({ "folder_filter": [samples], "rating": [5], "keyword": "canon", "policy": "any" });
    let top_any = create(&api, "Top folder, five stars or Canon", &inside);
    let expected: BTreeSet<String> =
        ["Pentax_K10D.jpg", "Canon_40D.jpg", "Canon_DIGITAL_IXUS_400.jpg", "Canon_PowerShot_S40.jpg"]
            .map(String::from)
            .into();
    assert_eq!(members(&api, top_any), expected);

    // The condition reads back as it was given, and can be changed.
    let got = list(&api.call("SYNO.Foto.Browse.ConditionAlbum", "get", 1, &[("id", &format!("[{any}]"))]))[0].clone();
    assert_eq!(got["condition"]["policy"], "any");
    assert_eq!(got["condition"]["iso"], json!({ "min": 64.0, "max": 64.0 }));
    assert_eq!(got["condition"]["camera"], either["camera"]);
    let changed = api.call(
        "SYNO.Foto.Browse.ConditionAlbum",
        "set_condition",
        1,
        &[("id", &five_stars.to_string()), ("condition", &json!({ "rating": [5], "keyword": "pentax" }).to_string())],
    );
    ok(changed);
    assert_eq!(members(&api, five_stars), BTreeSet::from(["Pentax_K10D.jpg".to_string()]));
    let conditioned =
        list(&api.call("SYNO.Foto.Browse.ConditionAlbum", "list", 1, &[("offset", "0"), ("limit", "100")])).len();
    let albums = list(&api.call("SYNO.Foto.Browse.Album", "list", 4, &[("offset", "0"), ("limit", "100")])).len();
    let normal = list(&api.call("SYNO.Foto.Browse.NormalAlbum", "list", 1, &[("offset", "0"), ("limit", "100")])).len();
    assert_eq!((conditioned, albums, normal), (20, 20, 0), "each created album, listed by Album and ConditionAlbum");
    // By start time, condition albums sort by their members' first date like any album, page after page.
    let by_start = |offset: &str| {
        let page = [("offset", offset), ("limit", "9"), ("sort_by", "\"start_time\""), ("sort_direction", "\"asc\"")];
        list(&api.call("SYNO.Foto.Browse.Album", "list", 4, &page)).to_vec()
    };
    let starts: Vec<i64> =
        [by_start("0"), by_start("9")].concat().iter().map(|a| a["start_time"].as_i64().unwrap()).collect();
    assert_eq!(starts.len(), 18, "two pages of nine");
    assert!(starts.windows(2).all(|w| w[0] <= w[1]) && starts[0] < starts[17], "{starts:?}");
    // Renamed as any album is (ConditionAlbum has no set_name of its own).
    let renamed = api.call(
        "SYNO.Foto.Browse.Album",
        "set_name",
        1,
        &[("id", &format!("[{top_any}]")), ("name", "\"Top picks\"")],
    );
    ok(renamed);

    // Bad conditions: an unknown key, nothing at all, a folder that is not the caller's.
    for bad in [
        json!({ "colour": ["red"] }),
        json!({}),
        json!({ "folder_filter": [999999] }),
        json!({ "time": [{}] }),
        json!({ "time": [{ "start": 0 }, { "end_time": 5 }] }),
        json!({ "iso": { "minimum": 100 } }),
    ] {
        let refused = api.call(
            "SYNO.Foto.Browse.ConditionAlbum",
            "create",
            1,
            &[("name", "\"bad\""), ("condition", &bad.to_string())],
        );
        assert_eq!(refused["success"], false, "{bad}: {refused}");
    }
    // No photo goes into or out of a condition album by hand.
    let added = api.call(
        "SYNO.Foto.Browse.NormalAlbum",
        "add_item",
        1,
        &[("id", &five_stars.to_string()), ("item", &format!("[{canon}]"))],
    );
    assert_eq!(error_code(&added), 642);

    // Nobody else sees it, lists it or changes it: 642, as for one that does not exist.
    let mut other = Api::new(&daemon.base_url());
    assert_eq!(other.login(bob.name, bob.password)["success"], true);
    assert!(list(&other.call("SYNO.Foto.Browse.ConditionAlbum", "list", 1, &[("offset", "0"), ("limit", "100")]))
        .is_empty());
    let album = five_stars.to_string();
    for (api_name, method, params) in [
        ("SYNO.Foto.Browse.ConditionAlbum", "get", vec![("id", format!("[{album}]"))]),
        ("SYNO.Foto.Browse.Album", "get", vec![("id", format!("[{album}]"))]),
        (
            "SYNO.Foto.Browse.Item",
            "list",
            vec![("album_id", album.clone()), ("offset", "0".into()), ("limit", "9".into())],
        ),
        (
            "SYNO.Foto.Browse.ConditionAlbum",
            "set_condition",
            vec![("id", album.clone()), ("condition", r#"{"rating":[1]}"#.into())],
        ),
    ] {
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(error_code(&other.call(api_name, method, 1, &params)), 642, "{api_name} {method}");
    }
    assert_eq!(members(&api, five_stars), BTreeSet::from(["Pentax_K10D.jpg".to_string()]), "bob changed nothing");

    // Shared by a link like any album: its holder sees what the condition holds now, and nothing else.
    let link = ok(api.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"album\""), ("album_id", &five_stars.to_string()), ("enabled", "true")],
    ));
    let holder = LinkHolder::new(&daemon.base_url(), link["passphrase"].as_str().unwrap(), Naming::Header);
    assert_eq!(holder.listed_names(), Ok(vec!["Pentax_K10D.jpg".to_string()]));
    // A link to the videos album reaches its video, and not the video half of the Live Photo, whose photo the
    // album does not hold (the half is a video file of its own).
    let videos_link = ok(api.call(
        "SYNO.Foto.Sharing.Passphrase",
        "set_shared",
        1,
        &[("policy", "\"album\""), ("album_id", &videos.to_string()), ("enabled", "true")],
    ));
    let videos_holder =
        LinkHolder::new(&daemon.base_url(), videos_link["passphrase"].as_str().unwrap(), Naming::Header);
    assert_eq!(videos_holder.listed_names(), Ok(vec![file_name(VIDEO)]));
    let half: i64 =
        lib.db().query_row("SELECT id FROM item WHERE filename = 'IMG_0001.MOV'", [], |r| r.get(0)).unwrap();
    for (api_name, method, params) in [
        ("SYNO.Foto.Browse.Item", "get", vec![("id", format!("[{half}]"))]),
        ("SYNO.Foto.Download", "download", vec![("unit_id", format!("[{half}]"))]),
        ("SYNO.Foto.Thumbnail", "get", vec![("id", half.to_string()), ("size", "sm".into()), ("type", "unit".into())]),
    ] {
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = videos_holder.call(api_name, method, 1, &params);
        assert_eq!(answer["success"], false, "{api_name} {method} of the video half: {answer}");
    }
    let seen = ok(holder.call("SYNO.Foto.Browse.Album", "get", 4, &[("id", &format!("[{five_stars}]"))]));
    assert_eq!(seen["list"][0]["condition"], json!({}), "the holder sees the photos, not the condition");
    set(canon, &[("rating", "5"), ("description", "\"pentax envy\"")]);
    assert_eq!(holder.listed_names(), Ok(vec!["Canon_40D.jpg".to_string(), "Pentax_K10D.jpg".to_string()]));

    // Preferences are each user's own, and a value they cannot take changes nothing.
    let setting =
        |who: &Api, method: &str, params: &[(&str, &str)]| who.call("SYNO.Foto.Setting.User", method, 1, params);
    let defaults = ok(setting(&api, "get", &[]));
    assert_eq!((&defaults["sort_by"], &defaults["sort_direction"]), (&json!("takentime"), &json!("desc")));
    let refused = setting(&api, "set", &[("sort_by", "\"filename\""), ("sort_direction", "\"sideways\"")]);
    assert_eq!(error_code(&refused), 114);
    assert_eq!(ok(setting(&api, "get", &[]))["sort_by"], "takentime", "nothing set by a refused call");
    ok(setting(&api, "set", &[("sort_by", "\"create_time\""), ("show_team_space", "false")]));
    let mine = ok(setting(&api, "get", &[]));
    assert_eq!((&mine["sort_by"], &mine["show_team_space"]), (&json!("create_time"), &json!(false)));
    assert_eq!(ok(setting(&other, "get", &[]))["sort_by"], "takentime", "bob's own");
    ok(setting(&api, "set", &[("sort_by", "\"takentime\""), ("show_team_space", "true")]));

    // Every space of the server, with what it holds and what indexing still has to do: to a Photos administrator
    // only.
    assert_eq!(error_code(&api.call("SYNO.Foto.Setting.Admin", "get", 1, &[])), 105);
    let mut admin = Api::new(&daemon.base_url());
    assert_eq!(admin.login(dave.name, dave.password)["success"], true);
    let hers = || {
        let overview = ok(admin.call("SYNO.Foto.Setting.Admin", "get", 1, &[]));
        let spaces = overview["spaces"].as_array().unwrap().clone();
        spaces.into_iter().find(|s| s["owner"] == alice.name).unwrap_or_else(|| panic!("{overview}"))
    };
    // The photos, the video and the Live Photo; the work still waiting there (transcodes may still run) ends.
    assert_eq!((hers()["items"].as_u64(), hers()["type"].as_str()), (Some(photos.len() as u64 + 2), Some("personal")));
    wait_for("alice's space has no work waiting", 120, || hers()["waiting"] == 0);

    // The portal, on the same library: the condition editor, the automatic albums and Settings in Chromium.
    let october = (utc(2008, 10, 1, 0), utc(2008, 11, 1, 0));
    let in_october = |p: &Photo| p.camera == nikon && p.taken.is_some_and(|t| t >= october.0 && t < october.1);
    let conditions = json!({
        "camera": nikon,
        "from": "2008-10-01",
        "to": "2008-10-31",
        "count": photos.iter().filter(|p| in_october(p)).count(),
        "iso": "64",
        "with_iso": photos.iter().filter(|p| in_october(p) && p.iso == Some(64.0)).count(),
        "videos": 1,
        "tag": "Iceland",
        "tagged": 1,
        // The photos, the video and the Live Photo.
        "items": photos.len() + 2,
    });
    shared_folder(&other, "/Family"); // bob sees it, until the administrator's change below
    let admin_login = format!("{}:{}", dave.name, dave.password);
    let conditions = conditions.to_string();
    let env: [(&str, &std::ffi::OsStr); 2] =
        [("PHOTOSD_CONDITIONS", conditions.as_ref()), ("PHOTOSD_ADMIN", admin_login.as_ref())];
    let shots =
        ["condition-editor.png", "condition-album.png", "albums-automatic.png", "settings.png", "settings-admin.png"];
    photosd_tests::run_e2e("condition_albums.test.mjs", &daemon.base_url(), &alice, &env, &shots);
    // What the administrator set in the browser holds: Family is hidden from everyone but alice, who views it.
    let family = shared_folder(&admin, "/Family");
    let config = ok(admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "get_config", 1, &[("id", &family)]));
    let rules: BTreeSet<(String, String)> = config["permission"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["member"]["name"].as_str().unwrap_or("").to_string(), r["role"].as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> =
        [("everyone".to_string(), "none".to_string()), (alice.name.to_string(), "view".to_string())].into();
    assert_eq!(rules, expected, "{config}");
    assert_eq!(shared_folder(&api, "/Family"), family, "alice still sees Family");
    let root = other.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "100")]);
    assert!(list(&root).iter().all(|f| f["name"] != "/Family"), "bob no longer sees Family: {root}");
}

/// The id of a top folder of the Shared Space, as `api`'s caller sees it.
fn shared_folder(api: &Api, name: &str) -> String {
    let root = api.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "100")]);
    list(&root).iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("{name} in {root}"))["id"].to_string()
}

/// The file names `Browse.Item list` gives for one narrowing parameter (`person_id`, `concept_id`).
fn listed_by(api: &Api, key: &str, id: i64) -> BTreeSet<String> {
    let got =
        api.call("SYNO.Foto.Browse.Item", "list", 5, &[(key, &id.to_string()), ("offset", "0"), ("limit", "500")]);
    list(&got).iter().map(|i| i["filename"].as_str().unwrap().to_string()).collect()
}

/// Condition albums by person and by subject, on the labelled faces and dogs of the corpus, with the real
/// models: each holds exactly the person's or subject's own photos, which are photos the labels say are theirs
/// (all of them in every run so far), and a correction (a photo taken out of a person, or out of a subject) takes
/// it out of the album at once.
#[test]
fn condition_albums_follow_recognition_and_its_corrections() {
    use photosd_tests::people::{
        concepts, login, person_of_items, start_with_faces, wait_for_faces, wait_for_subjects,
    };
    let carol = test_user("pdt-cond-carol", "carol-Pa55word", &[GROUP]);
    let lib = Library::for_user(carol.name);
    let faces = corpus().join("faces");
    for who in ["barack_obama", "kit_harington"] {
        photosd_tests::copy_tree(&faces.join(who), &lib.photos().join(who));
    }
    let dog_photos = ["darknet/dog.jpg", "photoprism/dog_orange.jpg", "photoprism/dog_toshi_red.jpg"];
    for dog in dog_photos {
        let to = lib.photos().join("dogs").join(dog.replace('/', "_"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(corpus().join("subjects").join(dog), to).unwrap();
    }
    let photos = photosd_tests::files_under(&lib.photos()).len();
    let daemon = start_with_faces(&lib, std::path::Path::new(""), &[]);
    let api = login(&daemon, &carol);
    wait_for_faces(&api, "SYNO.Foto", photos);
    wait_for_subjects(&api, "SYNO.Foto", photos);
    let items = api.call("SYNO.Foto.Browse.Item", "list", 5, &[("offset", "0"), ("limit", "500")]);
    let id_of = |name: &str| list(&items).iter().find(|i| i["filename"] == name).unwrap()["id"].as_i64().unwrap();

    // A person: Obama's, as clustering made it.
    let obama = person_of_items(&api, "SYNO.Foto", &[id_of("fr_obama.jpg")])[&id_of("fr_obama.jpg")];
    assert_ne!(obama, 0, "a person for Obama's photos");
    let labelled: BTreeSet<String> = photosd_tests::files_under(&faces.join("barack_obama"))
        .iter()
        .map(|p| file_name(&p.to_string_lossy()))
        .collect();
    let recognised = listed_by(&api, "person_id", obama);
    // Clustering depends a little on the order the faces were found in (tests/tests/people.rs): all of his
    // photos here in every run so far, but never a photo of someone else.
    assert!(recognised.is_subset(&labelled) && recognised.len() + 2 >= labelled.len(), "{recognised:?}");
    eprintln!("Obama's person holds {} of his {} labelled photos", recognised.len(), labelled.len());
    let his = create(&api, "Barack", &json!({ "person": [obama] }));
    assert_eq!(members(&api, his), recognised);
    // Corrected by the user: a photo separated into a person of its own leaves the album at once.
    let moved = recognised.iter().find(|name| *name != "fr_obama.jpg").unwrap().clone();
    let separated = api.call(
        "SYNO.Foto.Browse.Person",
        "separate",
        1,
        &[("id", &obama.to_string()), ("item_id", &format!("[{}]", id_of(&moved))), ("name", "\"Someone\"")],
    );
    ok(separated);
    let mut left = recognised.clone();
    left.remove(&moved);
    assert_eq!(members(&api, his), left, "{moved} left with its face");

    // A subject: the dogs, as the classifier found them.
    let dog = concepts(&api, "SYNO.Foto", false).into_iter().find(|c| c["name"] == "dog").expect("a dog subject");
    let dog = dog["id"].as_i64().unwrap();
    let found = listed_by(&api, "concept_id", dog);
    let labelled_dogs: BTreeSet<String> = dog_photos.iter().map(|d| d.replace('/', "_")).collect();
    assert!(found.is_subset(&labelled_dogs) && found.len() >= 2, "the dog subject holds labelled dogs: {found:?}");
    eprintln!("the classifier called {} of the {} labelled dogs dog", found.len(), labelled_dogs.len());
    let dogs = create(&api, "Dogs", &json!({ "concept": [dog] }));
    assert_eq!(members(&api, dogs), found);
    let wrong = found.iter().next().unwrap().clone();
    let hidden = api.call(
        "SYNO.Foto.Browse.Concept",
        "hide_item",
        1,
        &[("id", &dog.to_string()), ("item_id", &format!("[{}]", id_of(&wrong)))],
    );
    ok(hidden);
    let mut kept = found.clone();
    kept.remove(&wrong);
    assert_eq!(members(&api, dogs), kept, "{wrong} taken out of the subject, and so out of the album");
}
