-- Staff queues sorted by due time or priority read an index instead of sorting every case.
-- The sort keys are generated columns, so that no write can forget them; the queue's keyset
-- cursor (store/src/cases/queue.rs, CaseOrder) pages on the same values.

-- The due time in force: first response until there is one, then resolution; paused and
-- ended cases (and cases without a due time) last.
ALTER TABLE cases ADD COLUMN due_key INTEGER GENERATED ALWAYS AS (
    CASE WHEN status IN ('resolved', 'closed', 'rejected', 'merged') OR sla_paused_at IS NOT NULL THEN 9223372036854775807
    ELSE COALESCE(CASE WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END, 9223372036854775807) END
) VIRTUAL;
ALTER TABLE cases ADD COLUMN priority_rank INTEGER GENERATED ALWAYS AS (
    CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END
) VIRTUAL;

-- Each order for the whole installation, an entity, a department and an assignee (the
-- console's "all", "department" and "mine" queues).
CREATE INDEX cases_due ON cases (due_key, id);
CREATE INDEX cases_entity_due ON cases (entity_id, due_key, id);
CREATE INDEX cases_department_due ON cases (department_id, due_key, id);
CREATE INDEX cases_assignee_due ON cases (assignee_id, due_key, id);
CREATE INDEX cases_priority ON cases (priority_rank, created_at, id);
CREATE INDEX cases_entity_priority ON cases (entity_id, priority_rank, created_at, id);
CREATE INDEX cases_department_priority ON cases (department_id, priority_rank, created_at, id);
CREATE INDEX cases_assignee_priority ON cases (assignee_id, priority_rank, created_at, id);
CREATE INDEX cases_assignee_created ON cases (assignee_id, created_at, id);

-- Open cases are a few percent of a store that grows for years: lists of open cases only
-- (the board, SLA filters, the escalated queue) read these and stay as small as the backlog.
CREATE INDEX cases_open ON cases (created_at, id) WHERE status NOT IN ('resolved', 'closed', 'rejected', 'merged');
CREATE INDEX cases_open_entity ON cases (entity_id, created_at, id) WHERE status NOT IN ('resolved', 'closed', 'rejected', 'merged');

-- What the first response sweep and the overdue filter look up (the README has always
-- promised it).
CREATE INDEX cases_first_response_due ON cases (first_response_due) WHERE first_response_due IS NOT NULL;

-- The escalated queue: cases past a ladder step and "my report was ignored" cases.
CREATE INDEX cases_escalated ON cases (created_at, id) WHERE escalation_level > 0 OR kind = 'escalation';

-- How many cases are in each status, for /metrics, without counting millions at each
-- scrape: every insert and change of status appends its change (no row every writer
-- updates), and counting folds the changes into the totals (store/src/cases/counts.rs).
CREATE TABLE case_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE case_count_changes (id INTEGER PRIMARY KEY, status TEXT NOT NULL, delta INTEGER NOT NULL);
INSERT INTO case_counts (status, n) SELECT status, COUNT(*) FROM cases GROUP BY status;
CREATE TRIGGER cases_counted_in AFTER INSERT ON cases BEGIN
    INSERT INTO case_count_changes (status, delta) VALUES (NEW.status, 1);
END;
CREATE TRIGGER cases_counted_moved AFTER UPDATE OF status ON cases WHEN OLD.status <> NEW.status BEGIN
    INSERT INTO case_count_changes (status, delta) VALUES (OLD.status, -1), (NEW.status, 1);
END;
