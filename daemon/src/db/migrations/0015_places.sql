-- Places (issue 17): where each item with a GPS position was taken, as a path of places (country, state, county,
-- city, district) that all spaces share; a place is only a name, so it shows nobody's photos. Who may see which items of a
-- place is decided per call, like everywhere (db::Reach).

CREATE TABLE place (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients keep geocoding ids
    parent_id   INTEGER REFERENCES place (id),
    level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),  -- 1 country, 2 state, 3 county, 4 city, 5 district
    name        TEXT NOT NULL,
    -- The ISO 3166-1 alpha-2 code of the country the place is in.
    country_code TEXT NOT NULL,
    -- The place at each level of its path, itself included (NULL where the data has no such level): a list of a
    -- country's items, or its children's counts, reads one row per item instead of walking the tree.
    l1          INTEGER NOT NULL,
    l2          INTEGER,
    l3          INTEGER,
    l4          INTEGER,
    l5          INTEGER
);
CREATE UNIQUE INDEX place_path ON place (coalesce(parent_id, 0), level, name, country_code);
CREATE INDEX place_name ON place (name COLLATE NOCASE);

-- The deepest place of the item's position (its `geocoding_id`), and the version of the place data and rules
-- that placed it (NULL: not placed yet, or its position changed since).
ALTER TABLE item ADD COLUMN place_id INTEGER REFERENCES place (id);
ALTER TABLE item ADD COLUMN place_version INTEGER;
CREATE INDEX item_place ON item (place_id, space_id) WHERE place_id IS NOT NULL;
-- What the geocode stage has left to do, found without reading every item.
CREATE INDEX item_unplaced ON item (space_id, id) WHERE latitude IS NOT NULL AND place_version IS NULL;
-- Items by position, for the map: covering what it reads (db/map.rs), a million positions in half a second.
CREATE INDEX item_position ON item (space_id, latitude, longitude, folder_id, state, live_photo_id)
WHERE latitude IS NOT NULL;

-- A position that changes (read again from the file, edited by the user, or cleared) is placed again: whoever
-- writes it, the place follows.
CREATE TRIGGER item_position_changed AFTER UPDATE OF latitude, longitude ON item
WHEN old.latitude IS NOT new.latitude OR old.longitude IS NOT new.longitude
BEGIN
    UPDATE item SET place_id = NULL, place_version = NULL WHERE id = new.id;
END;

-- The map keeps every positioned item of a space in memory (db/map.rs) and reads them again only when this
-- counter moved: an item with a position came, went, moved, or changed what decides who sees it.
CREATE TABLE map_epoch (
    space_id    INTEGER PRIMARY KEY,
    epoch       INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER item_map_insert AFTER INSERT ON item WHEN new.latitude IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO map_epoch (space_id) VALUES (new.space_id);
    UPDATE map_epoch SET epoch = epoch + 1 WHERE space_id = new.space_id;
END;
CREATE TRIGGER item_map_delete AFTER DELETE ON item WHEN old.latitude IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO map_epoch (space_id) VALUES (old.space_id);
    UPDATE map_epoch SET epoch = epoch + 1 WHERE space_id = old.space_id;
END;
CREATE TRIGGER item_map_update AFTER UPDATE OF latitude, longitude, folder_id, state, live_photo_id, space_id ON item
WHEN (old.latitude IS NOT NULL OR new.latitude IS NOT NULL)
 AND (old.latitude IS NOT new.latitude OR old.longitude IS NOT new.longitude OR old.folder_id IS NOT new.folder_id
      OR old.state IS NOT new.state OR old.live_photo_id IS NOT new.live_photo_id OR old.space_id IS NOT new.space_id)
BEGIN
    -- Both spaces: an item moved to another space leaves the one it was in.
    INSERT OR IGNORE INTO map_epoch (space_id) VALUES (old.space_id);
    UPDATE map_epoch SET epoch = epoch + 1 WHERE space_id = old.space_id;
    INSERT OR IGNORE INTO map_epoch (space_id) VALUES (new.space_id);
    UPDATE map_epoch SET epoch = epoch + 1 WHERE space_id = new.space_id AND new.space_id IS NOT old.space_id;
END;

-- A position the user set (latitude and longitude) or cleared (both NULL) by hand, applied again after every
-- re-read of the file, like the other edits.
ALTER TABLE item_edit ADD COLUMN position_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE item_edit ADD COLUMN latitude REAL;
ALTER TABLE item_edit ADD COLUMN longitude REAL;
