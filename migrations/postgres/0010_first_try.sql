-- Whether an attempt was the person's first at its course, set when it is graded, so the
-- reports' first-try pass rate reads a column instead of looking for earlier attempts.
-- Keep in step with ../sqlite/0010_first_try.sql.

ALTER TABLE attempts ADD COLUMN first_try BOOLEAN;
UPDATE attempts SET first_try = NOT EXISTS (
    SELECT 1 FROM attempts p WHERE p.user_id = attempts.user_id
    AND p.course_id = attempts.course_id AND p.started_at < attempts.started_at)
 WHERE status <> 'in_progress';
