-- Sharing (issue 16). A share link is Synology's passphrase: one per shared album or folder, and one per photo
-- request. What anyone holding it may do is `public_role` ('none': only the invitees of `share_member`); a link
-- with a password needs a sharing session (`share_session`) made by `SYNO.Core.Sharing.Login`. Disabled and
-- expired links answer as if they did not exist. Deleting the album or folder ends its link and its invitees.
CREATE TABLE share_link (
    id           INTEGER PRIMARY KEY,
    passphrase   TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('album', 'folder', 'request')),
    owner_uid    INTEGER NOT NULL,
    space_id     INTEGER NOT NULL REFERENCES space (id) ON DELETE CASCADE,
    album_id     INTEGER REFERENCES album (id) ON DELETE CASCADE,
    folder_id    INTEGER REFERENCES folder (id) ON DELETE CASCADE,
    enabled      INTEGER NOT NULL DEFAULT 1,
    public_role  TEXT NOT NULL DEFAULT 'none',
    password     TEXT,                              -- an Argon2id PHC string, never the password
    expires_at   INTEGER NOT NULL DEFAULT 0,        -- unix time; 0: never
    name         TEXT NOT NULL DEFAULT '',          -- a photo request's subject
    description  TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    CHECK ((album_id IS NULL) <> (folder_id IS NULL))
);
CREATE UNIQUE INDEX share_link_album ON share_link (album_id) WHERE kind = 'album';
CREATE UNIQUE INDEX share_link_folder ON share_link (folder_id) WHERE kind = 'folder';
CREATE INDEX share_link_owner ON share_link (owner_uid, kind);

-- Invitees: Photos users and groups, each with a role (view, download, upload, manage).
CREATE TABLE share_member (
    link_id      INTEGER NOT NULL REFERENCES share_link (id) ON DELETE CASCADE,
    member_type  TEXT NOT NULL CHECK (member_type IN ('user', 'group')),
    member_id    INTEGER NOT NULL,
    role         TEXT NOT NULL,
    PRIMARY KEY (link_id, member_type, member_id)
) WITHOUT ROWID;
CREATE INDEX share_member_member ON share_member (member_type, member_id);

-- Sharing sessions (the `sharing_sid` cookie): which password links a visitor has opened, from which address.
-- Only the BLAKE3 hash of the session id is stored, as for login sessions.
CREATE TABLE share_session (
    sid_hash     TEXT NOT NULL,
    link_id      INTEGER NOT NULL REFERENCES share_link (id) ON DELETE CASCADE,
    client_ip    TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (sid_hash, link_id)
) WITHOUT ROWID;

-- A selection shared as a link lives in a temporary album, which album lists do not show.
ALTER TABLE album ADD COLUMN temporary INTEGER NOT NULL DEFAULT 0;
