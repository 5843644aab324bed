//! Places through the web API, on the GPS-tagged files of the corpus: the geocode stage gives each its country,
//! state, county and city, offline; these are measured against an independent reverse geocoder (the PyPI package
//! `reverse-geocode`, run by `tests/geo/reference.py` on the positions photosd read), with the figures printed.
//! Then the Geocoding album, filters, search and the timeline's places, and nobody sees another user's places.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use photosd_tests::api_library::{list, ok, GROUP};
use photosd_tests::{corpus, error_code, run_e2e, test_user, wait_for, workspace, Api, Daemon, Library, TestUser};
use serde_json::{json, Value};

/// Where `models/fetch.sh` (run by tests/setup.sh) puts the place data.
fn geo_data() -> String {
    workspace().join("target/geo").display().to_string()
}

fn start(lib: &Library) -> Daemon {
    let data = geo_data();
    Daemon::launch(
        lib,
        std::path::Path::new(""),
        &[("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP), ("PHOTOSD_PLACES_DATA_DIR", &data)],
    )
}

fn login(daemon: &Daemon, user: &TestUser) -> Api {
    let mut api = Api::new(&daemon.base_url());
    assert_eq!(api.login(user.name, user.password)["success"], true);
    api
}

/// The corpus files exiftool read a position from (its reference readings, `exiftool.json`).
fn gps_files() -> Vec<String> {
    let all: Vec<Value> = serde_json::from_slice(&std::fs::read(corpus().join("exiftool.json")).unwrap()).unwrap();
    all.iter()
        .filter(|e| e["Composite:GPSLatitude"].is_number() && e["Composite:GPSLongitude"].is_number())
        .map(|e| e["SourceFile"].as_str().unwrap().to_string())
        .filter(|f| !f.ends_with(".exif"))
        .collect()
}

/// Every item of the caller's Personal Space with `additional` blocks.
fn items(api: &Api, additional: &str) -> Vec<Value> {
    let got =
        api.call("SYNO.Foto.Browse.Item", "list", 4, &[("offset", "0"), ("limit", "5000"), ("additional", additional)]);
    list(&got).clone()
}

/// Waits until no item is left to place and every file is indexed.
fn wait_for_places(api: &Api, files: usize) {
    wait_for("every file indexed and placed", 300, || {
        let index = api.call("SYNO.Foto.Index", "get", 1, &[]);
        let count = api.call("SYNO.Foto.Browse.Item", "count", 4, &[]);
        index["data"]["geo_coding"] == 0
            && index["data"]["basic"] == 0
            && count["data"]["count"].as_u64().is_some_and(|n| n as usize >= files)
    });
}

/// The items `Search.Search` finds for `word`.
fn search(api: &Api, word: &str) -> Vec<Value> {
    let found =
        api.call("SYNO.Foto.Search.Search", "list_item", 6, &[("keyword", word), ("offset", "0"), ("limit", "100")]);
    list(&found).clone()
}

/// The reference geocoder's answers for the positions, in order.
fn reference(positions: &[(f64, f64)]) -> Vec<Value> {
    let python = workspace().join("target/geoenv/bin/python");
    let mut child = Command::new(&python)
        .arg(workspace().join("tests/geo/reference.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} runs (tests/setup.sh makes it): {e}", python.display()));
    let input = serde_json::to_vec(&positions.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>()).unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &input).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "reference.py failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The same place name, written in ASCII or not ("Tübingen", "Tubingen", "Tuebingen"), with or without a word
/// of its kind ("Helsinki" and "Helsinki sub-region").
fn same_name(a: &str, b: &str) -> bool {
    let fold = |s: &str| {
        let ascii: String = s
            .to_lowercase()
            .chars()
            .map(|c| match c {
                'ä' | 'á' | 'à' | 'â' | 'å' | 'ã' => 'a',
                'ö' | 'ó' | 'ò' | 'ô' | 'õ' | 'ø' => 'o',
                'ü' | 'ú' | 'ù' | 'û' => 'u',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'ç' => 'c',
                'ñ' => 'n',
                c => c,
            })
            .collect();
        let words: Vec<String> = ascii
            .replace("ue", "u")
            .replace("oe", "o")
            .replace("ae", "a")
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        words
    };
    let (a, b) = (fold(a), fold(b));
    !a.is_empty() && !b.is_empty() && (a.iter().all(|w| b.contains(w)) || b.iter().all(|w| a.contains(w)))
}

#[test]
fn places_match_an_independent_geocoder_on_the_corpus() {
    let ann = test_user("pdt-geo-ann", "ann-Pa55word", &[GROUP]);
    let lib = Library::for_user(ann.name);
    let files = gps_files();
    assert!(files.len() >= 60, "the corpus has its GPS-tagged files: {}", files.len());
    for file in &files {
        let to = lib.photos().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(corpus().join(file), &to).unwrap();
    }
    let daemon = start(&lib);
    let api = login(&daemon, &ann);
    wait_for_places(&api, files.len() - 5);
    let placed: Vec<Value> =
        items(&api, r#"["gps","address"]"#).into_iter().filter(|i| i["additional"]["gps"].is_object()).collect();
    let positions: Vec<(f64, f64)> = placed
        .iter()
        .map(|i| {
            (
                i["additional"]["gps"]["latitude"].as_f64().unwrap(),
                i["additional"]["gps"]["longitude"].as_f64().unwrap(),
            )
        })
        .collect();
    let theirs = reference(&positions);
    let (mut countries, mut cities, mut on_land, mut at_sea) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for ((item, ours), (theirs, position)) in
        placed.iter().zip(placed.iter().map(|i| &i["additional"]["address"])).zip(theirs.iter().zip(&positions))
    {
        let name = item["filename"].as_str().unwrap();
        if ours["country_code"] == "" {
            // No place at all: only right at sea, where the nearest town the reference found is far off.
            assert!(theirs["km"].as_f64().unwrap() > 12.0, "{name} at {position:?} has no place, but {theirs} is near");
            at_sea += 1;
            continue;
        }
        on_land += 1;
        assert_eq!(item["additional"]["geocoding_id"].as_i64().map(|id| id > 0), Some(true), "{item}");
        if ours["country_code"] == theirs["country_code"] {
            countries += 1;
        } else {
            misses.push(format!(
                "{name} {position:?}: country {} / reference {}",
                ours["country_code"], theirs["country_code"]
            ));
        }
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        // Their city may be a quarter of a city (GeoNames has both), which is our district.
        let city_agrees =
            same_name(&s(&ours["city"]), &s(&theirs["city"])) || same_name(&s(&ours["district"]), &s(&theirs["city"]));
        if city_agrees || same_name(&s(&ours["county"]), &s(&theirs["county"])) {
            cities += 1;
        } else {
            misses.push(format!(
                "{name} {position:?}: {} / {} / {} — reference {} / {} ({} km)",
                ours["district"], ours["city"], ours["county"], theirs["city"], theirs["county"], theirs["km"]
            ));
        }
    }
    let pct = |n: usize| 100.0 * n as f64 / on_land.max(1) as f64;
    println!(
        "places on {} GPS-tagged corpus files ({} with a position read, {at_sea} at sea): country agrees {countries}/{on_land} ({:.1}%), city or county {cities}/{on_land} ({:.1}%)",
        files.len(),
        placed.len(),
        pct(countries),
        pct(cities)
    );
    for miss in &misses {
        println!("  {miss}");
    }
    assert!(on_land >= 50, "most of the corpus' positions are placed: {on_land}");
    assert_eq!(countries, on_land, "the country agrees for every file");
    assert!(pct(cities) >= 90.0, "the city or its county agrees for ≥ 90%");
}

/// Berlin (three photos in Steglitz and Charlottenburg), Nice and Iceland from the corpus, for the API test.
const BERLIN: [&str; 3] = [
    "metadata_edge/photoprism/photoshop.jpg",
    "metadata_edge/photoprism/digikam.jpg",
    "subjects/photoprism/building_mono.jpg",
];
const ELSEWHERE: [&str; 2] = ["orientation/photoprism/orientation.jpg", "camera_jpeg/photoprism/Iceland-P3.jpg"];

#[test]
fn the_places_album_filters_and_search_and_nobody_sees_anothers_places() {
    let ann = test_user("pdt-geo-ann", "ann-Pa55word", &[GROUP]);
    let ben = test_user("pdt-geo-ben", "ben-Pa55word", &[GROUP]);
    let lib = Library::for_user(ann.name);
    for file in BERLIN.iter().chain(&ELSEWHERE) {
        std::fs::create_dir_all(lib.photos()).unwrap();
        std::fs::copy(corpus().join(file), lib.photos().join(file.rsplit('/').next().unwrap())).unwrap();
    }
    std::fs::create_dir_all(lib.photos_of(ben.name)).unwrap();
    std::fs::copy(corpus().join("camera_jpeg/exiv2/FurnaceCreekInn.jpg"), lib.photos_of(ben.name).join("inn.jpg"))
        .unwrap();
    let daemon = start(&lib);
    let api = login(&daemon, &ann);
    let bens = login(&daemon, &ben);
    wait_for_places(&api, 5);
    wait_for_places(&bens, 1);

    // Items carry their address and geocoding id.
    let all = items(&api, r#"["address"]"#);
    let by_name: BTreeMap<String, &Value> =
        all.iter().map(|i| (i["filename"].as_str().unwrap().to_string(), i)).collect();
    let berlin = &by_name["photoshop.jpg"]["additional"];
    assert_eq!(berlin["address"]["country"], "Germany", "{berlin}");
    assert_eq!(berlin["address"]["country_code"], "DE");
    assert_eq!(berlin["address"]["state"], "Berlin");
    assert_eq!(berlin["address"]["city"], "Berlin", "Steglitz is a district of Berlin: {berlin}");
    assert_eq!(berlin["address"]["district"], "Steglitz");
    let city_id: i64 = berlin["address"]["city_id"].as_str().unwrap().parse().unwrap();
    let deepest = berlin["geocoding_id"].as_i64().unwrap();
    assert_eq!(berlin["address"]["district_id"], deepest.to_string(), "the item's place is its deepest");
    assert_eq!(by_name["orientation.jpg"]["additional"]["address"]["city"], "Nice");
    assert_eq!(by_name["Iceland-P3.jpg"]["additional"]["address"]["country"], "Iceland");

    // The album as a NAS lists it: the deepest places, with counts and covers.
    let leaves = list(&api.call(
        "SYNO.Foto.Browse.Geocoding",
        "list",
        1,
        &[("offset", "0"), ("limit", "100"), ("additional", r#"["thumbnail"]"#)],
    ))
    .clone();
    let total: i64 = leaves.iter().map(|p| p["item_count"].as_i64().unwrap()).sum();
    assert_eq!(total, 5, "every photo in one place: {leaves:?}");
    assert!(leaves.iter().all(|p| p["additional"]["thumbnail"]["cache_key"].is_string()), "{leaves:?}");
    let nice = leaves.iter().find(|p| p["country"] == "France").expect("a place in France");
    assert!(nice["name"].as_str().unwrap().ends_with("Nice") && nice["item_count"] == 1, "{nice}");
    assert_eq!(nice["path"][0]["name"], "France");
    assert_eq!(ok(api.call("SYNO.Foto.Browse.Geocoding", "count", 1, &[]))["count"], leaves.len());

    // The tree: countries, then what is below each, with the items anywhere below.
    let countries = list(&api.call(
        "SYNO.Foto.Browse.Geocoding",
        "list",
        1,
        &[("parent_id", "0"), ("offset", "0"), ("limit", "100")],
    ))
    .clone();
    let names: Vec<&str> = countries.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Germany", "France", "Iceland"], "most photos first: {countries:?}");
    assert_eq!(countries[0]["item_count"], 3);
    let germany = countries[0]["id"].as_i64().unwrap();
    let got = ok(api.call("SYNO.Foto.Browse.Geocoding", "get", 1, &[("id", &format!("[{germany}]"))]));
    let place = &got["list"][0];
    assert_eq!((place["name"].as_str(), place["level"].as_i64()), (Some("Germany"), Some(1)));
    let children = place["children"].as_array().unwrap();
    assert_eq!(children.len(), 1, "one state: {children:?}");
    assert_eq!((children[0]["name"].as_str(), children[0]["item_count"].as_i64()), (Some("Berlin"), Some(3)));

    // Items by place, at any level, in both forms; the timeline's and the search's places.
    let in_germany = api.call(
        "SYNO.Foto.Browse.Item",
        "list",
        4,
        &[("offset", "0"), ("limit", "100"), ("geocoding_id", &germany.to_string())],
    );
    assert_eq!(list(&in_germany).len(), 3);
    let in_city = api.call(
        "SYNO.Foto.Browse.Item",
        "list_with_filter",
        4,
        &[("offset", "0"), ("limit", "100"), ("geocoding", &format!("[{city_id}]"))],
    );
    assert_eq!(list(&in_city).len(), 3, "the city holds its districts' photos");
    let in_district = api.call(
        "SYNO.Foto.Browse.Item",
        "list",
        4,
        &[("offset", "0"), ("limit", "100"), ("geocoding_id", &deepest.to_string())],
    );
    assert!(list(&in_district)
        .iter()
        .all(|i| by_name[i["filename"].as_str().unwrap()]["additional"]["geocoding_id"] == deepest));
    assert!(list(&in_district).iter().any(|i| i["filename"] == "photoshop.jpg"));
    let timeline = list(&api.call("SYNO.Foto.Browse.Timeline", "get_geocoding", 5, &[])).clone();
    assert_eq!(timeline.len(), leaves.len());
    let facet = ok(api.call("SYNO.Foto.Search.Filter", "list", 2, &[]));
    assert_eq!(facet["geocoding"].as_array().map(Vec::len), Some(leaves.len()), "{facet}");
    let found = search(&api, "Berlin");
    let found: Vec<&str> = found.iter().map(|i| i["filename"].as_str().unwrap()).collect();
    assert_eq!(found.len(), 3, "\"Berlin\" finds the photos taken there: {found:?}");
    let found = search(&api, "iceland");
    assert_eq!(found.len(), 1);
    let suggested = list(&api.call("SYNO.Foto.Search.Search", "suggest", 6, &[("keyword", "Nic")])).clone();
    assert!(suggested.iter().any(|s| s["type"] == "geocoding" && s["name"] == "Nice"), "{suggested:?}");

    // ben sees his own place only; ann's places are absent to him, and his to her.
    let his = list(&bens.call(
        "SYNO.Foto.Browse.Geocoding",
        "list",
        1,
        &[("parent_id", "0"), ("offset", "0"), ("limit", "100")],
    ))
    .clone();
    assert_eq!(his.len(), 1, "{his:?}");
    assert_eq!(his[0]["name"], "United States");
    for (who, id) in [(&bens, germany), (&bens, city_id), (&api, his[0]["id"].as_i64().unwrap())] {
        assert_eq!(error_code(&who.call("SYNO.Foto.Browse.Geocoding", "get", 1, &[("id", &format!("[{id}]"))])), 642);
        let filtered = who.call(
            "SYNO.Foto.Browse.Item",
            "list",
            4,
            &[("offset", "0"), ("limit", "100"), ("geocoding_id", &id.to_string())],
        );
        assert_eq!(error_code(&filtered), 642);
    }
    let searched = search(&bens, "Berlin");
    assert_eq!(searched.len(), 0);
    let suggested = list(&bens.call("SYNO.Foto.Search.Search", "suggest", 6, &[("keyword", "Berlin")])).clone();
    assert!(suggested.iter().all(|s| s["type"] != "geocoding"), "{suggested:?}");
}

/// The Shared Space: Berlin's photos in a folder everyone sees, Iceland's in one only administrators see.
#[test]
fn shared_places_follow_folder_permissions_and_the_map_and_location_edits() {
    let shared = tempfile::tempdir().unwrap();
    for (folder, files) in [("Family", &BERLIN[..]), ("Private", &ELSEWHERE[1..])] {
        std::fs::create_dir_all(shared.path().join(folder)).unwrap();
        for file in files {
            std::fs::copy(corpus().join(file), shared.path().join(folder).join(file.rsplit('/').next().unwrap()))
                .unwrap();
        }
    }
    let admins = "photosd-test-admins";
    let ann = test_user("pdt-geo-ann", "ann-Pa55word", &[GROUP]);
    let dan = test_user("pdt-geo-dan", "dan-Pa55word", &[GROUP, admins]);
    let lib = Library::for_user(ann.name);
    std::fs::create_dir_all(lib.photos()).unwrap();
    // A photo with no position, to be placed by hand.
    std::fs::copy(corpus().join("camera_jpeg/exif-samples/Canon_40D.jpg"), lib.photos().join("unplaced.jpg")).unwrap();
    let data = geo_data();
    let env = [
        ("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP),
        ("PHOTOSD_PLACES_DATA_DIR", data.as_str()),
        ("PHOTOSD_AUTH_ADMIN_GROUP", admins),
    ];
    let daemon = Daemon::launch(&lib, shared.path(), &env);
    let (admin, api) = (login(&daemon, &dan), login(&daemon, &ann));
    wait_for("the Shared Space placed", 120, || {
        let index = admin.call("SYNO.FotoTeam.Index", "get", 1, &[]);
        let count = admin.call("SYNO.FotoTeam.Browse.Item", "count", 4, &[]);
        index["data"]["geo_coding"] == 0 && count["data"]["count"] == 4
    });
    let root = admin.call("SYNO.FotoTeam.Browse.Folder", "list", 2, &[("id", "0"), ("limit", "10")]);
    let private = list(&root).iter().find(|f| f["name"] == "/Private").unwrap()["id"].to_string();
    let nobody = r#"[{"role":"none","member":{"type":"everyone"}}]"#;
    ok(admin.call("SYNO.FotoTeam.Sharing.FolderPermission", "update", 1, &[("id", &private), ("permission", nobody)]));

    // Places count only what each may see: the administrator both countries, ann only Germany.
    let countries = |who: &Api| -> Vec<(String, i64)> {
        let got = who.call(
            "SYNO.FotoTeam.Browse.Geocoding",
            "list",
            1,
            &[("parent_id", "0"), ("offset", "0"), ("limit", "50")],
        );
        list(&got)
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), c["item_count"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(countries(&admin), [("Germany".to_string(), 3), ("Iceland".to_string(), 1)]);
    assert_eq!(countries(&api), [("Germany".to_string(), 3)]);
    let iceland = list(&admin.call(
        "SYNO.FotoTeam.Browse.Geocoding",
        "list",
        1,
        &[("parent_id", "0"), ("offset", "0"), ("limit", "50")],
    ))[1]["id"]
        .to_string();
    assert_eq!(
        error_code(&api.call("SYNO.FotoTeam.Browse.Geocoding", "get", 1, &[("id", &format!("[{iceland}]"))])),
        642
    );

    // The map: the world's clusters of what each may see; a cluster's area lists its photos.
    let clusters = |who: &Api, family: &str, zoom: &str| -> Vec<Value> {
        let got = who.call(
            &format!("PHOTOSD.{family}.Map"),
            "list",
            1,
            &[("zoom", zoom), ("additional", r#"["thumbnail"]"#)],
        );
        list(&got).clone()
    };
    let total = |c: &[Value]| c.iter().map(|c| c["count"].as_i64().unwrap()).sum::<i64>();
    assert_eq!(total(&clusters(&admin, "FotoTeam", "3")), 4);
    let hers = clusters(&api, "FotoTeam", "3");
    assert_eq!((hers.len(), total(&hers)), (1, 3), "Berlin's three photos in one cluster: {hers:?}");
    assert!(hers[0]["additional"]["thumbnail"]["cache_key"].is_string());
    assert_eq!(total(&clusters(&api, "FotoTeam", "14")), 3, "apart at street level, still three");
    let area = hers[0]["area"].to_string();
    let inside = api.call("SYNO.FotoTeam.Browse.Item", "list", 4, &[("offset", "0"), ("limit", "10"), ("area", &area)]);
    assert_eq!(list(&inside).len(), 3, "the cluster opens its photos");
    let bad = api.call("PHOTOSD.FotoTeam.Map", "list", 1, &[("zoom", "99")]);
    assert_eq!(error_code(&bad), 114);
    assert_eq!(ok(api.call("PHOTOSD.Foto.Map", "get", 1, &[]))["offline"], true);

    // A location set by hand: placed, on the map, in the sidecar; cleared: gone from all three.
    let mine =
        list(&api.call("SYNO.Foto.Browse.Item", "list", 4, &[("offset", "0"), ("limit", "10")]))[0]["id"].to_string();
    assert_eq!(total(&clusters(&api, "Foto", "0")), 0);
    let reykjavik = r#"{"latitude":64.1466,"longitude":-21.9426}"#;
    ok(api.call("SYNO.Foto.Browse.Item", "set", 2, &[("id", &format!("[{mine}]")), ("gps", reykjavik)]));
    let address = |api: &Api| {
        let got = api.call(
            "SYNO.Foto.Browse.Item",
            "get",
            2,
            &[("id", &format!("[{mine}]")), ("additional", r#"["address","gps"]"#)],
        );
        list(&got)[0]["additional"].clone()
    };
    wait_for("the edited photo placed", 30, || address(&api)["address"]["city"] == "Reykjavík");
    assert_eq!(total(&clusters(&api, "Foto", "0")), 1);
    let sidecar = std::fs::read_to_string(lib.photos().join("unplaced.jpg.xmp")).unwrap();
    assert!(sidecar.contains("exif:GPSLatitude=\"64,8.796000N\""), "{sidecar}");
    ok(api.call("SYNO.Foto.Browse.Item", "set", 2, &[("id", &format!("[{mine}]")), ("gps", "null")]));
    let cleared = address(&api);
    assert!(cleared["gps"].is_null() && cleared["address"]["country"] == "", "{cleared}");
    assert_eq!(total(&clusters(&api, "Foto", "0")), 0);
    let wrong = api.call(
        "SYNO.Foto.Browse.Item",
        "set",
        2,
        &[("id", &format!("[{mine}]")), ("gps", r#"{"latitude":91,"longitude":0}"#)],
    );
    assert_eq!(error_code(&wrong), 114);
}

/// The portal's Places album and map in a real browser (`tests/e2e/places.test.mjs`), with screenshots in
/// `target/e2e-screenshots/`.
#[test]
fn places_and_the_map_in_a_real_browser() {
    let ann = test_user("pdt-geo-ann", "ann-Pa55word", &[GROUP]);
    let lib = Library::for_user(ann.name);
    std::fs::create_dir_all(lib.photos()).unwrap();
    for file in BERLIN.iter().chain(&ELSEWHERE) {
        std::fs::copy(corpus().join(file), lib.photos().join(file.rsplit('/').next().unwrap())).unwrap();
    }
    std::fs::copy(corpus().join("camera_jpeg/exif-samples/Canon_40D.jpg"), lib.photos().join("unplaced.jpg")).unwrap();
    let daemon = start(&lib);
    let api = login(&daemon, &ann);
    wait_for_places(&api, 6);
    wait_for("every thumbnail", 120, || {
        lib.db()
            .query_row("SELECT count(*) FROM item WHERE thumb_state = 'ready'", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0)
            == 6
    });
    let places = json!({ "countries": ["Germany", "France", "Iceland"], "photos": 5 }).to_string();
    let shots = ["places.png", "place.png", "map.png", "map-area.png", "location-edit.png"];
    run_e2e("places.test.mjs", &daemon.base_url(), &ann, &[("PHOTOSD_PLACES", places.as_ref())], &shots);
}
