-- Conditional albums (issue 19): an album whose members are not listed but computed, at every read, from a stored
-- query (domain::ItemQuery as JSON, compiled by db/query.rs like every list and search). NULL for a normal album.
ALTER TABLE album ADD COLUMN condition TEXT;
