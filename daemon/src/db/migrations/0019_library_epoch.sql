-- Condition albums (issue 19) keep the sorted members of each condition in memory (db/members.rs) and read them
-- again only when one of these counters moved that the condition reads: `items`, an item came, went, or changed
-- a column a condition reads; `tags`, a tag was given, taken or renamed; `faces`, a face's person changed or a
-- person was renamed or hidden; `subjects`, an item's subjects changed; `folders`, a folder's path changed
-- (subfolders and keywords read it). Thumbnails, transcodes and the other work of the background stages move none
-- of them, and a library whose faces and subjects are being found keeps the lists of albums by camera or date.
CREATE TABLE library_epoch (
    space_id    INTEGER PRIMARY KEY,
    items       INTEGER NOT NULL DEFAULT 0,
    tags        INTEGER NOT NULL DEFAULT 0,
    faces       INTEGER NOT NULL DEFAULT 0,
    subjects    INTEGER NOT NULL DEFAULT 0,
    folders     INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER item_epoch_insert AFTER INSERT ON item
BEGIN
    INSERT INTO library_epoch (space_id, items) VALUES (new.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET items = items + 1;
END;
CREATE TRIGGER item_epoch_delete AFTER DELETE ON item
BEGIN
    INSERT INTO library_epoch (space_id, items) VALUES (old.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET items = items + 1;
END;
CREATE TRIGGER item_epoch_update AFTER UPDATE ON item
WHEN old.space_id IS NOT new.space_id OR old.folder_id IS NOT new.folder_id OR old.filename IS NOT new.filename
  OR old.type IS NOT new.type OR old.state IS NOT new.state OR old.taken_ts IS NOT new.taken_ts
  OR old.make IS NOT new.make OR old.model IS NOT new.model OR old.lens IS NOT new.lens
  OR old.focal_length IS NOT new.focal_length OR old.exposure_time IS NOT new.exposure_time
  OR old.f_number IS NOT new.f_number OR old.iso IS NOT new.iso OR old.latitude IS NOT new.latitude
  OR old.longitude IS NOT new.longitude OR old.description IS NOT new.description OR old.rating IS NOT new.rating
  OR old.live_photo_id IS NOT new.live_photo_id OR old.place_id IS NOT new.place_id
BEGIN
    -- Both spaces: an item moved to another space leaves the one it was in.
    INSERT INTO library_epoch (space_id, items) VALUES (old.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET items = items + 1;
    INSERT INTO library_epoch (space_id, items) SELECT new.space_id, 1 WHERE new.space_id IS NOT old.space_id
    ON CONFLICT (space_id) DO UPDATE SET items = items + 1;
END;

CREATE TRIGGER item_tag_epoch_insert AFTER INSERT ON item_tag
BEGIN
    INSERT INTO library_epoch (space_id, tags) SELECT space_id, 1 FROM item WHERE id = new.item_id
    ON CONFLICT (space_id) DO UPDATE SET tags = tags + 1;
END;
CREATE TRIGGER item_tag_epoch_delete AFTER DELETE ON item_tag
BEGIN
    INSERT INTO library_epoch (space_id, tags) SELECT space_id, 1 FROM item WHERE id = old.item_id
    ON CONFLICT (space_id) DO UPDATE SET tags = tags + 1;
END;
CREATE TRIGGER tag_epoch_rename AFTER UPDATE OF name ON tag WHEN old.name IS NOT new.name
BEGIN
    INSERT INTO library_epoch (space_id, tags) VALUES (new.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET tags = tags + 1;
END;

CREATE TRIGGER face_epoch_insert AFTER INSERT ON face WHEN new.person_id IS NOT NULL
BEGIN
    INSERT INTO library_epoch (space_id, faces) VALUES (new.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET faces = faces + 1;
END;
CREATE TRIGGER face_epoch_delete AFTER DELETE ON face WHEN old.person_id IS NOT NULL
BEGIN
    INSERT INTO library_epoch (space_id, faces) VALUES (old.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET faces = faces + 1;
END;
CREATE TRIGGER face_epoch_person AFTER UPDATE OF person_id ON face WHEN old.person_id IS NOT new.person_id
BEGIN
    INSERT INTO library_epoch (space_id, faces) VALUES (new.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET faces = faces + 1;
END;
CREATE TRIGGER person_epoch_rename AFTER UPDATE OF name, hidden ON person
WHEN old.name IS NOT new.name OR old.hidden IS NOT new.hidden
BEGIN
    INSERT INTO library_epoch (space_id, faces) VALUES (new.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET faces = faces + 1;
END;

CREATE TRIGGER item_concept_epoch_insert AFTER INSERT ON item_concept
BEGIN
    INSERT INTO library_epoch (space_id, subjects) SELECT space_id, 1 FROM item WHERE id = new.item_id
    ON CONFLICT (space_id) DO UPDATE SET subjects = subjects + 1;
END;
CREATE TRIGGER item_concept_epoch_delete AFTER DELETE ON item_concept
BEGIN
    INSERT INTO library_epoch (space_id, subjects) SELECT space_id, 1 FROM item WHERE id = old.item_id
    ON CONFLICT (space_id) DO UPDATE SET subjects = subjects + 1;
END;
CREATE TRIGGER item_concept_epoch_update AFTER UPDATE OF hidden, concept_id ON item_concept
WHEN old.hidden IS NOT new.hidden OR old.concept_id IS NOT new.concept_id
BEGIN
    INSERT INTO library_epoch (space_id, subjects) SELECT space_id, 1 FROM item WHERE id = new.item_id
    ON CONFLICT (space_id) DO UPDATE SET subjects = subjects + 1;
END;

CREATE TRIGGER folder_epoch_path AFTER UPDATE OF path ON folder WHEN old.path IS NOT new.path
BEGIN
    INSERT INTO library_epoch (space_id, folders) VALUES (new.space_id, 1)
    ON CONFLICT (space_id) DO UPDATE SET folders = folders + 1;
END;
