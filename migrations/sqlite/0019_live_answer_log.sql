-- The embedded live store's journal becomes a log that only appends: an answer is
-- acknowledged once its row is here. `live_answers` was keyed by attempt and position, so a
-- commit of ~500 answers of ~500 candidates dirtied ~500 pages of its index, and on a
-- virtual machine's disk the log's writes and syncs made the saves' tail (bench/README.md,
-- the embedded save tail). Appended rows fill a few pages per commit. The log is read only
-- when the process starts: its rows of attempts still in progress are folded into
-- `live_answers`, from which a restarted process resumes. AUTOINCREMENT: ids are never
-- reused, so the newest row of a key is also the one with the highest id.
-- Keep in step with ../postgres/0019_live_answer_log.sql.

CREATE TABLE live_answer_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id  INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    choice      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    saved_at    TEXT    NOT NULL
);
