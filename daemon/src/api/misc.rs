//! `SYNO.Foto.UserInfo`: who is logged in.

use serde_json::json;

use super::error::ApiError;
use super::{Call, Ctx, Reply};

pub async fn user_info(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if !matches!(call.method.as_str(), "me" | "get") {
        return Err(ApiError::NoSuchMethod);
    }
    let c = &ctx.caller;
    Ok(Reply::Data(json!({
        "id": c.uid,
        "uid": c.uid,
        "name": c.name,
        "is_admin": c.is_admin,
        "enabled": true,
        "is_migration_finished": true,
        "profile": { "uid": c.uid, "userName": c.name, "nickName": "", "email": "", "emails": [], "groups": null },
    })))
}
