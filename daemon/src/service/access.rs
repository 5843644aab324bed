//! Who may see and change what. Every read and change of a space's items, folders and albums is checked here,
//! for a `Principal`: the API asks a `SpaceAccess` and holds no rules of its own. A principal is a signed-in user
//! (what folder rules and ownership give them) or the holder of a share link (`LinkGrant`: exactly what the link
//! shares, with the role it gives them, and nothing else of the space, whoever owns it).
//!
//! An id outside the space, or in a folder the principal may not see, answers `Error::NotFound`, exactly like an
//! id that does not exist: nobody learns what others have. Where the principal sees a folder but may not do what
//! it asks, the answer is `Error::Forbidden`.

use std::collections::HashSet;

use super::permissions::{is_under, Roles};
use super::principal::{Principal, User};
use crate::config::SpacesConfig;
use crate::db::{
    AlbumRow, AlbumSort, Albums, Db, FolderRow, ItemFile, ItemRow, LinkKind, PersonRow, Reach, ShareLink, Space,
    SpaceKind,
};
use crate::domain::{Error, Role};

/// Where a link's holder may add a file, and the album it then joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkUpload {
    pub folder: String,
    pub album_id: Option<i64>,
}

/// How a principal's rights in one space are decided.
enum Grant {
    /// A user: ownership and the folder rules.
    Folders(Roles),
    /// A link: its album, or its folder and everything under it (`folder`: that folder's path now), with one role,
    /// capped everywhere by what its owner has now (`owner`).
    Link { link: ShareLink, role: Role, folder: Option<String>, owner: Roles },
}

/// What one principal may do in one space, worked out once (the folder rules are read when it is opened).
pub struct SpaceAccess {
    pub space: Space,
    principal: Principal,
    grant: Grant,
    who: String,
    db: Db,
}

impl SpaceAccess {
    /// A user has everything in their own Personal Space and, as a Photos administrator, in the Shared Space;
    /// elsewhere in the Shared Space what the folder rules give them, and nothing in anyone else's Personal Space.
    /// A link's holder has what the link shares, in the link's space only.
    pub async fn open(db: &Db, config: &SpacesConfig, principal: Principal, space: Space) -> Result<Self, Error> {
        let (grant, who) = match &principal {
            Principal::User(user) => (Grant::Folders(user_roles(db, config, user, &space).await?), user.name.clone()),
            Principal::Link(grant) => {
                let link = grant.link.clone();
                let folder = match link.folder_id {
                    // A folder moved to another space is no longer what the link shared.
                    Some(id) => db.call(move |db| db.folder(id)).await?.filter(|f| f.space_id == link.space_id),
                    None => None,
                };
                let role = if link.space_id == space.id { grant.role } else { Role::None };
                let owner = user_roles(db, config, &grant.owner, &space).await?;
                let who = match &grant.user {
                    Some(user) => format!("{} (link {})", user.name, link.id),
                    None => format!("link {}", link.id),
                };
                (Grant::Link { link, role, folder: folder.map(|f| f.path), owner }, who)
            }
        };
        Ok(SpaceAccess { space, principal, grant, who, db: db.clone() })
    }

    /// The principal's role in the folder at `path`.
    pub fn role_at(&self, path: &str) -> Role {
        match &self.grant {
            Grant::Folders(roles) => roles.role_at(path),
            Grant::Link { link, role, folder: Some(base), owner }
                if link.kind == LinkKind::Folder && (path == base || is_under(path, base)) =>
            {
                (*role).min(owner.role_at(path))
            }
            Grant::Link { .. } => Role::None,
        }
    }

    /// Whether the folder at `path` shows at all (it, or a folder under it, may be viewed).
    pub fn shows_folder(&self, path: &str) -> bool {
        match &self.grant {
            Grant::Folders(roles) => roles.shows_folder(path),
            Grant::Link { .. } => self.role_at(path) >= Role::View,
        }
    }

    /// Whether every folder of the space may be viewed, so that lists need no folder filter.
    pub fn views_everything(&self) -> bool {
        matches!(&self.grant, Grant::Folders(roles) if roles.views_everything())
    }

