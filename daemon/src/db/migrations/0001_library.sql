-- The library: spaces, their folders, the items in them, tags, and the persistent job queue.
-- Paths are stored relative to the space root, with '/' separators; the root folder's path is ''.

CREATE TABLE space (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('personal', 'shared')),
    owner_uid   INTEGER,                       -- NULL for the Shared Space
    owner_name  TEXT,
    root        TEXT NOT NULL UNIQUE,          -- absolute path on disk
    created_at  INTEGER NOT NULL
);

CREATE TABLE folder (
    id          INTEGER PRIMARY KEY,
    space_id    INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE,
    parent_id   INTEGER REFERENCES folder (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (space_id, path)
);
CREATE INDEX folder_parent ON folder (parent_id);

CREATE TABLE item (
    id              INTEGER PRIMARY KEY,
    space_id        INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE,
    folder_id       INTEGER NOT NULL REFERENCES folder (id) ON DELETE CASCADE,
    filename        TEXT NOT NULL,
    size            INTEGER NOT NULL,
    mtime_ns        INTEGER NOT NULL,
    hash            TEXT,                      -- BLAKE3, hex
    type            TEXT NOT NULL CHECK (type IN ('photo', 'video', 'live')),
    mime            TEXT,
    state           TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'broken', 'missing')),
    error           TEXT,                      -- why the file could not be read (state = 'broken')
    width           INTEGER,                   -- after orientation
    height          INTEGER,
    orientation     INTEGER,
    taken_local     TEXT,                      -- 'YYYY-MM-DDTHH:MM:SS' as the camera's clock showed it
    taken_offset    INTEGER,                   -- minutes east of UTC, when known
    taken_source    TEXT,                      -- which field the time came from
    taken_ts        INTEGER NOT NULL,          -- seconds, the local time read as if UTC: sorts the timeline
    make            TEXT,
    model           TEXT,
    lens            TEXT,
    focal_length    REAL,
    exposure_time   REAL,
    f_number        REAL,
    iso             INTEGER,
    flash           INTEGER,
    latitude        REAL,
    longitude       REAL,
    altitude        REAL,
    duration        REAL,
    rotation        INTEGER,
    video_codec     TEXT,
    audio_codec     TEXT,
    frame_rate      REAL,
    bitrate         INTEGER,
    description     TEXT,
    rating          INTEGER,
    content_id      TEXT,                      -- Apple Live Photo content identifier
    live_photo_id   INTEGER REFERENCES item (id) ON DELETE SET NULL, -- set on the video half of a Live Photo
    added_at        INTEGER NOT NULL,
    indexed_at      INTEGER NOT NULL,
    UNIQUE (folder_id, filename)
);
CREATE INDEX item_space_taken ON item (space_id, taken_ts);
CREATE INDEX item_hash ON item (hash);
CREATE INDEX item_state ON item (state) WHERE state <> 'ok';
CREATE INDEX item_live ON item (live_photo_id) WHERE live_photo_id IS NOT NULL;

CREATE TABLE tag (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE item_tag (
    item_id INTEGER NOT NULL REFERENCES item (id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
    source  TEXT NOT NULL CHECK (source IN ('file', 'user')),
    PRIMARY KEY (item_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX item_tag_tag ON item_tag (tag_id);

CREATE TABLE job (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    payload     TEXT NOT NULL,                 -- JSON
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    priority    INTEGER NOT NULL DEFAULT 0,    -- lower runs first
    attempts    INTEGER NOT NULL DEFAULT 0,
    requeue     INTEGER NOT NULL DEFAULT 0,    -- enqueued again while running: run once more when it ends
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX job_ready ON job (state, priority, id);
