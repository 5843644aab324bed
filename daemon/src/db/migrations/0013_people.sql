-- People (issue 15): the faces found in each item, and the persons they are grouped into, per space.
-- A face's box and landmarks are fractions of the upright photo's width and height, so they hold at any size.

CREATE TABLE person (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients and the face index keep ids
    space_id    INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE,
    name        TEXT NOT NULL DEFAULT '',
    hidden      INTEGER NOT NULL DEFAULT 0,
    -- The face shown for the person; NULL: its best face.
    cover_face  INTEGER,
    -- The user named, hid, merged or corrected it: clustering never undoes or removes it.
    user_set    INTEGER NOT NULL DEFAULT 0,
    -- Its faces, kept by the triggers below: lists sort by it without counting 200,000 faces each time.
    face_count  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX person_space ON person (space_id, name);

CREATE TABLE face (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients and the face index keep ids
    item_id     INTEGER NOT NULL REFERENCES item (id) ON DELETE CASCADE,
    space_id    INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE,
    x           REAL NOT NULL,
    y           REAL NOT NULL,
    width       REAL NOT NULL,
    height      REAL NOT NULL,
    landmarks   TEXT NOT NULL,                 -- JSON [[x, y] × 5], fractions like the box
    score       REAL NOT NULL,
    -- Width of the face in pixels of the image it was found in: small faces embed poorly.
    size_px     REAL NOT NULL,
    embedding   BLOB NOT NULL,                 -- 128 × f32, little-endian, L2-normalised
    person_id   INTEGER REFERENCES person (id) ON DELETE SET NULL,
    -- 'auto': clustering put it there; 'user': the user did (a user's NULL means "nobody I know", kept so).
    assigned_by TEXT NOT NULL DEFAULT 'auto' CHECK (assigned_by IN ('auto', 'user'))
);
CREATE INDEX face_item ON face (item_id);
CREATE INDEX face_person ON face (person_id, item_id);
CREATE INDEX face_space ON face (space_id);
-- A person's clearest face first, for its cover (the ORDER BY in db/people.rs repeats this expression).
CREATE INDEX face_cover ON face (person_id, (score * min(size_px, 160)) DESC);

CREATE TRIGGER face_counted AFTER INSERT ON face WHEN NEW.person_id IS NOT NULL BEGIN
    UPDATE person SET face_count = face_count + 1 WHERE id = NEW.person_id;
END;
CREATE TRIGGER face_uncounted AFTER DELETE ON face WHEN OLD.person_id IS NOT NULL BEGIN
    UPDATE person SET face_count = face_count - 1 WHERE id = OLD.person_id;
END;
CREATE TRIGGER face_moved AFTER UPDATE OF person_id ON face WHEN OLD.person_id IS NOT NEW.person_id BEGIN
    UPDATE person SET face_count = face_count - 1 WHERE id = OLD.person_id;
    UPDATE person SET face_count = face_count + 1 WHERE id = NEW.person_id;
END;

-- Which content the faces of an item were found for (its hash then), and why not when they could not be.
ALTER TABLE item ADD COLUMN faces_hash TEXT;
ALTER TABLE item ADD COLUMN faces_error TEXT;
-- People is on by default in every space; off, the stage skips the space and the album is hidden.
ALTER TABLE space ADD COLUMN people_enabled INTEGER NOT NULL DEFAULT 1;
