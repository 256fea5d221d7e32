-- Streets (街道), enterprises (企业), people and their roles, bearer tokens.
-- Keep in step with ../postgres/0001_accounts.sql: same tables, columns and constraints.

CREATE TABLE streets (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    code        TEXT,
    area_km2    REAL,
    population  INTEGER,
    created_at  TEXT    NOT NULL,
    CONSTRAINT streets_name_key UNIQUE (name),
    CONSTRAINT streets_code_key UNIQUE (code)
);

CREATE TABLE enterprises (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    credit_code  TEXT    NOT NULL,
    industry     TEXT    NOT NULL,
    street_id    INTEGER REFERENCES streets (id),
    address      TEXT,
    created_at   TEXT    NOT NULL,
    CONSTRAINT enterprises_credit_code_key UNIQUE (credit_code)
);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    phone             TEXT    NOT NULL,
    email             TEXT,
    id_type           TEXT,
    -- AES-256-GCM ciphertext of the ID number, its keyed hash for lookups, and the masked form.
    id_number_cipher  TEXT,
    id_number_hash    TEXT,
    id_number_masked  TEXT,
    password_hash     TEXT,
    enterprise_id     INTEGER REFERENCES enterprises (id),
    job_role          TEXT,
    failed_logins     INTEGER NOT NULL DEFAULT 0,
    locked_until      TEXT,
    created_at        TEXT    NOT NULL,
    CONSTRAINT users_phone_key UNIQUE (phone),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_id_number_hash_key UNIQUE (id_number_hash)
);
CREATE INDEX users_enterprise_idx ON users (enterprise_id);

CREATE TABLE user_roles (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE auth_tokens (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id);
