//! Setting Shared Space folder permissions: `SYNO.FotoTeam.Sharing.FolderPermission` (`get_config`, `update`,
//! `set_config`) and `SYNO.Foto.Sharing.Misc list_user_group`, which names the users and groups a rule can be
//! for. A folder's rules are set by Photos administrators and by whoever manages the folder. Synology publishes
//! no shapes for these methods; the ones here follow its sharing calls (`permission=[{"role","action","member":
//! {"type","id"}}]`) and are described in `docs/api.md`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::service::permissions::{ruling_folder, Member, Role, Rule};

#[derive(Debug, Deserialize)]
/// One entry of a `permission=[…]` list, as Synology's sharing calls send it (folder rules and share links alike).
pub(super) struct Change {
    pub role: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    pub member: MemberRef,
}

#[derive(Debug, Deserialize)]
pub(super) struct MemberRef {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: u32,
}

/// Held while a folder's rules are read, changed and written back.
static RULE_CHANGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn folder_permission(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let p = &call.params;
    let folder = ctx.access(&space).await?.folder(p.opt_int("id")?.or(p.opt_int("folder_id")?).unwrap_or(0)).await?;
    ctx.access(&space).await?.require(&folder.path, Role::Manage)?;
    // A change starts from the rules in force and writes them back: two at once would each start from the same
    // rules, and the later would undo the earlier. One change at a time, reading after the wait.
    let _one_at_a_time = match call.method.as_str() {
        "update" | "set_config" => Some(RULE_CHANGES.lock().await),
        _ => None,
    };
    let space_id = space.id;
    let rules = ctx.app.db.call(move |db| db.folder_rules(space_id)).await?;
    let ruling = ruling_folder(&rules, &folder.path).map(str::to_string);
    let own: Vec<(Member, Role)> = rules.iter().filter(|r| r.path == folder.path).map(|r| (r.member, r.role)).collect();
    let path = folder.path.clone();
    match call.method.as_str() {
        "get_config" => {
            let default = ctx.app.config.spaces.shared_default_role;
            let shown: Vec<Value> = match &ruling {
                Some(at) => rules.iter().filter(|r| &r.path == at).map(rule_json).collect(),
                None => vec![rule_json(&Rule { path: String::new(), member: Member::Everyone, role: default })],
            };
            Ok(Reply::Data(json!({
                "folder_id": folder.id,
                "inherited": ruling.as_deref() != Some(folder.path.as_str()),
                "inherited_from": ruling.map(|p| format!("/{p}")),
                "permission": shown,
            })))
        }
        "update" => {
            let changes: Vec<Change> = p.opt_json("permission")?.ok_or_else(|| ApiError::missing("permission"))?;
            // Starting from the rules in force here, so that a folder that inherited keeps what it had.
            let mut next: Vec<(Member, Role)> = match &ruling {
                Some(at) => rules.iter().filter(|r| &r.path == at).map(|r| (r.member, r.role)).collect(),
                None => vec![(Member::Everyone, ctx.app.config.spaces.shared_default_role)],
            };
            for change in changes {
                let member = member(&change.member)?;
                next.retain(|(m, _)| *m != member);
                match change.action.as_deref().unwrap_or("update") {
                    "update" => {
                        let role =
                            change.role.as_deref().and_then(Role::parse).ok_or_else(|| ApiError::missing("role"))?;
                        next.push((member, role));
                    }
                    "delete" => {}
                    _ => return Err(ApiError::missing("action")),
                }
            }
            // A folder whose every rule was removed stops everyone but administrators, rather than inheriting.
            if next.is_empty() {
                next.push((Member::Everyone, Role::None));
            }
            tracing::info!(user = ctx.who(), folder = path, rules = ?next, "folder permissions set");
            ctx.app.db.call(move |db| db.set_folder_rules(space_id, &path, &next)).await?;
            Ok(Reply::Done)
        }
        // `inherit=true` drops the folder's own rules; `false` gives it a copy of those in force, to edit.
        "set_config" => {
            let inherit = p.flag("inherit", true)?;
            let next: Vec<(Member, Role)> = match (inherit, &ruling) {
                (true, _) => Vec::new(),
                (false, Some(at)) if *at == path => own,
                (false, Some(at)) => rules.iter().filter(|r| &r.path == at).map(|r| (r.member, r.role)).collect(),
                (false, None) => vec![(Member::Everyone, ctx.app.config.spaces.shared_default_role)],
            };
            if path.is_empty() && inherit {
                // The root has nothing to inherit from: its rules go, and the default applies.
                tracing::info!(user = ctx.who(), "Shared Space root back to the default role");
            }
            ctx.app.db.call(move |db| db.set_folder_rules(space_id, &path, &next)).await?;
            Ok(Reply::Done)
        }
        _ => Err(ApiError::NoSuchMethod),
    }
}

fn member(m: &MemberRef) -> Result<Member, ApiError> {
    let member = Member::from_parts(&m.kind, m.id).ok_or_else(|| ApiError::missing("member"))?;
    let known = match member {
        Member::Everyone => true,
        Member::User(uid) => uzers::get_user_by_uid(uid).is_some(),
        Member::Group(gid) => uzers::get_group_by_gid(gid).is_some(),
    };
    known.then_some(member).ok_or_else(|| ApiError::missing("member"))
}

fn rule_json(rule: &Rule) -> Value {
    let name = match rule.member {
        Member::Everyone => Some("everyone".to_string()),
        Member::User(uid) => uzers::get_user_by_uid(uid).map(|u| u.name().to_string_lossy().into_owned()),
        Member::Group(gid) => uzers::get_group_by_gid(gid).map(|g| g.name().to_string_lossy().into_owned()),
    };
    json!({
        "role": rule.role.as_str(),
        "member": { "type": rule.member.kind(), "id": rule.member.id(), "name": name },
    })
}

/// `SYNO.Foto.Sharing.Misc list_user_group`: the Photos users, and the groups they are in, that rules and
/// shares can name.
pub async fn list_user_group(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if call.method != "list_user_group" {
        return Err(ApiError::NoSuchMethod);
    }
    let config = ctx.app.config.spaces.clone();
    let list = crate::service::blocking(move || {
        let users: Vec<uzers::User> =
            crate::ffi::all_users().into_iter().filter(|u| crate::spaces::may_use_photos(&config, u)).collect();
        let mut groups = std::collections::BTreeMap::new();
        for user in &users {
            for gid in crate::spaces::groups_of(user) {
                if let Some(group) = uzers::get_group_by_gid(gid) {
                    groups.insert(gid, group.name().to_string_lossy().into_owned());
                }
            }
        }
        let mut list: Vec<Value> = users
            .iter()
            .map(|u| json!({ "id": u.uid(), "name": u.name().to_string_lossy(), "type": "user" }))
            .collect();
        list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        list.extend(groups.into_iter().map(|(gid, name)| json!({ "id": gid, "name": name, "type": "group" })));
        Ok::<_, ApiError>(list)
    })
    .await?;
    Ok(Reply::Data(json!({ "list": list })))
}
