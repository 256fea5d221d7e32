-- 入场核验: when a proctor checked a candidate in at the exam room, and who did.
-- Keep in step with ../sqlite/0011_check_in.sql.
ALTER TABLE registrations ADD COLUMN checked_in_at TIMESTAMPTZ;
ALTER TABLE registrations ADD COLUMN checked_in_by BIGINT REFERENCES users (id);
