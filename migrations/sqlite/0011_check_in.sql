-- 入场核验: when a proctor checked a candidate in at the exam room, and who did.
-- Keep in step with ../postgres/0011_check_in.sql.
ALTER TABLE registrations ADD COLUMN checked_in_at TEXT;
ALTER TABLE registrations ADD COLUMN checked_in_by INTEGER REFERENCES users (id);
