//! The service layer: the rules between the API, the database and the files. It owns sign-in and sessions
//! (`auth`, `dsm_auth`, `login_*`), who is asking (`principal`) and what they may see and change (`access`, over
//! the folder rules of `permissions`), every change to the library whoever made it (`library`), share links and
//! their invitees (`sharing`), People (`clustering` over the in-memory `person_index` of centroids, and the user's
//! corrections in `people`), safe file-system work inside a space (`space_fs`, `space_move`, `space_write`,
//! `sidecar_write`), and where an item's thumbnails and streams live (`thumbs`, `stream`). It never imports the
//! API and never parses media itself; its errors are `domain::Error`.

pub mod access;
pub mod auth;
pub mod clustering;
pub mod dsm_auth;
pub mod library;
pub mod login_crypto;
pub mod login_guard;
pub mod people;
pub mod permissions;
pub mod person_index;
pub mod principal;
pub mod sharing;
pub mod sidecar_write;
pub mod space_fs;
pub mod space_move;
pub mod space_write;
pub mod stream;
pub mod thumbs;

/// Runs file-system work (which may block on a slow disk) on the blocking pool.
pub async fn blocking<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: From<crate::domain::Error> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| E::from(crate::domain::Error::Internal(e.to_string())))?
}

/// `bytes` random bytes from the kernel, as lowercase hex.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the kernel's random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
