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
