//! Request parameters as Synology clients send them: from the query string and the form body, each value
//! JSON-encoded (`"Iceland"`, `[1,2]`, `true`, `5`), though many clients send plain strings and numbers too, and
//! both forms are accepted. Every accessor names the parameter in its error, which becomes code 114.

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The largest page a list may ask for, as Synology's (`Browse.Item` lists at most 5,000).
pub const MAX_LIMIT: i64 = 5000;

/// The most ids one call may name: one page.
pub const MAX_IDS: usize = MAX_LIMIT as usize;

#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Later pairs win: the form body overrides the query string, as in DSM.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Params {
        Params { values: pairs.into_iter().collect() }
    }

    pub fn insert(&mut self, name: &str, value: String) {
        self.values.insert(name.to_string(), value);
    }

    pub fn raw(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The page a list asks for: `offset` (0 by default) and `limit` (1 to `MAX_LIMIT`, required).
    pub fn page(&self) -> Result<(i64, i64), ApiError> {
        let offset = self.opt_int("offset")?.unwrap_or(0);
        let limit = self.int("limit")?;
        if offset < 0 || !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::missing("limit"));
        }
        Ok((offset, limit))
    }

    /// A string: JSON-quoted (`"x"`) or plain (`x`).
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(raw) = self.raw(name) else { return Ok(None) };
        if raw.starts_with('"') {
            return serde_json::from_str(raw).map(Some).map_err(|_| ApiError::missing(name));
        }
        Ok(Some(raw.to_string()))
    }

    pub fn str(&self, name: &str) -> Result<String, ApiError> {
        self.opt_str(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// An integer: `5` or `"5"`.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.opt_str(name)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => s.trim().parse().map(Some).map_err(|_| ApiError::missing(name)),
        }
    }

    pub fn int(&self, name: &str) -> Result<i64, ApiError> {
        self.opt_int(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// A boolean: `true`/`false`, `"yes"`/`"no"`, `1`/`0`.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.opt_str(name)?.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("") => Ok(default),
            Some("true" | "yes" | "1" | "on") => Ok(true),
            Some("false" | "no" | "0" | "off") => Ok(false),
            Some(_) => Err(ApiError::missing(name)),
        }
    }

    /// A list of ids: `[1,2]`, `1`, `"1"` or `1,2`.
    pub fn ids(&self, name: &str) -> Result<Vec<i64>, ApiError> {
        self.opt_ids(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// A list of ids: `[1,2]` or `1,2`. More than `MAX_IDS` is refused (114): one call's work stays bounded.
    pub fn opt_ids(&self, name: &str) -> Result<Option<Vec<i64>>, ApiError> {
        let Some(raw) = self.raw(name) else { return Ok(None) };
        let bad = || ApiError::missing(name);
        let raw = raw.trim();
        let ids: Vec<i64> = if raw.starts_with('[') {
            let values: Vec<serde_json::Value> = serde_json::from_str(raw).map_err(|_| bad())?;
            values.iter().map(|v| as_id(v).ok_or_else(bad)).collect::<Result<_, _>>()?
        } else {
            let raw = raw.trim_matches('"');
            raw.split(',').map(|s| s.trim().parse().map_err(|_| bad())).collect::<Result<_, _>>()?
        };
        if ids.len() > MAX_IDS {
            return Err(ApiError::missing(format!("{name}: more than {MAX_IDS} ids")));
        }
        Ok(Some(ids))
    }

    /// A list of strings: `["a","b"]`, or one plain or quoted string (`additional=thumbnail`).
    pub fn strings(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let Some(raw) = self.raw(name) else { return Ok(Vec::new()) };
        if raw.trim_start().starts_with('[') {
            return serde_json::from_str(raw).map_err(|_| ApiError::missing(name));
        }
        Ok(self.opt_str(name)?.into_iter().filter(|s| !s.is_empty()).collect())
    }

    /// Any JSON value, decoded into `T`.
    pub fn opt_json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(raw) => serde_json::from_str(raw).map(Some).map_err(|_| ApiError::missing(name)),
        }
    }
}

fn as_id(value: &serde_json::Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn json_encoded_and_plain_values_both_work() {
        let p = params(&[("a", "\"Iceland\""), ("b", "Iceland"), ("n", "5"), ("q", "\"7\""), ("ids", "[1,\"2\"]")]);
        assert_eq!(p.str("a").unwrap(), "Iceland");
        assert_eq!(p.str("b").unwrap(), "Iceland");
        assert_eq!((p.int("n").unwrap(), p.int("q").unwrap()), (5, 7));
        assert_eq!(p.ids("ids").unwrap(), vec![1, 2]);
        assert_eq!(params(&[("id", "3")]).ids("id").unwrap(), vec![3]);
        assert_eq!(params(&[("x", "[\"thumbnail\",\"exif\"]")]).strings("x").unwrap(), ["thumbnail", "exif"]);
        assert_eq!(params(&[("x", "thumbnail")]).strings("x").unwrap(), ["thumbnail"]);
    }

    #[test]
    fn bad_and_missing_values_name_the_parameter() {
        let p = params(&[("n", "five"), ("ids", "[1,{}]"), ("f", "maybe")]);
        assert!(matches!(p.int("n"), Err(ApiError::Service(crate::domain::Error::BadParameter(ref n))) if n == "n"));
        assert!(p.ids("ids").is_err());
        assert!(p.flag("f", false).is_err());
        assert_eq!(p.int("absent").unwrap_err().code(), 114);
    }
}
