//! The HTTP server: hyper on tokio. It owns connections (a limit, header and stalled-write timeouts, graceful
//! shutdown) and routing by path; what a request means is the business of `api/`. Paths served:
//! `/photo/webapi/{entry,query,auth,encryption}.cgi` and the same under `/webapi/` (clients that log in at the
//! DSM root), with an optional `/<API name>` after `entry.cgi`, as DSM's own web UI sends it; the same under
//! `/photo/mo/sharing/` and `/photo/mo/request/` (share links' clients call there); the thumbnail path
//! `/photo/synofoto/api/v2/{p,t}/Thumbnail/get`; and the web portal everywhere else under `/photo/` (`web`),
//! the public page of a link (`/photo/mo/sharing/<passphrase>`) included.

pub mod body;
pub mod client;
pub mod files;
mod web;
pub mod zip;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::app::App;
pub use body::Body;
pub use client::Client;

/// How long open requests may take to finish after a shutdown signal before their connections are closed.
const DRAIN: Duration = Duration::from_secs(10);

/// Binds the configured address, before the runtime starts: the daemon binds (perhaps a privileged port, as
/// root) before it drops its privileges.
pub fn bind(config: &crate::config::Config) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(config.server.listen)?;
    listener.set_nonblocking(true)?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    Ok(listener)
}

/// Accepts connections until `shutdown`, then lets open requests finish (for up to `DRAIN`).
pub async fn serve(app: Arc<App>, listener: std::net::TcpListener, shutdown: CancellationToken) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return tracing::error!("cannot serve on the bound address: {e}"),
    };
    let connections = Arc::new(Semaphore::new(app.config.server.max_connections));
    let stall = Duration::from_secs(app.config.server.stall_timeout_secs);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached; refusing a connection");
            drop(stream);
            continue;
        };
        let app = app.clone();
        let service = service_fn(move |request| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(route(app, peer, request).await) }
        });
        // A client that stops reading (a download left hanging) is cut off instead of holding its connection and
        // file open forever. Reads have no such limit: a keep-alive connection may rightly sit idle, and headers
        // have their own timeout; upload bodies are timed by the upload handler.
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(stall));
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30))
            .serve_connection(TokioIo::new(Box::pin(stream)), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => tracing::warn!("requests still open after {} s; closing them", DRAIN.as_secs()),
    }
}

async fn route(app: Arc<App>, peer: SocketAddr, request: Request<hyper::body::Incoming>) -> Response<Body> {
    let path = request.uri().path();
    let under = path.strip_prefix("/photo").filter(|p| p.starts_with('/')).unwrap_or(path);
    // A share link's (and a photo request's) own door to the API: the same API, for the link's holder.
    let under = ["/mo/sharing", "/mo/request"]
        .iter()
        .find_map(|door| under.strip_prefix(door).filter(|rest| rest.starts_with("/webapi/")))
        .unwrap_or(under);
    // The thumbnail path of Synology Photos' web app and of share-link clients: `p` is the Personal Space's,
    // `t` the Shared Space's.
    if let Some(rest) = under.strip_prefix("/synofoto/api/v2/") {
        let api = match rest {
            "p/Thumbnail/get" => "SYNO.Foto.Thumbnail",
            "t/Thumbnail/get" => "SYNO.FotoTeam.Thumbnail",
            _ => return body::status(StatusCode::NOT_FOUND, "not found"),
        };
        let client = Client::from_request(&app.config, peer, &request);
        return crate::api::serve_fixed(app, client, (api, "get", 2), request).await;
    }
    let Some(script) = under.strip_prefix("/webapi/") else {
        let is_read = matches!(*request.method(), hyper::Method::GET | hyper::Method::HEAD);
        return match path {
            "/" | "/photo" if is_read => web::redirect_to_portal(),
            _ if is_read && path.starts_with("/photo/") => web::serve(&path["/photo/".len()..], request.headers()),
            _ => body::status(StatusCode::NOT_FOUND, "not found"),
        };
    };
    let (script, api_in_path) = match script.split_once('/') {
        Some((script, api)) => (script, Some(api.to_string())),
        None => (script, None),
    };
    if !matches!(script, "entry.cgi" | "query.cgi" | "auth.cgi" | "encryption.cgi") {
        return body::status(StatusCode::NOT_FOUND, "not found");
    }
    let client = Client::from_request(&app.config, peer, &request);
    crate::api::serve(app, client, api_in_path, request).await
}
