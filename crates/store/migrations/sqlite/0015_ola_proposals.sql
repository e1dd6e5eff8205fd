-- Issue 13, finding 7: the terms of an OLA replace the receiver's own deadlines, so the
-- sending entity alone cannot set them. What it sets is a proposal; it binds (moves to
-- `olas`) once the receiver's administrator, or the platform administrator, accepts it.
-- Until then the terms agreed before, if any, stay in force.
CREATE TABLE ola_proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_entity_id INTEGER NOT NULL REFERENCES entities(id),
    to_entity_id INTEGER NOT NULL REFERENCES entities(id),
    service_id INTEGER REFERENCES services(id),
    accept_minutes INTEGER NOT NULL,
    resolve_minutes INTEGER NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ola_proposals_key ON ola_proposals (from_entity_id, to_entity_id, COALESCE(service_id, 0));
