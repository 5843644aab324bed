-- Albums (Synology Photos' normal albums). An album belongs to one user and holds items of their Personal
-- Space; deleting an album never touches its photos, and an item that goes leaves every album it was in.
-- `version` changes with every change to the album, as Synology's does, so clients can tell a stale copy.
CREATE TABLE album (
    id          INTEGER PRIMARY KEY,
    owner_uid   INTEGER NOT NULL,
    space_id    INTEGER NOT NULL REFERENCES space(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX album_owner ON album (owner_uid);
CREATE TABLE album_item (
    album_id INTEGER NOT NULL REFERENCES album(id) ON DELETE CASCADE,
    item_id  INTEGER NOT NULL REFERENCES item(id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (album_id, item_id)
) WITHOUT ROWID;
CREATE INDEX album_item_item ON album_item (item_id);
