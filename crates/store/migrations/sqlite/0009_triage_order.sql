-- The triage queue (cases not yet given a department) under each order: a handful of cases
-- in a store of millions, which the entity-wide sort indexes could only find by walking every
-- case of the entity (0.4–0.9 s at a million cases, BENCHMARKS.md).
CREATE INDEX cases_triage ON cases (entity_id, created_at, id) WHERE department_id IS NULL;
CREATE INDEX cases_triage_due ON cases (entity_id, due_key, id) WHERE department_id IS NULL;
CREATE INDEX cases_triage_priority ON cases (entity_id, priority_rank, created_at, id) WHERE department_id IS NULL;
