-- Tags belong to a space (issue 13): one user's tag names are never another's to see, to use or to probe for.
-- The global tags are split: each space gets a tag of its own for every name its items carry, and ids change.
-- (Renaming first keeps the foreign keys right: the old table's implicit delete at DROP must cascade to nothing.)
ALTER TABLE tag RENAME TO tag_global_0001;
CREATE TABLE tag (
    id       INTEGER PRIMARY KEY,
    space_id INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE,
    name     TEXT NOT NULL COLLATE NOCASE,
    UNIQUE (space_id, name)
);
INSERT INTO tag (space_id, name)
    SELECT DISTINCT i.space_id, g.name
    FROM item_tag it JOIN item i ON i.id = it.item_id JOIN tag_global_0001 g ON g.id = it.tag_id;
CREATE TABLE item_tag_by_space (
    item_id INTEGER NOT NULL REFERENCES item (id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
    source  TEXT NOT NULL CHECK (source IN ('file', 'user')),
    PRIMARY KEY (item_id, tag_id)
) WITHOUT ROWID;
INSERT INTO item_tag_by_space (item_id, tag_id, source)
    SELECT it.item_id, t.id, it.source
    FROM item_tag it JOIN item i ON i.id = it.item_id JOIN tag_global_0001 g ON g.id = it.tag_id
    JOIN tag t ON t.space_id = i.space_id AND t.name = g.name;
DROP TABLE item_tag;
DROP TABLE tag_global_0001;
ALTER TABLE item_tag_by_space RENAME TO item_tag;
CREATE INDEX item_tag_tag ON item_tag (tag_id);
