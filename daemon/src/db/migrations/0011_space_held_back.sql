-- What the last reconcile of a space did not believe: how many files looked gone, and why (its folder missing or
-- on another file system, or most of it vanished at once). Shown by Index get until the space is whole again or
-- `photosd index --accept-missing` confirms the loss.
ALTER TABLE space ADD COLUMN held_back INTEGER NOT NULL DEFAULT 0;
ALTER TABLE space ADD COLUMN held_back_reason TEXT;
