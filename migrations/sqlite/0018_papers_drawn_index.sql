-- Which registrations have a paper, readable without the papers themselves. A paper row is
-- ~100 KB (its content in overflow pages), so looking each one up by its rowid touches a
-- leaf page per paper spread over the whole file; through the memory map the kernel maps
-- ~200 MB around those pages for a sitting of 5,000 (bench/README.md, the 30-second
-- reader). This index holds only the ids, a few pages for the whole sitting.
-- Keep in step with ../postgres/0018_papers_drawn_index.sql.

CREATE INDEX papers_drawn ON papers (registration_id);
