-- The audit log is tamper-evident (issue 13): each row carries the hash of the row before it
-- and its own, SHA-256 over that hash and its content (`tawasul_domain::audit`). The chain's
-- head (the last row and its hash) is one row beside the log, updated with each row in the
-- same transaction: on PostgreSQL writers take it FOR UPDATE, so rows are chained one after
-- the other; removing rows from the end shows against it.
--
-- The rows written before this migration are chained by the store when it next opens (SQL
-- has no SHA-256 on SQLite, and the rule is written once, in Rust): `hash` NULL in the head
-- says it has not happened yet. After that, a row without a hash breaks the chain.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL,
    hash TEXT
);
INSERT INTO audit_head (id, last_id, hash) VALUES (1, 0, NULL);
