-- Shared Space folder permissions (issue 4). A folder with rows here has rules of its own; one without inherits
-- its parent's. Rules are keyed by the folder's path rather than its id, so that a folder that a sync tool
-- removes and puts back (or that is re-indexed from nothing) keeps them; renames and moves through the API
-- carry them along. member_type 'everyone' (member_id 0) is every Photos user.
CREATE TABLE folder_permission (
    space_id    INTEGER NOT NULL REFERENCES space(id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    member_type TEXT NOT NULL CHECK (member_type IN ('everyone', 'user', 'group')),
    member_id   INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('none', 'view', 'download', 'upload', 'manage')),
    PRIMARY KEY (space_id, path, member_type, member_id)
) WITHOUT ROWID;
-- Upload.Item backup_check looks files up by name within a space.
CREATE INDEX item_space_filename ON item (space_id, filename);
