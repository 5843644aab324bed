//! People and Subjects through the web API, for the tests of both spaces: a daemon with the real models, waiting
//! for the faces and subjects stages to finish, and reading persons and subjects back. `family` is the API family: "SYNO.Foto" for the caller's
//! Personal Space, "SYNO.FotoTeam" for the Shared Space.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::api_library::{list, GROUP};
use crate::{wait_for, workspace, Api, Daemon, Library, TestUser};

/// Where `tests/setup.sh` puts the converted face models.
pub fn models() -> String {
    workspace().join("target/models").display().to_string()
}

/// The daemon on `lib` (and a Shared Space at `shared`, "" for none) with the face models, Photos users in
/// `GROUP`, and `env` besides.
pub fn start_with_faces(lib: &Library, shared: &Path, env: &[(&str, &str)]) -> Daemon {
    let models = models();
    let mut all = vec![("PHOTOSD_SPACES_ALLOWED_GROUP", GROUP), ("PHOTOSD_FACES_MODELS_DIR", models.as_str())];
    all.extend_from_slice(env);
    Daemon::launch(lib, shared, &all)
}

pub fn login(daemon: &Daemon, user: &TestUser) -> Api {
    let mut api = Api::new(&daemon.base_url());
    assert_eq!(api.login(user.name, user.password)["success"], true);
    api
}

/// Waits until every photo of the space was looked at for faces, the last faces job (which settles the persons)
/// ended, and no regrouping is queued or running.
pub fn wait_for_faces(api: &Api, family: &str, photos: usize) {
    wait_for("the faces of every photo", 600, || {
        let index = api.call(&format!("{family}.Index"), "get", 1, &[]);
        let face = &index["data"]["face"];
        face["total"].as_u64() == Some(photos as u64)
            && face["done"] == face["total"]
            && index["data"]["face_extraction"] == 0
            && index["data"]["person_clustering"] == 0
    });
}

/// The person of each item's largest face (0: none), through `list_face`.
pub fn person_of_items(api: &Api, family: &str, ids: &[i64]) -> HashMap<i64, i64> {
    let mut found = HashMap::new();
    for &id in ids {
        let faces = api.call(&format!("{family}.Browse.Person"), "list_face", 1, &[("id", &id.to_string())]);
        let largest = list(&faces).iter().max_by(|a, b| {
            let area = |f: &Value| f["bbox"]["width"].as_f64().unwrap() * f["bbox"]["height"].as_f64().unwrap();
            area(a).total_cmp(&area(b))
        });
        found.insert(id, largest.map_or(0, |f| f["person_id"].as_i64().unwrap()));
    }
    found
}

/// The persons `Browse.Person list` gives, hidden ones too when asked.
pub fn persons(api: &Api, family: &str, hidden_too: bool) -> Vec<Value> {
    let got = api.call(
        &format!("{family}.Browse.Person"),
        "list",
        1,
        &[("offset", "0"), ("limit", "500"), ("show_hidden", if hidden_too { "true" } else { "false" })],
    );
    assert_eq!(got["success"], true, "{got}");
    list(&got).to_vec()
}

/// Waits until every photo of the space was classified for its subjects (the same models folder holds the
/// subject classifier) and no subjects job is queued or running.
pub fn wait_for_subjects(api: &Api, family: &str, photos: usize) {
    wait_for("the subjects of every photo", 600, || {
        let index = api.call(&format!("{family}.Index"), "get", 1, &[]);
        let concept = &index["data"]["concept"];
        concept["total"].as_u64() == Some(photos as u64)
            && concept["done"] == concept["total"]
            && index["data"]["concept_detection"] == 0
    });
}

/// The subjects `Browse.Concept list` gives, hidden ones too when asked.
pub fn concepts(api: &Api, family: &str, hidden_too: bool) -> Vec<Value> {
    let got = api.call(
        &format!("{family}.Browse.Concept"),
        "list",
        1,
        &[("offset", "0"), ("limit", "500"), ("show_hidden", if hidden_too { "true" } else { "false" })],
    );
    assert_eq!(got["success"], true, "{got}");
    list(&got).to_vec()
}
