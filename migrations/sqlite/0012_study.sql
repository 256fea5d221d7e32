-- 线上学习: a course's lessons, the one place each person studies, and the study time the
-- server credited. Keep in step with ../postgres/0012_study.sql.
ALTER TABLE courses ADD COLUMN study_before_booking BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE lessons (
    id                INTEGER PRIMARY KEY,
    course_id         INTEGER NOT NULL REFERENCES courses (id),
    position          INTEGER NOT NULL,
    module            TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    body              TEXT    NOT NULL,
    required_seconds  INTEGER NOT NULL,
    video_url         TEXT,
    sources           TEXT    NOT NULL DEFAULT '[]',
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    CONSTRAINT lessons_position_key UNIQUE (course_id, position)
);

-- One row per person: opening a lesson anywhere replaces it, so only the newest page earns.
CREATE TABLE study_sessions (
    user_id            INTEGER PRIMARY KEY REFERENCES users (id),
    token_hash         TEXT    NOT NULL,
    lesson_id          INTEGER NOT NULL REFERENCES lessons (id),
    opened_at          TEXT    NOT NULL,
    last_beat_at       TEXT,
    last_seq           INTEGER NOT NULL,
    video_position_ms  INTEGER
);

CREATE TABLE lesson_progress (
    user_id       INTEGER NOT NULL REFERENCES users (id),
    lesson_id     INTEGER NOT NULL REFERENCES lessons (id),
    credited_ms   INTEGER NOT NULL,
    completed_at  TEXT,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (user_id, lesson_id)
);
CREATE INDEX lesson_progress_lesson ON lesson_progress (lesson_id);
