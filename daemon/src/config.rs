//! The configuration: defaults compiled in from `conf/photosd.toml`, then the user's file, then `PHOTOSD_*`
//! environment variables, then command-line flags. It is loaded and validated once, at start, and passed down
//! explicitly; nothing else reads the environment for settings.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The documented defaults; the same text is shipped as the example config.
pub const DEFAULT_TOML: &str = include_str!("../../conf/photosd.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("environment variable {var} names no config key; known keys: {known}")]
    UnknownEnv { var: String, known: String },
    #[error("config key {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub spaces: SpacesConfig,
    pub watch: WatchConfig,
    pub workers: WorkersConfig,
    pub log: LogConfig,
    pub thumbnails: ThumbnailsConfig,
    pub video: VideoConfig,
    pub auth: AuthConfig,
    pub edits: EditsConfig,
    pub faces: FacesConfig,
    pub places: PlacesConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacesConfig {
    pub enabled: bool,
    pub data_dir: String,
    /// A tile server's URL template for the portal's map; empty draws the shipped world outline.
    pub map_tile_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacesConfig {
    pub models_dir: String,
    /// People on in a space seen for the first time.
    pub people_by_default: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditsConfig {
    pub xmp_sidecars: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub backend: PasswordBackend,
    pub pam_service: String,
    pub dsm_url: String,
    pub admin_group: String,
    pub session_idle_minutes: i64,
    pub session_max_days: i64,
    pub max_failures: u32,
    pub failure_window_secs: u64,
    pub block_secs: u64,
}

/// Who checks passwords: PAM on a plain Linux box, DSM's own login on a Synology NAS (where photosd runs as
/// its package user and PAM cannot check other users' passwords).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordBackend {
    Pam,
    Dsm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoConfig {
    pub transcode: bool,
    pub concurrent_transcodes: usize,
    pub transcode_nice: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThumbnailsConfig {
    pub quality: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub max_connections: usize,
    pub max_upload_mb: u64,
    pub request_timeout_secs: u64,
    pub stall_timeout_secs: u64,
    pub run_as: String,
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub db_readers: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpacesConfig {
    pub personal_pattern: String,
    pub min_uid: u32,
    pub allowed_group: String,
    pub shared_root: String,
    /// What every Photos user may do in Shared Space folders that no folder rule covers.
    pub shared_default_role: crate::domain::Role,
    pub discovery_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchConfig {
    pub debounce_ms: u64,
    pub move_grace_ms: u64,
    pub fallback_rescan_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkersConfig {
    pub run_as: String,
    pub count: usize,
    pub timeout_secs: u64,
    pub memory_limit_mb: u64,
    pub cpu_limit_secs: u64,
    pub idle_exit_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub level: String,
}

/// Command-line values that override the file and the environment.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Config file (TOML). Defaults to $PHOTOSD_CONFIG, then /etc/photosd/photosd.toml if it exists.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Data directory: database and derived files.
    #[arg(long, value_name = "DIR", global = true)]
    pub data: Option<PathBuf>,
    /// HTTP listen address.
    #[arg(long, value_name = "ADDR:PORT", global = true)]
    pub listen: Option<SocketAddr>,
    /// Personal Space pattern; `*` is the user name, e.g. '/home/*/Photos'.
    #[arg(long, value_name = "GLOB", global = true)]
    pub personal_pattern: Option<String>,
    /// Shared Space root ('' disables it).
    #[arg(long, value_name = "DIR", global = true)]
    pub shared: Option<String>,
    /// Lowest uid that gets a Personal Space.
    #[arg(long, value_name = "UID", global = true)]
    pub min_uid: Option<u32>,
    /// Number of worker processes (0 = one per core).
    #[arg(long, value_name = "N", global = true)]
    pub workers: Option<usize>,
    /// Started as root, become this user after binding the port (default: server.run_as).
    #[arg(long, global = true, value_name = "USER")]
    pub run_as: Option<String>,
}

impl Config {
    /// Loads defaults, the config file, the environment and `flags`, in that order, and validates the result.
    pub fn load(flags: &Overrides) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(flags, &env)
    }

    pub fn load_from(flags: &Overrides, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut merged = parse(DEFAULT_TOML, Path::new("<built-in defaults>"))?;
        let env_file = env.iter().find(|(k, _)| k == "PHOTOSD_CONFIG").map(|(_, v)| PathBuf::from(v));
        let system_file = Path::new("/etc/photosd/photosd.toml");
        let file =
            flags.config.clone().or(env_file).or_else(|| system_file.exists().then(|| system_file.to_path_buf()));
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(&path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
            overlay(&mut merged, parse(&text, &path)?);
        }
        apply_env(&mut merged, env)?;
        let mut config: Config = merged.try_into().map_err(|e: toml::de::Error| ConfigError::Syntax {
            path: "<merged config>".into(),
            message: e.to_string(),
        })?;
        config.apply_flags(flags);
        config.validate()?;
        Ok(config)
    }

    fn apply_flags(&mut self, flags: &Overrides) {
        if let Some(v) = &flags.data {
            self.storage.data_dir = v.clone();
        }
        if let Some(v) = flags.listen {
            self.server.listen = v;
        }
        if let Some(v) = &flags.personal_pattern {
            self.spaces.personal_pattern = v.clone();
        }
        if let Some(v) = &flags.shared {
            self.spaces.shared_root = v.clone();
        }
        if let Some(v) = flags.min_uid {
            self.spaces.min_uid = v;
        }
        if let Some(v) = flags.workers {
            self.workers.count = v;
        }
        if let Some(v) = &flags.run_as {
            self.server.run_as = v.clone();
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| Err(ConfigError::Invalid { key, message: message.to_string() });
        let pattern = &self.spaces.personal_pattern;
        if !pattern.is_empty() && (!pattern.starts_with('/') || pattern.matches('*').count() != 1) {
            return invalid("spaces.personal_pattern", "must be an absolute path with exactly one `*` (the user name)");
        }
        if !self.spaces.shared_root.is_empty() && !self.spaces.shared_root.starts_with('/') {
            return invalid("spaces.shared_root", "must be an absolute path, or empty to disable the Shared Space");
        }
        if !self.storage.data_dir.is_absolute() {
            return invalid("storage.data_dir", "must be an absolute path");
        }
        if self.spaces.discovery_interval_secs == 0 {
            return invalid("spaces.discovery_interval_secs", "must be at least 1");
        }
        if self.workers.timeout_secs == 0 || self.workers.cpu_limit_secs == 0 {
            return invalid("workers.timeout_secs", "timeouts and CPU limits must be at least 1 second");
        }
        if self.workers.memory_limit_mb < 128 {
            return invalid("workers.memory_limit_mb", "must be at least 128 (decoders need room)");
        }
        if self.watch.fallback_rescan_secs == 0 {
            return invalid("watch.fallback_rescan_secs", "must be at least 1");
        }
        if !(1..=100).contains(&self.thumbnails.quality) {
            return invalid("thumbnails.quality", "must be between 1 and 100");
        }
        if self.server.request_timeout_secs == 0 || self.server.stall_timeout_secs == 0 {
            return invalid("server.request_timeout_secs / stall_timeout_secs", "must be at least 1");
        }
        if self.server.max_connections == 0 {
            return invalid("server.max_connections", "must be at least 1");
        }
        if self.auth.session_idle_minutes <= 0 || self.auth.session_max_days <= 0 {
            return invalid("auth.session_idle_minutes", "session timeouts must be positive");
        }
        // Passwords travel to DSM in the clear: only ever over loopback.
        if self.auth.backend == PasswordBackend::Dsm && !is_loopback_http(&self.auth.dsm_url) {
            return invalid(
                "auth.dsm_url",
                "must be DSM's web API on loopback, such as http://127.0.0.1:5000/webapi/entry.cgi",
            );
        }
        if self.auth.max_failures == 0 || self.auth.failure_window_secs == 0 {
            return invalid("auth.max_failures", "must be at least 1 (failures, and seconds of window)");
        }
        if self.video.concurrent_transcodes == 0 {
            return invalid("video.concurrent_transcodes", "must be at least 1 (set video.transcode = false to stop)");
        }
        if !(0..=19).contains(&self.video.transcode_nice) {
            return invalid("video.transcode_nice", "must be between 0 (normal priority) and 19 (idle CPU only)");
        }
        let tiles = &self.places.map_tile_url;
        if !tiles.is_empty()
            && (!(tiles.starts_with("https://") || tiles.starts_with("http://"))
                || !["{z}", "{x}", "{y}"].iter().all(|p| tiles.contains(p)))
        {
            return invalid("places.map_tile_url", "must be an http(s) URL template with {z}, {x} and {y}, or empty");
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return invalid("log.level", "is not a valid filter such as \"info\" or \"photosd=debug,info\"");
        }
        Ok(())
    }

    /// The folder of the face models: `faces.models_dir`, else `share/photosd/models` beside the executable's
    /// directory, as the packages install them.
    pub fn models_dir(&self) -> PathBuf {
        packaged(&self.faces.models_dir, "share/photosd/models")
    }

    /// The folder of the place data: `places.data_dir`, else `share/photosd/geo` beside the executable's
    /// directory, as the packages install it.
    pub fn places_dir(&self) -> PathBuf {
        packaged(&self.places.data_dir, "share/photosd/geo")
    }

    /// Worker count with 0 resolved to the number of cores.
    pub fn worker_count(&self) -> usize {
        match self.workers.count {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            n => n,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.storage.data_dir.join("library.db")
    }
}

fn parse(text: &str, path: &Path) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>().map_err(|e| ConfigError::Syntax { path: path.to_path_buf(), message: e.to_string() })
}

/// Copies every key of `top` over `base`, section by section; unknown keys are caught later by `deny_unknown_fields`.
fn overlay(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => overlay(b, t),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    host == "localhost" || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `PHOTOSD_*` variables that are not config keys: the config file's path, the NAS package's launcher telling
/// photosd how to start its workers (worker::WorkerPool), and the demo script's folder (tests/demo.sh), which a
/// shell that ran the demo may still export. Any other unknown one is a typo, and refused.
const NOT_CONFIG_KEYS: [&str; 3] = ["CONFIG", "EXE", "DEMO_DIR"];

/// `PHOTOSD_SECTION_KEY=value`: the value is read as a TOML scalar if it parses as one, else as a string.
fn apply_env(merged: &mut toml::Table, env: &[(String, String)]) -> Result<(), ConfigError> {
    let mut known = Vec::new();
    for (section, table) in merged.iter() {
        if let toml::Value::Table(t) = table {
            known.extend(t.keys().map(|k| (section.clone(), k.clone())));
        }
    }
    for (var, raw) in env {
        let Some(rest) = var.strip_prefix("PHOTOSD_") else { continue };
        if NOT_CONFIG_KEYS.contains(&rest) {
            continue;
        }
        let Some((section, key)) = known.iter().find(|(s, k)| format!("{}_{}", s, k).to_uppercase() == rest).cloned()
        else {
            let names: Vec<String> = known.iter().map(|(s, k)| format!("PHOTOSD_{}_{}", s, k).to_uppercase()).collect();
            return Err(ConfigError::UnknownEnv { var: var.clone(), known: names.join(", ") });
        };
        let current = &merged[&section][&key];
        let value = if current.is_str() {
            toml::Value::String(raw.clone())
        } else {
            format!("v = {raw}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(raw.clone()))
        };
        if let Some(toml::Value::Table(t)) = merged.get_mut(&section) {
            t.insert(key, value);
        }
    }
    Ok(())
}

/// A configured folder, else `relative` under the prefix the executable is installed in (`bin/..`).
fn packaged(configured: &str, relative: &str) -> PathBuf {
    if !configured.is_empty() {
        return PathBuf::from(configured);
    }
    let exe = std::env::var_os("PHOTOSD_EXE").map(PathBuf::from).or_else(|| std::env::current_exe().ok());
    let prefix = exe.as_deref().and_then(Path::parent).and_then(Path::parent).unwrap_or(Path::new("/usr"));
    prefix.join(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_valid_and_documented() {
        let c = Config::load_from(&Overrides::default(), &[]).unwrap();
        assert_eq!(c.spaces.personal_pattern, "/home/*/Photos");
        assert_eq!(c.spaces.shared_root, "/photo");
        assert_eq!(c.server.listen.port(), 5080);
    }

    #[test]
    fn env_then_flags_override_the_file() {
        let e = env(&[("PHOTOSD_WORKERS_COUNT", "3"), ("PHOTOSD_SPACES_SHARED_ROOT", "/volume1/photo")]);
        let c = Config::load_from(&Overrides::default(), &e).unwrap();
        assert_eq!(c.workers.count, 3);
        assert_eq!(c.spaces.shared_root, "/volume1/photo");
        let flags = Overrides { shared: Some("/srv/photo".into()), ..Default::default() };
        let c = Config::load_from(&flags, &e).unwrap();
        assert_eq!(c.spaces.shared_root, "/srv/photo");
    }

    #[test]
    fn the_dsm_login_is_only_ever_asked_over_loopback() {
        let dsm = |url: &str| {
            let e = env(&[("PHOTOSD_AUTH_BACKEND", "dsm"), ("PHOTOSD_AUTH_DSM_URL", url)]);
            Config::load_from(&Overrides::default(), &e).map(|c| c.auth.backend)
        };
        assert_eq!(dsm("http://127.0.0.1:5000/webapi/entry.cgi").unwrap(), PasswordBackend::Dsm);
        assert!(dsm("http://localhost:5000/webapi/entry.cgi").is_ok());
        assert!(dsm("http://[::1]:5000/webapi/entry.cgi").is_ok());
        for refused in
            ["http://192.168.1.2:5000/webapi/entry.cgi", "https://127.0.0.1:5001/", "http://127.0.0.1.evil.example/"]
        {
            let err = dsm(refused).unwrap_err().to_string();
            assert!(err.contains("auth.dsm_url"), "{refused}: {err}");
        }
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = env(&[("PHOTOSD_SPACES_PERSONAL_PATTERN", "home/Photos")]);
        let err = Config::load_from(&Overrides::default(), &e).unwrap_err().to_string();
        assert!(err.contains("spaces.personal_pattern"), "{err}");
        let e = env(&[("PHOTOSD_DEMO_DIR", "/tmp/demo"), ("PHOTOSD_EXE", "/bin/photosd")]);
        assert!(Config::load_from(&Overrides::default(), &e).is_ok(), "the demo's and the launcher's variables");
        let e = env(&[("PHOTOSD_NO_SUCH_KEY", "1")]);
        let err = Config::load_from(&Overrides::default(), &e).unwrap_err().to_string();
        assert!(err.contains("PHOTOSD_NO_SUCH_KEY"), "{err}");
    }
}
