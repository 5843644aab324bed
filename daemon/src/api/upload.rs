//! `SYNO.Foto.Upload.Item`: `upload` / `upload_to_folder`, a multipart POST whose fields come first and the file
//! last. The file streams (constant memory) into a hidden temp file in the target folder, which is renamed into
//! place only when complete, owned by the uploading user, then imported at once so the answer carries its id.
//! A cut-off upload leaves nothing behind. `backup_check` tells a backup client which files are there already.

use multer::{Constraints, Field, Multipart, SizeLimit};
use serde_json::json;

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::domain::Role;
use crate::service::space_write::{ensure_dirs, exists, Duplicate, TempFile};
use crate::service::{blocking, library};

/// A multipart body read up to its file part.
pub struct Pending {
    /// Kept alive: the field reads from it.
    _multipart: Multipart<'static>,
    field: Field<'static>,
    file_name: Option<String>,
}

/// A text field of a multipart form larger than this is refused before more of it is read: parameters are ids,
/// names and JSON lists, never data, and they are read before anyone is known to be logged in.
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// Reads the form fields of a multipart body up to the first file part, which is left unread. The text fields
/// together are held to the limit of a urlencoded form (`api::FORM_LIMIT`), each to `MAX_TEXT_FIELD`.
pub async fn read_fields(
    content_type: &str,
    body: hyper::body::Incoming,
    max_upload_mb: u64,
    stall: std::time::Duration,
) -> Result<(Vec<(String, String)>, Option<Pending>), ApiError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| ApiError::missing("multipart boundary"))?;
    let limits = Constraints::new().size_limit(
        SizeLimit::new()
            .whole_stream(max_upload_mb.saturating_mul(1 << 20) + (1 << 20))
            .per_field(max_upload_mb.saturating_mul(1 << 20)),
    );
    let mut multipart = Multipart::with_constraints(stall_guarded(body, stall), boundary, limits);
    let mut fields = Vec::new();
    let mut form_bytes = 0;
    while let Some(mut field) =
        multipart.next_field().await.map_err(|e| ApiError::missing(format!("multipart: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if let Some(file_name) = field.file_name().map(str::to_string) {
            if name == "file" || !name.starts_with("thumb") {
                return Ok((fields, Some(Pending { _multipart: multipart, field, file_name: Some(file_name) })));
            }
            // Thumbnails a client made itself (thumb_sm...): photosd makes its own.
            continue;
        }
        if fields.len() > 64 {
            return Err(ApiError::missing("too many form fields"));
        }
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| ApiError::missing(format!("field {name}: {e}")))? {
            if text.len() + chunk.len() > MAX_TEXT_FIELD {
                return Err(ApiError::missing(format!("field {name} is larger than {MAX_TEXT_FIELD} bytes")));
            }
            text.extend_from_slice(&chunk);
        }
        form_bytes += text.len();
        if form_bytes > super::FORM_LIMIT {
            return Err(ApiError::missing(format!("form fields larger than {} bytes", super::FORM_LIMIT)));
        }
        let text = String::from_utf8(text).map_err(|_| ApiError::missing(format!("field {name}: not UTF-8")))?;
        fields.push((name, text));
    }
    Ok((fields, None))
}

pub async fn handle(ctx: &Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    match call.method.as_str() {
        "upload" | "upload_to_folder" if call.api.ends_with(".Upload.Item") => upload(ctx, call).await,
        // A photo request's upload: the same, into the request's folder or album.
        "upload" => upload(ctx, call).await,
        "backup_check" => backup_check(ctx, call).await,
        _ => Err(ApiError::NoSuchMethod),
    }
}

/// The request body as a stream of chunks that fails once the client has sent nothing for `stall`, so that an
/// upload left hanging ends (and its temp file goes) instead of holding a connection forever.
fn stall_guarded(
    body: hyper::body::Incoming,
    stall: std::time::Duration,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    use futures_util::StreamExt;
    use http_body_util::BodyExt;
    futures_util::stream::unfold(Some(body.into_data_stream()), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout(stall, stream.next()).await {
            Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(stream))),
            Ok(Some(Err(e))) => Some((Err(std::io::Error::other(e)), None)),
            Ok(None) => None,
            Err(_) => {
                let stalled = format!("the client sent nothing for {} s", stall.as_secs());
                Some((Err(std::io::Error::new(std::io::ErrorKind::TimedOut, stalled)), None))
            }
        }
    })
}

/// One file a backup client asks about.
#[derive(serde::Deserialize)]
struct Candidate {
    name: String,
    #[serde(default)]
    size: i64,
    /// BLAKE3 of the content, hex. Without it the name and size decide.
    hash: Option<String>,
}

/// `backup_check files=[{"name","size","hash"}]`: which of these files the space (as far as the caller sees it)
/// holds already, so that a backup sends only the rest. Synology documents no shape for this method; this one is
/// in `docs/api.md`. Answers `{"list":[{"name","exists","id"}]}` in the order asked.
async fn backup_check(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    let candidates: Vec<Candidate> = call.params.opt_json("files")?.ok_or_else(|| ApiError::missing("files"))?;
    if candidates.len() > 5000 {
        return Err(ApiError::missing("files"));
    }
    let space = ctx.space().await?;
    let reach = ctx.access(&space).await?.reach(Role::View).await?;
    let answers = ctx
        .app
        .db
        .call(move |db| {
            let mut list = Vec::with_capacity(candidates.len());
            for c in &candidates {
                let hash = c.hash.as_deref().filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
                let id = db.existing_file(&reach, hash, &c.name, c.size)?;
                list.push(json!({ "name": c.name, "exists": id.is_some(), "id": id }));
            }
            Ok(list)
        })
        .await?;
    Ok(Reply::Data(json!({ "list": answers })))
}

