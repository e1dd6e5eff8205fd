-- Full-text search without a scan: an inverted index of each case's words, shared in shape
-- by both backends so that one query answers alike. A row per (word, case): the case's
-- `created_at` is in the key so that one word's cases are read newest first straight from the
-- index, a page at a time. `personal` marks words found only in the reporter's name, phone or
-- e-mail, searched only for roles that may see reporter details. No foreign key: the store
-- writes a case's words only with the case or its events, in the same transaction, and a key
-- would check each of the ~20 rows a case has.
CREATE TABLE case_terms (
    term TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    case_id INTEGER NOT NULL,
    personal INTEGER NOT NULL,
    PRIMARY KEY (term, created_at, case_id)
) WITHOUT ROWID;

-- The words are the domain's `search_words`, computed in Rust: the store builds the index of
-- the cases already here when it opens (`built` = 0 until then), and `tawasul reindex` rebuilds it.
CREATE TABLE search_index (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    built INTEGER NOT NULL
);
INSERT INTO search_index (id, built) VALUES (1, 0);

-- Replaced by case_terms; it also held the reporter's name for every role.
ALTER TABLE cases DROP COLUMN search_text;
