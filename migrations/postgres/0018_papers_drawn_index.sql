-- SQLite gets an index of the ids of drawn papers, apart from their ~100 KB rows. PostgreSQL
-- keeps a paper's content out of line (TOAST), so its primary key already answers "has this
-- registration a paper" without reading any paper; nothing to change here. The file keeps
-- both backends' versions in step.
-- Keep in step with ../sqlite/0018_papers_drawn_index.sql.

SELECT 1;
