-- Exam sittings (考试场次), registrations (报名), the mail outbox and password-setup links.
-- Keep in step with ../postgres/0003_sittings_registrations_mail.sql.

CREATE TABLE sittings (
    id                      INTEGER PRIMARY KEY,
    course_id               INTEGER NOT NULL REFERENCES courses (id),
    starts_at               TEXT    NOT NULL,
    ends_at                 TEXT    NOT NULL,
    capacity                INTEGER NOT NULL,
    -- Booked seats, kept with every booking and cancellation: the capacity check is one
    -- conditional UPDATE that only as many writers as there are seats can win.
    seats_taken             INTEGER NOT NULL DEFAULT 0,
    venue_kind              TEXT    NOT NULL,
    venue_name              TEXT,
    venue_address           TEXT,
    registration_opens_at   TEXT    NOT NULL,
    registration_closes_at  TEXT    NOT NULL,
    cancelled_at            TEXT,
    cancel_reason           TEXT,
    created_at              TEXT    NOT NULL
);
CREATE INDEX sittings_starts_idx ON sittings (starts_at);

CREATE TABLE sitting_proctors (
    sitting_id  INTEGER NOT NULL REFERENCES sittings (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (sitting_id, user_id)
);

CREATE TABLE registrations (
    id             INTEGER PRIMARY KEY,
    sitting_id     INTEGER NOT NULL REFERENCES sittings (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    seat           INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    -- The enterprise that enrolled the person, if one did.
    enterprise_id  INTEGER REFERENCES enterprises (id),
    booked_by      INTEGER NOT NULL REFERENCES users (id),
    -- Printed as a QR code on the admission ticket; proctors look tickets up by it.
    check_code     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    cancelled_at   TEXT,
    CONSTRAINT registrations_sitting_user_key UNIQUE (sitting_id, user_id),
    CONSTRAINT registrations_check_code_key UNIQUE (check_code)
);
CREATE INDEX registrations_user_idx ON registrations (user_id);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    -- Mails that must go once (a reminder per registration) carry a key.
    dedupe_key       TEXT,
    to_address       TEXT    NOT NULL,
    to_name          TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    attachment_name  TEXT,
    attachment_type  TEXT,
    attachment       BLOB,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    locked_until     TEXT,
    last_error       TEXT,
    created_at       TEXT    NOT NULL,
    sent_at          TEXT,
    CONSTRAINT outbox_dedupe_key_key UNIQUE (dedupe_key)
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);

CREATE TABLE password_setup_tokens (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    created_at  TEXT    NOT NULL
);
