//! The API catalogue: the definition files Synology Photos installs on DSM 7.2.1 (`daemon/catalog/*.lib`),
//! compiled in. `SYNO.API.Info` answers from it, and every call is checked against it (API, version, method)
//! before a handler runs, so photosd accepts exactly the versions and methods a real DSM accepts.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::error::ApiError;

const LIBS: [&str; 3] = [
    include_str!("../../catalog/SYNO.API.Auth.lib"),
    include_str!("../../catalog/SYNO.Foto.lib"),
    include_str!("../../catalog/SYNO.FotoTeam.lib"),
];

#[derive(Debug)]
pub struct ApiDef {
    pub min_version: u32,
    pub max_version: u32,
    /// 0 public, 1 login required, 2 login optional (share links).
    pub auth_level: u8,
    /// Methods by version.
    methods: BTreeMap<u32, Vec<String>>,
    /// The methods, by version, that the holder of a share link may call: those DSM's catalogue marks
    /// `allowSharing` (reading what a link shares) or `allowUpload` (adding to it).
    link_methods: BTreeMap<u32, Vec<String>>,
}

impl ApiDef {
    pub fn has_method(&self, version: u32, method: &str) -> bool {
        self.methods.get(&version).is_some_and(|m| m.iter().any(|n| n == method))
    }

    /// Whether a share link's holder may call this method at all (what it reaches is `service::access`'s to say).
    pub fn allows_link(&self, version: u32, method: &str) -> bool {
        self.link_methods.get(&version).is_some_and(|m| m.iter().any(|n| n == method))
    }
}

pub fn catalog() -> &'static BTreeMap<String, ApiDef> {
    static CATALOG: OnceLock<BTreeMap<String, ApiDef>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut apis: BTreeMap<String, ApiDef> = LIBS
            .iter()
            .flat_map(|lib| serde_json::from_str::<Map<String, Value>>(lib).expect("the catalogue is valid JSON"))
            .map(|(name, def)| (name, parse(&def)))
            .collect();
        apis.insert(
            "SYNO.API.Info".into(),
            ApiDef {
                min_version: 1,
                max_version: 1,
                auth_level: 0,
                methods: BTreeMap::from([(1, vec!["query".to_string()])]),
                link_methods: BTreeMap::new(),
            },
        );
        // DSM's own: opens a share link (with its password) and sets the sharing cookie.
        apis.insert(
            "SYNO.Core.Sharing.Login".into(),
            ApiDef {
                min_version: 1,
                max_version: 1,
                auth_level: 0,
                methods: BTreeMap::from([(1, vec!["login".to_string()])]),
                link_methods: BTreeMap::new(),
            },
        );
        // DSM's own, which published DSM libraries (py-synologydsm-api) ask for right after logging in.
        let getinfo = || vec!["getinfo".to_string()];
        apis.insert(
            "SYNO.DSM.Info".into(),
            ApiDef {
                min_version: 1,
                max_version: 2,
                auth_level: 1,
                methods: BTreeMap::from([(1, getinfo()), (2, getinfo())]),
                link_methods: BTreeMap::new(),
            },
        );
        // photosd's own, for the portal's map (see `api::map`); signed-in users only, like Geocoding.
        for family in ["Foto", "FotoTeam"] {
            apis.insert(
                format!("PHOTOSD.{family}.Map"),
                ApiDef {
                    min_version: 1,
                    max_version: 1,
                    auth_level: 1,
                    methods: BTreeMap::from([(1, vec!["list".to_string(), "get".to_string()])]),
                    link_methods: BTreeMap::new(),
                },
            );
        }
        apis
    })
}

