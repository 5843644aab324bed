-- A session remembers the account's credential as it was at login (a digest of its shadow entry's password hash
-- and expiry date), so that a password changed, or an account locked or expired, ends every session it had.
-- Sessions from before have none and are checked from their next login on.
ALTER TABLE session ADD COLUMN credential TEXT;
