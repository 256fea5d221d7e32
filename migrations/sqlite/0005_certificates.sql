-- Certificates (证书), their numbering, and which course renews which.
-- Keep in step with ../postgres/0005_certificates.sql.

-- A re-education course (再培训) renews the certificates of another course.
ALTER TABLE courses ADD COLUMN renews_course_id INTEGER REFERENCES courses (id);

-- One counter per (course code, year): an upsert that returns the next number is atomic on
-- both backends, so concurrent issues never share a number.
CREATE TABLE certificate_sequences (
    scope  TEXT    PRIMARY KEY,
    last   INTEGER NOT NULL
);

CREATE TABLE certificates (
    id                 INTEGER PRIMARY KEY,
    number             TEXT    NOT NULL,
    verify_code        TEXT    NOT NULL,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    course_id          INTEGER NOT NULL REFERENCES courses (id),
    registration_id    INTEGER REFERENCES registrations (id),
    attempt_id         INTEGER REFERENCES attempts (id),
    holder_name        TEXT    NOT NULL,
    id_number_masked   TEXT,
    exam_date          TEXT    NOT NULL,
    issued_on          TEXT    NOT NULL,
    expires_on         TEXT    NOT NULL,
    revoked_at         TEXT,
    revoke_reason      TEXT,
    -- The certificate this one renews or replaces, if any.
    previous_id        INTEGER REFERENCES certificates (id),
    created_at         TEXT    NOT NULL,
    CONSTRAINT certificates_number_key UNIQUE (number),
    CONSTRAINT certificates_verify_code_key UNIQUE (verify_code),
    CONSTRAINT certificates_attempt_key UNIQUE (attempt_id)
);
CREATE INDEX certificates_user_idx ON certificates (user_id);
CREATE INDEX certificates_expiry_idx ON certificates (expires_on);