    /// The part of this space whose items the principal may see (`need` = View), or download (Download).
    pub async fn reach(&self, need: Role) -> Result<Reach, Error> {
        let space_id = self.space.id;
        match &self.grant {
            Grant::Folders(roles) => self.reach_of(roles, need).await,
            Grant::Link { role, .. } if *role < need => Ok(Reach::nothing(space_id)),
            Grant::Link { link, owner, .. } => match (link.kind, link.album_id) {
                // The album's items, of those its owner may still see (or download).
                (LinkKind::Album, Some(album)) => {
                    let reach = self.reach_of(owner, need).await?;
                    Ok(match self.db.call(move |db| db.album_condition(album)).await? {
                        Some(condition) => reach.within_condition_album(album, condition),
                        None => reach.within_album(album),
                    })
                }
                (LinkKind::Folder, _) => {
                    let folders = self.db.call(move |db| db.folder_paths(space_id)).await?;
                    let ids: Vec<i64> =
                        folders.into_iter().filter(|(_, path)| self.role_at(path) >= need).map(|(id, _)| id).collect();
                    Ok(Reach::folders(space_id, &ids))
                }
                // A photo request shows nothing of where its files go.
                _ => Ok(Reach::nothing(space_id)),
            },
        }
    }

    /// The part of this space where `roles` give at least `need`.
    async fn reach_of(&self, roles: &Roles, need: Role) -> Result<Reach, Error> {
        let space_id = self.space.id;
        if roles.is_full() || (need <= Role::View && roles.views_everything()) {
            return Ok(Reach::whole(space_id));
        }
        let folders = self.db.call(move |db| db.folder_paths(space_id)).await?;
        let ids: Vec<i64> =
            folders.into_iter().filter(|(_, path)| roles.role_at(path) >= need).map(|(id, _)| id).collect();
        Ok(Reach::folders(space_id, &ids))
    }

    /// Checks that the principal has `need` in the folder at `path` (which need not exist yet): not found where
    /// they cannot see it, forbidden where they see it but may not do this.
    pub fn require(&self, path: &str, need: Role) -> Result<(), Error> {
        match self.role_at(path) {
            role if role >= need => Ok(()),
            _ if self.shows_folder(path) => Err(Error::Forbidden),
            _ => Err(Error::NotFound(format!("folder /{path}"))),
        }
    }

    /// A folder of this space that the principal can see; `0` is the root, as in Synology Photos.
    pub async fn folder(&self, id: i64) -> Result<FolderRow, Error> {
        let space_id = self.space.id;
        let found = match id {
            0 => self.db.call(move |db| db.root_folder(space_id)).await?,
            id => self.db.call(move |db| db.folder(id)).await?,
        };
        found
            .filter(|f| f.space_id == space_id && self.shows_folder(&f.path))
            .ok_or_else(|| Error::NotFound(format!("folder {id}")))
    }

    /// A folder of this space by its path from the root, if the principal can see it.
    pub async fn folder_by_path(&self, path: &str) -> Result<FolderRow, Error> {
        let (space_id, wanted) = (self.space.id, path.trim_matches('/').to_string());
        let found = self.db.call(move |db| db.folder_by_path(space_id, &wanted)).await?;
        // Through `folder`, so that a folder the principal may not see is as absent by path as by id.
        self.folder(found.ok_or_else(|| Error::NotFound(format!("folder {path}")))?.id).await
    }

    /// An item of this space that the principal can see (for a link: one of the shared items, or the video half
    /// of one).
    pub async fn item(&self, id: i64) -> Result<ItemRow, Error> {
        let found = self.db.call(move |db| db.item(id)).await?;
        let item =
            found.filter(|i| i.space_id == self.space.id).ok_or_else(|| Error::NotFound(format!("item {id}")))?;
        match &self.grant {
            Grant::Folders(roles) if roles.views_everything() => {}
            Grant::Folders(_) => self.require_on_item(&item, Role::View).await?,
            Grant::Link { .. } => {
                let reach = self.reach(Role::View).await?;
                if !self.db.call(move |db| db.in_reach(&reach, id)).await? {
                    return Err(Error::NotFound(format!("item {id}")));
                }
            }
        }
        Ok(item)
    }

    /// Checks that the principal has `need` on an item of this space that they see.
    pub async fn require_on_item(&self, item: &ItemRow, need: Role) -> Result<(), Error> {
        let folder_id = item.folder_id;
        let folder = self.db.call(move |db| db.folder(folder_id)).await?;
        let path = folder.map(|f| f.path).ok_or_else(|| Error::NotFound(format!("item {}", item.id)))?;
        if let Grant::Link { role, owner, .. } = &self.grant {
            // The item is one of the shared ones (`item` checked): the link's role decides, within its owner's.
            return if (*role).min(owner.role_at(&path)) >= need { Ok(()) } else { Err(Error::Forbidden) };
        }
        match self.require(&path, need) {
            Err(Error::NotFound(_)) => Err(Error::NotFound(format!("item {}", item.id))),
            other => other,
        }
    }

