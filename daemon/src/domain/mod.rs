//! The bottom layer: the words every other layer shares and nothing else. Roles and rules of folder permissions,
//! the edits of an item, which items a query covers, and the service's error kinds. It imports no other module of photosd, so anything may
//! import it.

mod edits;
mod error;
mod place;
mod query;
mod rules;

pub use edits::SidecarValues;
pub use error::Error;
pub use place::Address;
pub use query::{in_asked_order, Area, Facet, ItemQuery, Range, TimeRange};
pub use rules::{Member, Role, Rule};
