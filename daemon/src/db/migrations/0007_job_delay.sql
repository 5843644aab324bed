-- A job put back because photosd's own storage refused its output (the data dir unwritable, full or read-only)
-- waits until `not_before` (unix seconds), longer after each such failure (`storage_failures`), so that the queue
-- goes on with other work meanwhile and a full disk is not filled again and again (issue 12).
ALTER TABLE job ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job ADD COLUMN storage_failures INTEGER NOT NULL DEFAULT 0;
