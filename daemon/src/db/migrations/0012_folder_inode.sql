-- A folder's inode (issue 14), recorded by the reconcile scan and the watcher, so that a folder renamed or moved
-- while photosd was not running is recognised as the same folder: it keeps its id, its items and its permission
-- rules instead of losing them to a new folder at the new path.
ALTER TABLE folder ADD COLUMN inode INTEGER;