    /// An item the principal may see and has `need` on.
    pub async fn item_with(&self, id: i64, need: Role) -> Result<ItemRow, Error> {
        let item = self.item(id).await?;
        self.require_on_item(&item, need).await?;
        Ok(item)
    }

    /// Where an item of this space that the principal can see is on disk.
    pub async fn item_file(&self, id: i64) -> Result<ItemFile, Error> {
        let item = self.item(id).await?;
        self.db.call(move |db| db.item_file(item.id)).await?.ok_or_else(|| Error::NotFound(format!("item {id}")))
    }

    /// Where a link's holder may add a file: the shared folder (or `folder_id`, a folder under it), a photo
    /// request's folder, or, for an album, the upload folder `default_folder`, the file then joining the album.
    /// `None` for a user (whose uploads go where they ask, checked by `require`); not found for a link that gives
    /// no upload, whatever is asked: an upload link never reaches beyond its target.
    pub async fn link_upload(&self, folder_id: Option<i64>, default_folder: &str) -> Result<Option<LinkUpload>, Error> {
        let Grant::Link { link, role, folder, owner } = &self.grant else { return Ok(None) };
        if *role < Role::Upload {
            return Err(Error::NotFound("upload".into()));
        }
        let shared_folder = || folder.clone().ok_or_else(|| Error::NotFound("the shared folder".into()));
        let place = match (link.kind, link.album_id) {
            (LinkKind::Folder, _) => match folder_id {
                Some(id) => LinkUpload { folder: self.folder(id).await?.path, album_id: None },
                None => LinkUpload { folder: shared_folder()?, album_id: None },
            },
            (_, Some(album)) => {
                // A condition album holds what its condition matches: nothing is added to it by hand.
                if self.db.call(move |db| db.album_condition(album)).await?.is_some() {
                    return Err(Error::NotFound("upload".into()));
                }
                LinkUpload { folder: default_folder.to_string(), album_id: Some(album) }
            }
            (LinkKind::Request, None) => LinkUpload { folder: shared_folder()?, album_id: None },
            (LinkKind::Album, None) => return Err(Error::NotFound("the shared album".into())),
        };
        // Never more than the link's owner may do there now.
        if owner.role_at(&place.folder) < Role::Upload {
            return Err(Error::NotFound("upload".into()));
        }
        Ok(Some(place))
    }

    /// Who new files and folders this principal makes in this space belong to: in a Personal Space, its owner; in
    /// the Shared Space, the user who made them (a link's owner, for what its holders add), with the share's group
    /// (as files under a setgid share).
    pub fn file_owner(&self) -> (u32, u32) {
        use std::os::unix::fs::MetadataExt;
        let (uid, gid) = match &self.principal {
            Principal::User(user) => (user.uid, user.gid),
            Principal::Link(grant) => {
                let uid = grant.link.owner_uid;
                (uid, uzers::get_user_by_uid(uid).map_or(uid, |u| u.primary_group_id()))
            }
        };
        match self.space.kind {
            SpaceKind::Personal => (uid, gid),
            SpaceKind::Shared => (uid, std::fs::metadata(&self.space.root).map(|m| m.gid()).unwrap_or(gid)),
        }
    }

    /// Who the principal is, for log lines.
    pub fn who(&self) -> &str {
        &self.who
    }

    /// One of the principal's albums of this space (for a link, the shared album); any other id answers not found.
    pub async fn album(&self, id: i64) -> Result<AlbumRow, Error> {
        Ok(self.albums(&[id]).await?.remove(0))
    }

    /// The principal's albums of this space with these ids, in the order asked; if any id is not one of them, not
    /// found (exactly as for an album that does not exist).
    pub async fn albums(&self, ids: &[i64]) -> Result<Vec<AlbumRow>, Error> {
        let uid = match &self.grant {
            Grant::Folders(_) => self.album_owner()?,
            Grant::Link { link, role, .. }
                if link.kind == LinkKind::Album
                    && *role >= Role::View
                    && ids.iter().all(|id| Some(*id) == link.album_id) =>
            {
                link.owner_uid
            }
            Grant::Link { .. } => return Err(Error::NotFound(format!("album {ids:?}"))),
        };
        let (space_id, wanted, limit) = (self.space.id, ids.to_vec(), ids.len() as i64);
        let mut found = self
            .db
            .call(move |db| db.albums(uid, space_id, Albums::Ids(&wanted), AlbumSort::CreateTime, true, 0, limit))
            .await?;
        let present: HashSet<i64> = found.iter().map(|a| a.id).collect();
        if let Some(missing) = ids.iter().find(|id| !present.contains(id)) {
            return Err(Error::NotFound(format!("album {missing}")));
        }
        crate::domain::in_asked_order(&mut found, ids, |a| a.id);
        Ok(found)
    }

