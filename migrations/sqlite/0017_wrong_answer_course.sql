-- The course a wrong answer was given under (its practice or mock exam), so the book sends
-- the learner back to that course's practice. NULL for answers recorded before it was kept.
-- Keep in step with ../postgres/0017_wrong_answer_course.sql.
ALTER TABLE wrong_answers ADD COLUMN course_id INTEGER REFERENCES courses (id);
