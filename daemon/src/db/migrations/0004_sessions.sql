-- Login sessions of the web API (issue 4). The session id itself is never stored, only its BLAKE3 hash, so a
-- copy of the database does not let anyone act as a logged-in user.
CREATE TABLE session (
    sid_hash    TEXT PRIMARY KEY,
    syno_token  TEXT NOT NULL,                 -- CSRF token the client sends back on every call (SynoToken)
    uid         INTEGER NOT NULL,
    user_name   TEXT NOT NULL,
    client_ip   TEXT,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_last_seen ON session (last_seen);

-- Browsing a folder sorted by date taken (the API's default order) without sorting the folder each time.
CREATE INDEX item_folder_taken ON item (folder_id, taken_ts);
-- What the timeline and the item lists read: visible items of a space by date taken. Partial, so listing a
-- page deep into a 100,000-item space walks only this index.
CREATE INDEX item_visible_taken ON item (space_id, taken_ts) WHERE state <> 'missing' AND live_photo_id IS NULL;

-- What users changed by hand (description, rating, date taken): kept apart from what the file says, and
-- applied again after every re-read of the file, so an edit survives re-indexing.
CREATE TABLE item_edit (
    item_id      INTEGER PRIMARY KEY REFERENCES item (id) ON DELETE CASCADE,
    description  TEXT,
    rating       INTEGER,
    taken_ts     INTEGER,
    updated_at   INTEGER NOT NULL
);

-- Visible items per space and day, kept by triggers: the timeline reads a few thousand rows instead of counting
-- a whole space, and a list deep into a space by date finds its page from these counts.
CREATE TABLE timeline_day (
    space_id  INTEGER NOT NULL,
    day       INTEGER NOT NULL,                -- taken_ts / 86400
    count     INTEGER NOT NULL,
    PRIMARY KEY (space_id, day)
) WITHOUT ROWID;
INSERT INTO timeline_day (space_id, day, count)
    SELECT space_id, taken_ts / 86400, count(*) FROM item
    WHERE state <> 'missing' AND live_photo_id IS NULL GROUP BY 1, 2;
CREATE TRIGGER item_timeline_insert AFTER INSERT ON item
    WHEN NEW.state <> 'missing' AND NEW.live_photo_id IS NULL
BEGIN
    INSERT INTO timeline_day (space_id, day, count) VALUES (NEW.space_id, NEW.taken_ts / 86400, 1)
        ON CONFLICT (space_id, day) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER item_timeline_delete AFTER DELETE ON item
    WHEN OLD.state <> 'missing' AND OLD.live_photo_id IS NULL
BEGIN
    UPDATE timeline_day SET count = count - 1 WHERE space_id = OLD.space_id AND day = OLD.taken_ts / 86400;
END;
CREATE TRIGGER item_timeline_update AFTER UPDATE OF space_id, taken_ts, state, live_photo_id ON item
BEGIN
    UPDATE timeline_day SET count = count - 1
        WHERE OLD.state <> 'missing' AND OLD.live_photo_id IS NULL
          AND space_id = OLD.space_id AND day = OLD.taken_ts / 86400;
    INSERT INTO timeline_day (space_id, day, count)
        SELECT NEW.space_id, NEW.taken_ts / 86400, 1 WHERE NEW.state <> 'missing' AND NEW.live_photo_id IS NULL
        ON CONFLICT (space_id, day) DO UPDATE SET count = count + 1;
END;
