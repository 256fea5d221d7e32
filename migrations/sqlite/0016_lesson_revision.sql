-- A lesson's revision, raised by every write: the console's edit form carries the revision
-- it showed, and a save over a newer one is refused instead of losing the other edit.
-- Keep in step with ../postgres/0016_lesson_revision.sql.
ALTER TABLE lessons ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
