-- 练习 and 错题本: banks reserved for exams (never drawn for practice), every practice answer,
-- and each person's wrong-answer book. Keep in step with ../postgres/0013_practice.sql.
ALTER TABLE question_banks ADD COLUMN exam_only BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE practice_answers (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    question_id  INTEGER NOT NULL REFERENCES questions (id),
    version_id   INTEGER NOT NULL REFERENCES question_versions (id),
    correct      BOOLEAN NOT NULL,
    answered_at  TEXT    NOT NULL
);
CREATE INDEX practice_answers_user ON practice_answers (user_id, answered_at);

-- A question stays in the book until answered right twice in a row.
CREATE TABLE wrong_answers (
    user_id        INTEGER NOT NULL REFERENCES users (id),
    question_id    INTEGER NOT NULL REFERENCES questions (id),
    wrong_count    INTEGER NOT NULL,
    right_streak   INTEGER NOT NULL,
    last_wrong_at  TEXT    NOT NULL,
    cleared_at     TEXT,
    PRIMARY KEY (user_id, question_id)
);
