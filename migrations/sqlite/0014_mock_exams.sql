-- 模拟考试: a paper drawn from a course's real blueprint (never from banks reserved for
-- exams), timed, graded the moment it is handed in and reviewed at once. Never an exam: no
-- sitting, no attempt, no certificate. Keep in step with ../postgres/0014_mock_exams.sql.
CREATE TABLE mock_exams (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER          NOT NULL REFERENCES users (id),
    course_id       INTEGER          NOT NULL REFERENCES courses (id),
    -- The paper with its key (server side only) and what the candidate sees of it.
    paper           TEXT             NOT NULL,
    questions_json  TEXT             NOT NULL,
    -- Each question's explanation by position, shown in the review.
    explanations    TEXT             NOT NULL,
    max_score       REAL             NOT NULL,
    started_at      TEXT             NOT NULL,
    deadline        TEXT             NOT NULL,
    finished_at     TEXT,
    score           REAL,
    passed          BOOLEAN,
    -- The grade (sections and questions) as JSON, once graded.
    grade           TEXT
);
CREATE INDEX mock_exams_user ON mock_exams (user_id, started_at);

CREATE TABLE mock_answers (
    mock_exam_id  INTEGER NOT NULL REFERENCES mock_exams (id),
    position      INTEGER NOT NULL,
    -- The option keys as a JSON array.
    choice        TEXT   NOT NULL,
    seq           INTEGER NOT NULL,
    PRIMARY KEY (mock_exam_id, position)
);
