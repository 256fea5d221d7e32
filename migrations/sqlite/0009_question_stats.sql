-- Question statistics (试题分析), kept by grading in the transaction that stores the answers,
-- so a report reads a few rows per question instead of every answer ever given.
-- Keep in step with ../postgres/0009_question_stats.sql.

-- Per question version and score band (the attempt's score in steps of 5 %, 0 to 20): how
-- often it was on a finished paper and answered right. The bands give the upper and lower
-- 27 % of candidates for the discrimination index.
CREATE TABLE question_stats (
    question_version_id  INTEGER NOT NULL REFERENCES question_versions (id),
    band                 INTEGER NOT NULL,
    used                 INTEGER NOT NULL,
    correct              INTEGER NOT NULL,
    PRIMARY KEY (question_version_id, band)
);

-- How often each option (by its key in the question itself) was chosen.
CREATE TABLE question_option_counts (
    question_version_id  INTEGER NOT NULL REFERENCES question_versions (id),
    option_key           TEXT NOT NULL,
    chosen               INTEGER NOT NULL,
    PRIMARY KEY (question_version_id, option_key)
);
