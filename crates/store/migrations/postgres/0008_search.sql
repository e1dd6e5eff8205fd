-- Full-text search without a scan: an inverted index of each case's words, shared in shape
-- by both backends so that one query answers alike. A row per (word, case): the case's
-- `created_at` is in the key so that one word's cases are read newest first straight from the
-- index, a page at a time. `personal` marks words found only in the reporter's name, phone or
-- e-mail, searched only for roles that may see reporter details. No foreign key: the store
-- writes a case's words only with the case or its events, in the same transaction, and a key
-- would check each of the ~20 rows a case has. COLLATE "C": byte order, as SQLite compares,
-- so that a word's continuations are one range of the index on both backends.
CREATE TABLE case_terms (
    term TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    case_id BIGINT NOT NULL,
    personal BOOLEAN NOT NULL,
    PRIMARY KEY (term, created_at, case_id) INCLUDE (personal)
);

-- The words are the domain's `search_words`, computed in Rust: the store builds the index of
-- the cases already here when it opens (`built` false until then), and `tawasul reindex` rebuilds it.
CREATE TABLE search_index (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    built BOOLEAN NOT NULL
);
INSERT INTO search_index (id, built) VALUES (1, FALSE);

-- Replaced by case_terms; it also held the reporter's name for every role.
ALTER TABLE cases DROP COLUMN search_text;
