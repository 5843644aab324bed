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