async fn upload(ctx: &Ctx, call: &mut Call) -> Result<Reply, ApiError> {
    let mut pending = call.upload.take().ok_or_else(|| ApiError::missing("file"))?;
    let p = &call.params;
    let space = ctx.space().await?;
    let name = match p.opt_str("name")? {
        Some(n) => n,
        None => pending.file_name.take().ok_or_else(|| ApiError::missing("name"))?,
    };
    crate::service::space_fs::validate_name(&name)?;
    if crate::watch::ignore::is_ignored_file(&name) {
        // Not a photo or video by its name: it would never show up in the library.
        return Err(ApiError::missing("name"));
    }
    let mut duplicate = match p.opt_str("duplicate")?.as_deref() {
        None | Some("rename") => Duplicate::Rename,
        Some("ignore") => Duplicate::Ignore,
        Some("overwrite") => Duplicate::Overwrite,
        Some(_) => return Err(ApiError::missing("duplicate")),
    };
    let access = ctx.access(&space).await?;
    let (uid, gid) = access.file_owner();
    let root = std::path::PathBuf::from(&space.root);
    let target = p.opt_int("target_folder_id")?;
    let (folder_path, album, make_folders) = match access.link_upload(target, &upload_folder()).await? {
        // A link's holder adds a file where the link says, never replacing nor learning of one already there.
        Some(place) => {
            duplicate = Duplicate::Rename;
            (place.folder, place.album_id, true)
        }
        None => {
            let folder_path = match target {
                Some(id) => access.folder(id).await?.path,
                None if call.method == "upload_to_folder" => return Err(ApiError::missing("target_folder_id")),
                None => destination(p)?,
            };
            // Replacing an original is managing it; adding one is uploading.
            let need = if duplicate == Duplicate::Overwrite { Role::Manage } else { Role::Upload };
            access.require(&folder_path, need)?;
            (folder_path, None, target.is_none())
        }
    };
    if make_folders {
        let (root, made) = (root.clone(), folder_path.clone());
        blocking(move || ensure_dirs(&root, &made, uid, gid)).await?;
    }
    if duplicate == Duplicate::Ignore {
        let (root, folder, n) = (root.clone(), folder_path.clone(), name.clone());
        if blocking(move || Ok::<_, ApiError>(exists(&root, &folder, &n))).await? {
            return Ok(Reply::Data(
                json!({ "action": "ignore", "id": existing_id(ctx, &space, &folder_path, &name).await? }),
            ));
        }
    }
    let (r, f) = (root.clone(), folder_path.clone());
    let temp = blocking(move || TempFile::create(&r, &f)).await?;
    let written = write_file(&mut pending.field, &temp).await;
    if let Err(e) = written {
        temp.discard();
        tracing::info!(name, "upload cut off: {e}");
        return Err(ApiError::missing(format!("file: {e}")));
    }
    let mtime = p.opt_int("mtime")?.map(|t| if t > 100_000_000_000 { t / 1000 } else { t });
    let stored = library::store_upload(&space, &folder_path, &name, temp, duplicate, (uid, gid), mtime).await?;
    let Some(stored) = stored else {
        return Ok(Reply::Data(
            json!({ "action": "ignore", "id": existing_id(ctx, &space, &folder_path, &name).await? }),
        ));
    };
    let rel = crate::service::space_fs::join(&folder_path, &stored);
    let id = crate::jobs::import_now(&ctx.app, space.id, &space.root, &rel)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if let (Some(album), Some(item)) = (album, id) {
        let refused = ctx.app.db.call(move |db| db.add_album_items(album, &[item])).await?;
        if !refused.is_empty() {
            tracing::warn!(album, item, "an upload through a shared album could not join it");
        }
    }
    tracing::info!(user = access.who(), file = rel, "uploaded");
    // A link's holder is not told that a file of that name was there already.
    let renamed = stored != name && access.is_link();
    let action = if stored == name || renamed { "upload" } else { "rename" };
    Ok(Reply::Data(json!({ "action": action, "id": id, "unit_id": id })))
}

/// The folder an upload without a target goes to: the client's `folder` path (a list of names), or the upload
/// folder `PhotoLibrary/<year>/<month>`, as Synology Photos files timeline uploads.
fn destination(p: &super::params::Params) -> Result<String, ApiError> {
    let parts = p.strings("folder")?;
    for part in &parts {
        crate::service::space_fs::validate_name(part)?;
    }
    if !parts.is_empty() {
        return Ok(parts.join("/"));
    }
    Ok(upload_folder())
}

/// The upload folder `PhotoLibrary/<year>/<month>`, as Synology Photos files timeline uploads.
fn upload_folder() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("PhotoLibrary/{}/{:02}", now.year(), u8::from(now.month()))
}

async fn write_file(field: &mut Field<'static>, temp: &TempFile) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let mut out = tokio::fs::File::from_std(temp.file.try_clone().map_err(|e| e.to_string())?);
    while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
        out.write_all(&chunk).await.map_err(|e| e.to_string())?;
    }
    out.flush().await.map_err(|e| e.to_string())
}

async fn existing_id(ctx: &Ctx, space: &crate::db::Space, folder: &str, name: &str) -> Result<Option<i64>, ApiError> {
    let (space_id, folder, name) = (space.id, folder.to_string(), name.to_string());
    Ok(ctx.app.db.call(move |db| db.item_id_by_path(space_id, &folder, &name)).await?)
}
