-- Yearly targets (年度培训目标), the street a person belongs to, street officers, and what
-- the bureau's reports count by.
-- Keep in step with ../postgres/0008_targets_reports.sql.

-- The street (街道) a person lives or works in, given at sign-up or by the bureau; staff of
-- an enterprise without one count in their enterprise's street. A street officer
-- (街道应急办) sees the reports of this street only.
ALTER TABLE users ADD COLUMN street_id INTEGER REFERENCES streets (id);
CREATE INDEX users_street_idx ON users (street_id);

-- How a certificate came to be, so targets and reports count first certifications and
-- renewals apart without joining attempts: initial (passed the course's own exam), renewal
-- (passed a re-education course), reissue (the bureau replaced one; counted nowhere).
ALTER TABLE certificates ADD COLUMN kind TEXT NOT NULL DEFAULT 'initial';
UPDATE certificates SET kind = 'reissue' WHERE attempt_id IS NULL AND previous_id IS NOT NULL;
UPDATE certificates SET kind = 'renewal'
 WHERE attempt_id IS NOT NULL
   AND course_id <> (SELECT a.course_id FROM attempts a WHERE a.id = certificates.attempt_id);
CREATE INDEX certificates_issued_idx ON certificates (issued_on, course_id);

CREATE TABLE targets (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    -- One course, or every course of a category, or (both empty) every course.
    course_id   INTEGER REFERENCES courses (id),
    category    TEXT,
    -- The district as a whole, or one street, or one industry.
    street_id   INTEGER REFERENCES streets (id),
    industry    TEXT,
    target      INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT    NOT NULL
);
CREATE INDEX targets_year_idx ON targets (year);
