//! The rules between the database, the files and the API: what a thumbnail or stream of an item is, and
//! where it lives. Handlers (issue 4) call this; it never parses media itself.

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
