-- Papers drawn per registration, attempts (考试记录), their answers and events, the local
-- live-session journal, and practical assessments.
-- Keep in step with ../postgres/0004_attempts.sql.

CREATE TABLE papers (
    registration_id  INTEGER PRIMARY KEY REFERENCES registrations (id),
    seed             INTEGER NOT NULL,
    -- The paper with its key (server side only): question versions, option order, points.
    content          TEXT    NOT NULL,
    created_at       TEXT    NOT NULL
);

CREATE TABLE attempts (
    id                 INTEGER PRIMARY KEY,
    registration_id    INTEGER NOT NULL REFERENCES registrations (id),
    sitting_id         INTEGER NOT NULL REFERENCES sittings (id),
    user_id            INTEGER NOT NULL REFERENCES users (id),
    course_id          INTEGER NOT NULL REFERENCES courses (id),
    status             TEXT    NOT NULL,
    started_at         TEXT    NOT NULL,
    deadline           TEXT    NOT NULL,
    extended_minutes   INTEGER NOT NULL DEFAULT 0,
    finished_at        TEXT,
    score              REAL,
    max_score          REAL    NOT NULL,
    passed             BOOLEAN,
    sections           TEXT,
    terminated_reason  TEXT,
    CONSTRAINT attempts_registration_key UNIQUE (registration_id)
);
CREATE INDEX attempts_open_idx ON attempts (status, deadline);
CREATE INDEX attempts_sitting_idx ON attempts (sitting_id);
CREATE INDEX attempts_user_course_idx ON attempts (user_id, course_id);

CREATE TABLE attempt_answers (
    attempt_id           INTEGER NOT NULL REFERENCES attempts (id),
    position             INTEGER NOT NULL,
    question_version_id  INTEGER NOT NULL REFERENCES question_versions (id),
    choice               TEXT    NOT NULL,
    seq                  INTEGER NOT NULL,
    correct              BOOLEAN NOT NULL,
    awarded              REAL    NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

-- The embedded live store's journal: an answer is acknowledged once it is here.
CREATE TABLE live_answers (
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    position    INTEGER NOT NULL,
    choice      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    saved_at    TEXT    NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

CREATE TABLE attempt_events (
    id          INTEGER PRIMARY KEY,
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    kind        TEXT    NOT NULL,
    detail      TEXT,
    actor_id    INTEGER REFERENCES users (id),
    at          TEXT    NOT NULL
);
CREATE INDEX attempt_events_attempt_idx ON attempt_events (attempt_id);

CREATE TABLE practical_assessments (
    registration_id  INTEGER PRIMARY KEY REFERENCES registrations (id),
    passed           BOOLEAN NOT NULL,
    notes            TEXT,
    examiner_id      INTEGER NOT NULL REFERENCES users (id),
    assessed_at      TEXT    NOT NULL
);