    /// The shared album, for a link's holder with `need` on it; not found for anything else.
    pub async fn shared_album(&self, need: Role) -> Result<AlbumRow, Error> {
        let Grant::Link { link, role, .. } = &self.grant else { return Err(Error::NotFound("album".into())) };
        let album = self.album(link.album_id.ok_or_else(|| Error::NotFound("album".into()))?).await?;
        if *role < need {
            return Err(Error::Forbidden);
        }
        Ok(album)
    }

    /// Whether the principal is a share link's holder.
    pub fn is_link(&self) -> bool {
        matches!(self.grant, Grant::Link { .. })
    }

    /// The album a link shares (or a photo request fills), if it is one.
    pub fn linked_album(&self) -> Option<i64> {
        match &self.grant {
            Grant::Link { link, .. } => link.album_id,
            Grant::Folders(_) => None,
        }
    }

    /// The owner of albums this principal makes: a user; a link's holder makes none.
    pub fn album_owner(&self) -> Result<u32, Error> {
        match &self.principal {
            Principal::User(user) => Ok(user.uid),
            Principal::Link(_) => Err(Error::NotFound("albums".into())),
        }
    }

    /// A person of this space with a photo the principal may see; any other id is not found, like one that does
    /// not exist. A link shows no persons.
    pub async fn person(&self, id: i64) -> Result<PersonRow, Error> {
        if matches!(self.grant, Grant::Link { .. }) {
            return Err(Error::NotFound(format!("person {id}")));
        }
        let reach = self.reach(Role::View).await?;
        self.db.call(move |db| db.person(&reach, id)).await?.ok_or_else(|| Error::NotFound(format!("person {id}")))
    }

    /// A subject (concept) with a photo the principal may see (hidden concepts too: their own album page still
    /// opens), in a space with People (and so Subjects) on; any other id is not found. A link shows no subjects.
    pub async fn concept(&self, id: i64) -> Result<crate::db::ConceptRow, Error> {
        if matches!(self.grant, Grant::Link { .. }) {
            return Err(Error::NotFound(format!("subject {id}")));
        }
        let reach = self.reach(Role::View).await?;
        let space = reach.space_id;
        let found = self
            .db
            .call(move |db| match db.people_enabled(space)? {
                true => db.concepts(&reach, true, Some(id), 0, 1),
                false => Ok(Vec::new()),
            })
            .await?;
        found.into_iter().next().ok_or_else(|| Error::NotFound(format!("subject {id}")))
    }

    /// A subject the principal may correct (hide it, take photos out, choose its cover): one they see, in a space
    /// where they manage every folder, since the correction holds for everyone who sees the space.
    pub async fn concept_to_change(&self, id: i64) -> Result<crate::db::ConceptRow, Error> {
        let concept = self.concept(id).await?;
        if !self.changes_everything() {
            return Err(Error::Forbidden);
        }
        Ok(concept)
    }

    /// A place (`geocoding_id`, any level) the principal sees at least one item in: a place is only a name, but
    /// which places exist tells where other users have been, so one with none of theirs is absent.
    pub async fn place(&self, id: i64) -> Result<crate::db::PlaceCount, Error> {
        let reach = self.reach(Role::View).await?;
        let filter = crate::domain::ItemQuery { place_ids: vec![id], ..Default::default() };
        let counts = self.db.call(move |db| db.place_totals(&reach, &filter, id)).await?;
        counts.ok_or_else(|| Error::NotFound(format!("place {id}")))
    }

    /// Places (`geocoding_id`s, any level, each at most once) the principal sees at least one item in, checked in
    /// one query: one without is absent, and fails the whole list.
    pub async fn places(&self, ids: Vec<i64>) -> Result<Vec<i64>, Error> {
        let reach = self.reach(Role::View).await?;
        let asked = ids.clone();
        let seen = self.db.call(move |db| db.places_seen(&reach, &asked)).await?;
        match ids.iter().find(|id| !seen.contains(id)) {
            Some(id) => Err(Error::NotFound(format!("place {id}"))),
            None => Ok(ids),
        }
    }

    /// Whether the principal manages every folder of the space (its owner; the Shared Space's administrators).
    pub fn changes_everything(&self) -> bool {
        matches!(&self.grant, Grant::Folders(roles) if roles.is_full())
    }

