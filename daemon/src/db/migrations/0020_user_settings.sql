-- A user's portal preferences (issue 19's Settings page, `SYNO.Foto.Setting.User`): how lists sort by default, and
-- whether the Shared Space is shown. One row per user and setting, its value as JSON; a setting never set has no
-- row and takes its default.
CREATE TABLE user_setting (
    uid     INTEGER NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (uid, key)
) WITHOUT ROWID;
