//! People as users change them: naming and hiding a person, merging persons, and saying who a face is (another
//! person, a new one, or nobody). Every id from a request goes through `SpaceAccess` first; every change marks
//! the persons it touches as the user's, so that clustering never undoes it, and makes clustering read the space
//! again.

use std::sync::Arc;

use crate::db::{ItemFace, PersonRow};
use crate::domain::Error;
use crate::service::access::SpaceAccess;
use crate::service::clustering::Clustering;

/// What a person's faces become when the user moves some of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Another person of the space.
    Person(i64),
    /// A new person with this name.
    New(String),
    /// Nobody the user knows: the faces stay out of every person.
    Nobody,
}

/// A name as the user typed it, trimmed: at most 128 characters, without control characters.
pub fn checked_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(Error::BadParameter("name".into()));
    }
    Ok(name.to_string())
}

/// Names (or renames) a person and shows or hides it.
pub async fn set(
    access: &SpaceAccess,
    clustering: &Arc<Clustering>,
    id: i64,
    name: Option<&str>,
    show: Option<bool>,
) -> Result<PersonRow, Error> {
    access.person_to_change(id).await?;
    let name = name.map(checked_name).transpose()?;
    access.db().call(move |db| db.set_person(id, name.as_deref(), show.map(|s| !s))).await?;
    corrected(access, clustering);
    access.person(id).await
}

/// The face shown for a person: one of its own.
pub async fn set_cover(access: &SpaceAccess, clustering: &Arc<Clustering>, id: i64, face: i64) -> Result<(), Error> {
    access.person_to_change(id).await?;
    let faces = access.faces(&[face]).await?;
    if faces.first().and_then(|f| f.person_id) != Some(id) {
        return Err(Error::NotFound(format!("face {face} of person {id}")));
    }
    access.db().call(move |db| db.set_person_cover(id, face)).await?;
    corrected(access, clustering);
    Ok(())
}

/// Merges persons into `target`, which keeps its name, or takes the first of theirs when it has none.
pub async fn merge(
    access: &SpaceAccess,
    clustering: &Arc<Clustering>,
    target: i64,
    sources: &[i64],
) -> Result<PersonRow, Error> {
    access.person_to_change(target).await?;
    for &source in sources {
        access.person_to_change(source).await?;
    }
    let sources = sources.to_vec();
    access.db().call(move |db| db.merge_persons(target, &sources)).await?;
    corrected(access, clustering);
    access.person(target).await
}

/// Moves faces (each seen by the principal) to `to`; answers the person they went to, if any.
pub async fn place(
    access: &SpaceAccess,
    clustering: &Arc<Clustering>,
    faces: &[i64],
    to: Destination,
) -> Result<Option<i64>, Error> {
    let found = access.faces(faces).await?;
    for person in found.iter().filter_map(|f| f.person_id) {
        access.person_to_change(person).await?;
    }
    let (to, new_name) = match to {
        Destination::Person(id) => {
            access.person_to_change(id).await?;
            (Some(id), None)
        }
        Destination::New(name) => (None, Some(checked_name(&name)?)),
        Destination::Nobody => {
            if !access.changes_everything() {
                return Err(Error::Forbidden);
            }
            (None, None)
        }
    };
    let (space, faces) = (access.space.id, faces.to_vec());
    let went_to = access.db().call(move |db| db.place_faces(space, &faces, to, new_name.as_deref())).await?;
    corrected(access, clustering);
    Ok(went_to)
}

/// After a user's correction: clustering forgets the space, and reads it again in the background, so that the next
/// face placed there neither uses what changed nor waits for the reading.
fn corrected(access: &SpaceAccess, clustering: &Arc<Clustering>) {
    let (clustering, space, db) = (clustering.clone(), access.space.id, access.db().clone());
    clustering.forget(space);
    tokio::spawn(async move {
        if let Err(e) = db.call(move |db| clustering.warm(db, space)).await {
            tracing::warn!(space, "cannot read the persons again after a correction: {e}");
        }
    });
}

/// The faces of a person in some items (each seen by the principal).
pub async fn faces_in_items(access: &SpaceAccess, person: i64, items: &[i64]) -> Result<Vec<i64>, Error> {
    access.person(person).await?;
    for &item in items {
        access.item(item).await?;
    }
    let items = items.to_vec();
    Ok(access.db().call(move |db| db.person_faces_in(person, &items)).await?)
}

/// The faces in items the principal may see.
pub async fn faces_of_items(access: &SpaceAccess, items: &[i64]) -> Result<Vec<ItemFace>, Error> {
    for &item in items {
        access.item(item).await?;
    }
    let items = items.to_vec();
    Ok(access.db().call(move |db| db.item_faces(&items)).await?)
}