    /// The database, for services that checked what they do here.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A person the principal may correct (name, hide, merge, move faces): one they see, in a space where they
    /// manage every folder (their own Personal Space; the Shared Space for its administrators), since a person's
    /// faces may lie in folders they cannot see.
    pub async fn person_to_change(&self, id: i64) -> Result<PersonRow, Error> {
        let person = self.person(id).await?;
        if !self.changes_everything() {
            return Err(Error::Forbidden);
        }
        Ok(person)
    }

    /// Faces of items the principal may see in this space, by face id; any other id is not found.
    pub async fn faces(&self, ids: &[i64]) -> Result<Vec<crate::db::ItemFace>, Error> {
        let wanted = ids.to_vec();
        let faces = self.db.call(move |db| db.faces_by_id(&wanted)).await?;
        for id in ids {
            let Some(face) = faces.iter().find(|f| f.id == *id) else {
                return Err(Error::NotFound(format!("face {id}")));
            };
            self.item(face.item_id).await?;
        }
        Ok(faces)
    }
}

/// What ownership and folder rules give a user in a space.
async fn user_roles(db: &Db, config: &SpacesConfig, user: &User, space: &Space) -> Result<Roles, Error> {
    Ok(match space.kind {
        // A Personal Space is its owner's by where it is (the home), whatever uid it was first recorded with.
        SpaceKind::Personal => {
            let own = crate::spaces::personal_root(config, &user.name)
                .is_some_and(|root| root.as_os_str() == space.root.as_str());
            if own {
                Roles::full()
            } else {
                Roles::none()
            }
        }
        SpaceKind::Shared if user.is_admin => Roles::full(),
        SpaceKind::Shared => {
            let space_id = space.id;
            let rules = db.call(move |db| db.folder_rules(space_id)).await?;
            Roles::for_member(&rules, user.uid, &user.groups, config.shared_default_role)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Member;

    fn user(uid: u32, name: &str, is_admin: bool) -> Principal {
        Principal::User(User { uid, gid: uid, name: name.into(), is_admin, groups: vec![uid] })
    }

    fn config() -> SpacesConfig {
        SpacesConfig {
            personal_pattern: "/home/*/Photos".into(),
            min_uid: 1000,
            allowed_group: String::new(),
            shared_root: "/photo".into(),
            shared_default_role: Role::View,
            discovery_interval_secs: 60,
        }
    }

    #[tokio::test]
    async fn a_personal_space_is_its_owners_alone_and_shared_folders_follow_their_rules() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("l.db")).unwrap();
        let alices = db.ensure_space(SpaceKind::Personal, Some((1001, "alice")), "/home/alice/Photos", true).unwrap();
        let shared = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap();
        let private = db.ensure_folder(shared.id, "Private").unwrap();
        db.set_folder_rules(shared.id, "Private", &[(Member::User(1001), Role::Manage)]).unwrap();
        let config = config();
        let open = |who: Principal, space: &Space| SpaceAccess::open(&db, &config, who, space.clone());

        let alice = open(user(1001, "alice", false), &alices).await.unwrap();
        assert!(alice.reach(Role::Download).await.unwrap().is_whole());
        assert!(alice.require("anything", Role::Manage).is_ok());
        // bob, even an administrator, gets exactly what a missing space would give: nothing, as not found.
        let bob = open(user(1002, "bob", true), &alices).await.unwrap();
        assert!(matches!(bob.folder(0).await, Err(Error::NotFound(_))));
        assert!(matches!(bob.require("", Role::View), Err(Error::NotFound(_))));
        assert!(!bob.reach(Role::View).await.unwrap().is_whole());

        let carol = open(user(1003, "carol", false), &shared).await.unwrap();
        assert!(matches!(carol.folder(private).await, Err(Error::NotFound(_))), "denied answers as absent");
        assert!(matches!(carol.require("Private/2020", Role::View), Err(Error::NotFound(_))));
        assert!(matches!(carol.require("", Role::Upload), Err(Error::Forbidden)), "seen, but only to view");
        assert!(carol.folder(0).await.is_ok());
        let alice = open(user(1001, "alice", false), &shared).await.unwrap();
        assert_eq!(alice.folder(private).await.unwrap().path, "Private");
        assert!(alice.require("Private", Role::Manage).is_ok());
        let admin = open(user(1002, "bob", true), &shared).await.unwrap();
        assert!(admin.reach(Role::Download).await.unwrap().is_whole());
    }
}