fn parse(def: &Value) -> ApiDef {
    let number = |key: &str| def[key].as_u64().unwrap_or(0) as u32;
    // Each version lists methods as `{"name": {flags}}`; `wanted` picks by the flags.
    let methods = |wanted: &dyn Fn(&Value) -> bool| -> BTreeMap<u32, Vec<String>> {
        def["methods"]
            .as_object()
            .map(|by_version| {
                by_version
                    .iter()
                    .filter_map(|(v, list)| {
                        let names = list
                            .as_array()?
                            .iter()
                            .filter_map(|m| m.as_object()?.iter().next())
                            .filter(|(_, flags)| wanted(flags))
                            .map(|(name, _)| name.clone());
                        Some((v.parse().ok()?, names.collect()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let flag = |flags: &Value, name: &str| flags[name].as_bool().unwrap_or(false);
    ApiDef {
        min_version: number("minVersion"),
        max_version: number("maxVersion"),
        auth_level: number("authLevel") as u8,
        methods: methods(&|_| true),
        link_methods: methods(&|flags| flag(flags, "allowSharing") || flag(flags, "allowUpload")),
    }
}

/// Checks a call against the catalogue: unknown API → 102, version out of range → 104, unknown method → 103.
pub fn check(api: &str, version: u32, method: &str) -> Result<&'static ApiDef, ApiError> {
    let def = catalog().get(api).ok_or(ApiError::NoSuchApi)?;
    if version < def.min_version || version > def.max_version {
        return Err(ApiError::BadVersion);
    }
    if !def.has_method(version, method) {
        return Err(ApiError::NoSuchMethod);
    }
    Ok(def)
}

/// `SYNO.API.Info query`: `query` is `all`, or a comma-separated list of API names and prefixes ending in `.`.
pub fn info(query: &str) -> Value {
    let wanted: Vec<&str> = query.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let matches =
        |name: &str| wanted.iter().any(|w| *w == "all" || *w == name || (w.ends_with('.') && name.starts_with(w)));
    let mut answer = Map::new();
    for (name, def) in catalog().iter().filter(|(name, _)| matches(name)) {
        let mut entry = json!({ "maxVersion": def.max_version, "minVersion": def.min_version });
        // As DSM 7 answers (py-synologydsm-api's recorded query=all): everything on entry.cgi, and every API but
        // the Auth family takes JSON-encoded values.
        entry["path"] = "entry.cgi".into();
        if !name.starts_with("SYNO.API.Auth") && !name.starts_with("SYNO.DSM.") {
            entry["requestFormat"] = "JSON".into();
        }
        answer.insert(name.clone(), entry);
    }
    Value::Object(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_methods_come_from_the_catalogue() {
        assert_eq!(catalog()["SYNO.Foto.Browse.Item"].max_version, 5);
        assert!(check("SYNO.Foto.Browse.Item", 1, "list").is_ok());
        assert_eq!(check("SYNO.Foto.Nope", 1, "list").unwrap_err().code(), 102);
        assert_eq!(check("SYNO.Foto.Browse.Item", 9, "list").unwrap_err().code(), 104);
        assert_eq!(check("SYNO.Foto.Browse.Item", 1, "frobnicate").unwrap_err().code(), 103);
        assert!(check("SYNO.API.Auth", 7, "login").is_ok());
        assert_eq!(check("SYNO.API.Auth", 1, "login").unwrap_err().code(), 103, "login arrived in version 3");
    }

    #[test]
    fn a_link_may_call_only_what_the_catalogue_marks_for_sharing() {
        let item = &catalog()["SYNO.Foto.Browse.Item"];
        assert!(item.allows_link(4, "list") && item.allows_link(4, "get"));
        assert!(!item.allows_link(4, "delete") && !item.allows_link(4, "list_with_filter"));
        assert!(catalog()["SYNO.FotoTeam.Upload.Item"].allows_link(1, "upload"));
        assert!(!catalog()["SYNO.Foto.Browse.Folder"].allows_link(1, "list"));
        assert!(!catalog()["SYNO.Foto.Browse.Timeline"].allows_link(5, "get"));
        assert!(check("SYNO.Core.Sharing.Login", 1, "login").is_ok());
    }

    #[test]
    fn info_answers_prefixes_and_names() {
        let answer = info("SYNO.API.Auth,SYNO.Foto.");
        assert_eq!(answer["SYNO.API.Auth"]["maxVersion"], 7);
        assert_eq!(answer["SYNO.Foto.Browse.Folder"]["path"], "entry.cgi");
        assert_eq!(answer["SYNO.Foto.Browse.Folder"]["requestFormat"], "JSON");
        assert!(answer.get("SYNO.FotoTeam.Browse.Folder").is_none());
        assert!(info("all").as_object().unwrap().len() > 60);
    }
}
