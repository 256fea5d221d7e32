-- What the reports read instead of every row: whether an attempt was a first try, and the
-- books of sittings and days that are over (summed once, never changed after).
-- Keep in step with ../sqlite/0010_first_try.sql.

-- Whether an attempt was the person's first at its course, set when it is graded, so the
-- first-try pass rate reads a column instead of looking for earlier attempts.
ALTER TABLE attempts ADD COLUMN first_try BOOLEAN;
UPDATE attempts SET first_try = NOT EXISTS (
    SELECT 1 FROM attempts p WHERE p.user_id = attempts.user_id
    AND p.course_id = attempts.course_id AND p.started_at < attempts.started_at)
 WHERE status <> 'in_progress';

-- A renewal or reissue names the certificate before it; the reports ask "was this one
-- renewed or replaced" for every valid certificate.
CREATE INDEX certificates_previous_idx ON certificates (previous_id) WHERE previous_id IS NOT NULL;
-- Revocations by day, for the books and the reports.
CREATE INDEX certificates_revoked_idx ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;

-- A sitting whose window is over and whose attempts are all graded cannot change any more:
-- its bookings and attempts are summed once per street and enterprise (as they stood then).
CREATE TABLE closed_sittings (
    sitting_id  BIGINT PRIMARY KEY REFERENCES sittings (id),
    closed_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE sitting_facts (
    sitting_id      BIGINT NOT NULL REFERENCES sittings (id),
    street_id       BIGINT,
    enterprise_id   BIGINT,
    registrations   BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    finished        BIGINT NOT NULL,
    passed          BIGINT NOT NULL,
    first_finished  BIGINT NOT NULL,
    first_passed    BIGINT NOT NULL,
    score_pct_sum   DOUBLE PRECISION NOT NULL
);
CREATE INDEX sitting_facts_sitting_idx ON sitting_facts (sitting_id);
CREATE INDEX sitting_facts_enterprise_idx ON sitting_facts (enterprise_id);

-- Certificates issued, renewed and revoked per day (China time), for the days up to
-- `closed_through`: a day that is over gets no more.
CREATE TABLE certificate_facts (
    day            DATE NOT NULL,
    course_id      BIGINT NOT NULL REFERENCES courses (id),
    street_id      BIGINT,
    enterprise_id  BIGINT,
    issued         BIGINT NOT NULL,
    renewed        BIGINT NOT NULL,
    revoked        BIGINT NOT NULL
);
CREATE INDEX certificate_facts_day_idx ON certificate_facts (day);
CREATE TABLE report_books (
    name            TEXT PRIMARY KEY,
    closed_through  DATE NOT NULL
);
