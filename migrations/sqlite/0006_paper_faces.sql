-- What a running attempt needs of its paper, rendered once when the paper is drawn, so a
-- start or reload reads it as is instead of parsing the whole paper (with its key) and
-- building the reply question by question: the candidate's questions as JSON (no key), the
-- option keys per position ("ABCD,TF,..."), the total points. Papers drawn before this
-- migration have NULLs and are rendered from `content` when read.
-- Keep in step with ../postgres/0006_paper_faces.sql.

ALTER TABLE papers ADD COLUMN candidate_view TEXT;
ALTER TABLE papers ADD COLUMN option_keys TEXT;
ALTER TABLE papers ADD COLUMN max_score REAL;
