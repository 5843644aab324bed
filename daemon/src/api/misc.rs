//! `SYNO.Foto.UserInfo`: who is logged in; `SYNO.DSM.Info`: what this server is, as DSM says it of itself.

use serde_json::json;

use super::error::ApiError;
use super::{Call, Ctx, Reply};

pub async fn user_info(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if !matches!(call.method.as_str(), "me" | "get") {
        return Err(ApiError::NoSuchMethod);
    }
    let user = ctx.user()?;
    Ok(Reply::Data(json!({
        "id": user.uid,
        "uid": user.uid,
        "name": user.name,
        "is_admin": user.is_admin,
        "enabled": true,
        "is_migration_finished": true,
        "profile": { "uid": user.uid, "userName": user.name, "nickName": "", "email": "", "emails": [], "groups": null },
    })))
}

/// The DSM build whose Photos API photosd speaks (the catalogue is DSM 7.2.1's Synology Photos).
const DSM_BUILD: &str = "69057";

/// `SYNO.DSM.Info getinfo`, with DSM's fields: on plain Linux photosd is the only server there is, and DSM
/// libraries read this right after logging in. The model says what answers; no serial number is made up.
pub fn dsm_info() -> serde_json::Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let ram_mb = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024);
    let uptime = read("/proc/uptime").split_whitespace().next().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]"
    );
    let mut info = json!({
        "codepage": "enu",
        "model": "photosd",
        "ram": ram_mb,
        "serial": "",
        "temperature_warn": false,
        "time": now.format(&format).unwrap_or_default(),
        "uptime": uptime as u64,
        "version": DSM_BUILD,
        "version_string": format!("DSM 7.2.1-{DSM_BUILD} (photosd {})", env!("CARGO_PKG_VERSION")),
    });
    if let Some(celsius) = temperature() {
        info["temperature"] = celsius.into();
    }
    info
}

/// The first thermal zone the kernel reports, in whole degrees Celsius; none on most virtual machines.
fn temperature() -> Option<i64> {
    let zones = std::fs::read_dir("/sys/class/thermal").ok()?;
    zones
        .flatten()
        .filter(|z| z.file_name().to_string_lossy().starts_with("thermal_zone"))
        .find_map(|z| std::fs::read_to_string(z.path().join("temp")).ok()?.trim().parse::<i64>().ok())
        .map(|milli| milli / 1000)
}
