-- Thumbnail and playable-video state of each item (issue 3). Thumbnails are content-addressed files under the
-- data dir, named after `thumb_hash` (the content hash they were rendered from).
ALTER TABLE item ADD COLUMN thumb_state TEXT NOT NULL DEFAULT 'notready'
    CHECK (thumb_state IN ('notready', 'ready', 'broken'));
ALTER TABLE item ADD COLUMN thumb_error TEXT;
ALTER TABLE item ADD COLUMN thumb_hash TEXT;
-- Videos only: 'original' (the browser plays it), 'queued', 'running', 'ready' (a transcode exists), 'broken'.
ALTER TABLE item ADD COLUMN video_state TEXT
    CHECK (video_state IN ('original', 'queued', 'running', 'ready', 'broken'));
ALTER TABLE item ADD COLUMN video_progress REAL;
ALTER TABLE item ADD COLUMN video_error TEXT;
CREATE INDEX item_thumb_state ON item (thumb_state) WHERE thumb_state <> 'ready';
