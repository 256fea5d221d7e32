-- Question banks (题库), versioned questions, courses with their exam blueprint.
-- Keep in step with ../postgres/0002_question_banks_courses.sql.

CREATE TABLE question_banks (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   TEXT NOT NULL,
    CONSTRAINT question_banks_name_key UNIQUE (name)
);

-- A question's identity; its text and key live in question_versions. `ref` is the stable
-- key re-imports match on (a file's own key, or H- and the content hash).
CREATE TABLE questions (
    id               INTEGER PRIMARY KEY,
    bank_id          INTEGER NOT NULL REFERENCES question_banks (id),
    ref              TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    current_version  INTEGER NOT NULL,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    CONSTRAINT questions_bank_ref_key UNIQUE (bank_id, ref)
);

-- Versions are never changed or deleted: a paper points at the exact version it showed.
CREATE TABLE question_versions (
    id            INTEGER PRIMARY KEY,
    question_id   INTEGER NOT NULL REFERENCES questions (id),
    version       INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    stem          TEXT    NOT NULL,
    options       TEXT    NOT NULL,
    answer        TEXT    NOT NULL,
    explanation   TEXT    NOT NULL,
    tags          TEXT    NOT NULL,
    difficulty    INTEGER NOT NULL,
    content_hash  TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    CONSTRAINT question_versions_question_version_key UNIQUE (question_id, version)
);

CREATE TABLE courses (
    id                  INTEGER PRIMARY KEY,
    code                TEXT    NOT NULL,
    title               TEXT    NOT NULL,
    category            TEXT    NOT NULL,
    training_hours      INTEGER NOT NULL,
    pass_mark           REAL    NOT NULL,
    time_limit_minutes  INTEGER NOT NULL,
    validity_months     INTEGER NOT NULL,
    retake_limit        INTEGER NOT NULL,
    practical_required  BOOLEAN NOT NULL,
    review_after        TEXT    NOT NULL,
    blueprint           TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    CONSTRAINT courses_code_key UNIQUE (code)
);
