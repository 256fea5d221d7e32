-- 课件文件: images and videos uploaded for lessons, kept in the database in chunks so that
-- every app instance serves them, a backup holds them, and a range of a video is read
-- without reading the rest. Keep in step with ../postgres/0015_media.sql.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    -- The course it was uploaded for (the console lists a course's files).
    course_id    INTEGER NOT NULL REFERENCES courses (id),
    -- The kind read from the file's first bytes, never from what the browser said.
    kind         TEXT    NOT NULL,
    file_name    TEXT    NOT NULL,
    byte_count   INTEGER NOT NULL DEFAULT 0,
    -- Hex SHA-256 of the whole file, the ETag; NULL until the upload is complete.
    sha256       TEXT,
    -- Who uploaded it in the console; NULL when `safecert import-lessons` brought it.
    uploaded_by  INTEGER REFERENCES users (id),
    created_at   TEXT    NOT NULL
);
CREATE INDEX media_course ON media (course_id, id);

CREATE TABLE media_chunks (
    media_id  INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    -- Chunk n holds bytes [n * 1 MiB, (n + 1) * 1 MiB).
    seq       INTEGER NOT NULL,
    bytes     BLOB    NOT NULL,
    PRIMARY KEY (media_id, seq)
);
