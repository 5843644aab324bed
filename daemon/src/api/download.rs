//! `SYNO.Foto.Download download` and `SYNO.Foto.Streaming streaming`: originals and playable videos, streamed
//! from disk (with Range, so a player can seek). One item downloads as itself under its own name; several, or a
//! folder, as one ZIP streamed with constant memory. Every file is opened inside its space without following
//! symlinks.

use hyper::{Response, StatusCode};

use super::error::ApiError;
use super::{Call, Ctx, Reply};
use crate::db::ItemFile;
use crate::domain::Role;
use crate::http::files::{self, FileResponse};
use crate::http::{body, zip};
use crate::service::space_fs;
use crate::service::stream::{playable, Stream};

pub async fn download(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if call.method != "download" {
        return Err(ApiError::NoSuchMethod);
    }
    let p = &call.params;
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let mut ids = p.opt_ids("item_id")?.unwrap_or_default();
    ids.extend(p.opt_ids("unit_id")?.unwrap_or_default());
    if !p.has("item_id") && !p.has("unit_id") && !p.has("folder_id") {
        ids.extend(p.opt_ids("id")?.unwrap_or_default());
    }
    let folders = p.opt_ids("folder_id")?.unwrap_or_default();
    if ids.is_empty() && folders.is_empty() {
        return Err(ApiError::missing("item_id"));
    }
    // Every id must be one the caller sees before any is refused for its role: what is not shown stays unknown.
    let mut items = Vec::new();
    for id in &ids {
        items.push(access.item(*id).await?);
    }
    let mut files = Vec::new();
    for item in &items {
        access.require_on_item(item, Role::Download).await?;
        files.push((None, access.item_file(item.id).await?));
    }
    // Only what the caller may download comes along: subfolders they may only view stay out of the archive.
    let reach = access.reach(Role::Download).await?;
    for id in &folders {
        let folder = access.folder(*id).await?;
        access.require(&folder.path, Role::Download)?;
        let (reach, path) = (reach.clone(), folder.path.clone());
        let base = folder.path.rsplit('/').next().unwrap_or_default().to_string();
        for (folder_path, filename) in ctx.app.db.call(move |db| db.files_under(&reach, &path)).await? {
            // Names inside the archive start at the downloaded folder: "Iceland/day 1/a.jpg".
            let inner = folder_path.strip_prefix(&folder.path).unwrap_or(&folder_path).trim_start_matches('/');
            let name = [base.as_str(), inner, filename.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            let file = ItemFile { root: space.root.clone(), folder: folder_path, filename, mime: None };
            files.push((Some(name), file));
        }
    }
    let archive_name = match folders.as_slice() {
        [id] if files.iter().all(|(n, _)| n.is_some()) => {
            let folder = access.folder(*id).await?;
            format!("{}.zip", folder.path.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("Photos"))
        }
        _ => "download.zip".to_string(),
    };
    respond(files, folders.is_empty(), &archive_name, &call.headers).await
}

/// Originals the caller may download, of items they see, as one ZIP named after the album (`Browse.Album
/// download`: an album of the caller's, or the one a link shares to a holder who may download).
pub async fn album_archive(ctx: &Ctx, call: &Call, ids: &[i64], name: &str) -> Result<Reply, ApiError> {
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let mut files = Vec::new();
    for id in ids {
        access.item_with(*id, Role::Download).await?;
        files.push((None, access.item_file(*id).await?));
    }
    let name = if name.is_empty() { "Photos".to_string() } else { name.replace(['/', '\\', '"'], "_") };
    respond(files, false, &format!("{name}.zip"), &call.headers).await
}

/// One file as itself (when `single` allows it), or every file in one ZIP called `archive_name`.
async fn respond(
    mut files: Vec<(Option<String>, ItemFile)>,
    single: bool,
    archive_name: &str,
    headers: &hyper::HeaderMap,
) -> Result<Reply, ApiError> {
    if files.len() == 1 && single {
        let (_, file) = files.remove(0);
        let opened = open(&file).await?;
        let content_type = file.mime.as_deref().unwrap_or("application/octet-stream");
        let response =
            files::serve(FileResponse { file: opened, content_type, download_name: Some(&file.filename) }, headers)
                .await?;
        return Ok(Reply::Response(response));
    }
    let entries = files
        .into_iter()
        .map(|(name, file)| zip::Entry {
            name: name.unwrap_or_else(|| file.filename.clone()),
            open: Box::new(move || space_fs::open_file(std::path::Path::new(&file.root), &file.folder, &file.filename)),
        })
        .collect();
    let mut response = Response::new(zip::archive(entries));
    let headers = response.headers_mut();
    files::insert(headers, hyper::header::CONTENT_TYPE, "application/zip");
    files::insert(headers, hyper::header::CONTENT_DISPOSITION, &files::attachment(archive_name));
    Ok(Reply::Response(response))
}

/// The playable form of a video: the original when browsers play it, else its transcode. While there is
/// neither, DSM answers HTTP 404, and clients fall back to downloading the original.
pub async fn streaming(ctx: &Ctx, call: &Call) -> Result<Reply, ApiError> {
    if call.method != "streaming" {
        return Err(ApiError::NoSuchMethod);
    }
    let space = ctx.space().await?;
    let access = ctx.access(&space).await?;
    let item = access.item(call.params.int("id")?).await?;
    let id = match item.kind.as_str() {
        // A Live Photo plays its video half.
        "live" => {
            let photo = item.id;
            ctx.app.db.call(move |db| db.live_video_of(photo)).await?.ok_or_else(|| ApiError::not_found("no video"))?
        }
        "photo" => return Err(ApiError::not_found("not a video")),
        _ => item.id,
    };
    let data_dir = ctx.app.config.storage.data_dir.clone();
    let stream = ctx.app.db.call(move |db| playable(db, &data_dir, id)).await?;
    let response = match stream {
        Some(Stream::Original) => {
            let file = access.item_file(id).await?;
            let content_type = file.mime.clone().unwrap_or_else(|| "video/mp4".into());
            files::serve(
                FileResponse { file: open(&file).await?, content_type: &content_type, download_name: None },
                &call.headers,
            )
            .await?
        }
        Some(Stream::Transcoded(path)) => {
            let opened = tokio::fs::File::open(path).await?;
            files::serve(FileResponse { file: opened, content_type: "video/mp4", download_name: None }, &call.headers)
                .await?
        }
        Some(Stream::NotReady(_)) | None => body::status(StatusCode::NOT_FOUND, "no playable version yet"),
    };
    Ok(Reply::Response(response))
}

async fn open(file: &ItemFile) -> Result<tokio::fs::File, ApiError> {
    let file = file.clone();
    let opened = crate::service::blocking(move || {
        space_fs::open_file(std::path::Path::new(&file.root), &file.folder, &file.filename)
            .map_err(|e| ApiError::not_found(format!("file: {e}")))
    })
    .await?;
    Ok(tokio::fs::File::from_std(opened))
}
