-- The search index keyed by the case's entity after the word: staff search within their
-- entity, and a word common in the store but rare in one entity was found by walking every
-- entity's rows of it (0.4–0.8 s at a million cases). A case moved to another entity moves
-- its rows in the transaction that moves it.
CREATE TABLE case_terms_by_entity (
    term TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    case_id INTEGER NOT NULL,
    personal INTEGER NOT NULL,
    PRIMARY KEY (term, entity_id, created_at, case_id)
) WITHOUT ROWID;

INSERT INTO case_terms_by_entity (term, entity_id, created_at, case_id, personal)
SELECT t.term, c.entity_id, t.created_at, t.case_id, t.personal
FROM case_terms t JOIN cases c ON c.id = t.case_id
ORDER BY t.term, c.entity_id, t.created_at, t.case_id;

DROP TABLE case_terms;
ALTER TABLE case_terms_by_entity RENAME TO case_terms;
