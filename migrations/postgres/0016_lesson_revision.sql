-- A lesson's revision, raised by every write: the console's edit form carries the revision
-- it showed, and a save over a newer one is refused instead of losing the other edit.
-- Keep in step with ../sqlite/0016_lesson_revision.sql.
ALTER TABLE lessons ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
