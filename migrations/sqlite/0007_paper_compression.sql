-- On PostgreSQL this migration stores papers with lz4 compression. SQLite does not compress
-- TEXT, so there is nothing to change here; the file keeps both backends' versions in step.
-- Keep in step with ../postgres/0007_paper_compression.sql.

SELECT 1;
