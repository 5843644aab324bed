-- Subjects (issue 18): what the classifier recognised in each item, as concepts of the vocabulary compiled into
-- photosd (ml/data/concepts.tsv). A concept's id is given once for its name and never reused: clients keep ids.

CREATE TABLE concept (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    name  TEXT NOT NULL UNIQUE
);

-- A space's choices about a concept: hidden from the Subjects album (set_visibility), and its cover (set_cover).
CREATE TABLE concept_setting (
    space_id    INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE,
    concept_id  INTEGER NOT NULL REFERENCES concept (id) ON DELETE CASCADE,
    hidden      INTEGER NOT NULL DEFAULT 0,
    cover_item  INTEGER REFERENCES item (id) ON DELETE SET NULL,
    PRIMARY KEY (space_id, concept_id)
) WITHOUT ROWID;

-- The subjects of an item, its concept and each ancestor (a beagle's photo is "dog" and "animal"), with the score.
-- `hidden`: the user took the item out of the concept (hide_item); the row stays so that classifying the item
-- again does not bring it back.
CREATE TABLE item_concept (
    item_id     INTEGER NOT NULL REFERENCES item (id) ON DELETE CASCADE,
    concept_id  INTEGER NOT NULL REFERENCES concept (id) ON DELETE CASCADE,
    score       REAL NOT NULL,
    hidden      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, concept_id)
) WITHOUT ROWID;
CREATE INDEX item_concept_concept ON item_concept (concept_id, hidden, score DESC, item_id);

-- Which content the subjects were found for (its hash then), why not when they could not be, and the classes the
-- classifier kept (JSON {classes: [[class, score], ...], page}): a new vocabulary gives every item its subjects again from them,
-- without running the network.
ALTER TABLE item ADD COLUMN subjects_hash TEXT;
ALTER TABLE item ADD COLUMN subjects_error TEXT;
ALTER TABLE item ADD COLUMN subject_classes TEXT;
