//! The service layer: the rules between the API, the database and the files. It owns sign-in and sessions
//! (`auth`, `dsm_auth`, `login_*`), what folder rules give a caller (`permissions`), every change to the library
//! whoever made it (`library`), safe file-system work inside a space (`space_fs`, `space_move`, `space_write`,
//! `sidecar_write`), and where an item's thumbnails and streams live (`thumbs`, `stream`). It never imports the
//! API and never parses media itself; its errors are `domain::Error`.

pub mod auth;
pub mod dsm_auth;
pub mod library;
pub mod login_crypto;
pub mod login_guard;
pub mod permissions;
pub mod sidecar_write;
pub mod space_fs;
pub mod space_move;
pub mod space_write;
pub mod stream;
pub mod thumbs;
