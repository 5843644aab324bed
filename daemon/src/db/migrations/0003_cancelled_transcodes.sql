-- A transcode can be cancelled (issue 3). SQLite cannot change a CHECK constraint, nor drop a column that one
-- names, so the 0002 column is retired under another name (and emptied) and a new one takes its place.
ALTER TABLE item RENAME COLUMN video_state TO retired_video_state_0002;
-- Videos only: 'original' (the browser plays it), 'queued', 'running', 'ready' (a transcode exists), 'broken',
-- 'cancelled' (someone stopped it; it runs again only when asked).
ALTER TABLE item ADD COLUMN video_state TEXT
    CHECK (video_state IN ('original', 'queued', 'running', 'ready', 'broken', 'cancelled'));
UPDATE item SET video_state = retired_video_state_0002, retired_video_state_0002 = NULL
    WHERE retired_video_state_0002 IS NOT NULL;
