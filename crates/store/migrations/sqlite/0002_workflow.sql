-- Workflow: routing, business calendars and SLA clocks, transfers under OLAs, escalation,
-- the job table and notification delivery. Instants are microseconds since the epoch.

-- One policy per entity: its business calendar (a CalendarSpec as JSON), its escalation
-- ladder (JSON), after how many business days without a public update a reporter may say
-- their report was ignored, and the department that answers such complaints.
CREATE TABLE entity_policies (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id),
    calendar TEXT NOT NULL,
    escalation TEXT NOT NULL,
    ignored_after_days INTEGER NOT NULL,
    satisfaction_department_id INTEGER REFERENCES departments(id),
    updated_at INTEGER NOT NULL
);

-- SLA targets in business minutes per service × priority; a row without a service is the
-- entity's default for that priority.
CREATE TABLE sla_targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    service_id INTEGER REFERENCES services(id),
    priority TEXT NOT NULL,
    first_response_minutes INTEGER NOT NULL,
    resolution_minutes INTEGER NOT NULL
);
CREATE UNIQUE INDEX sla_targets_key ON sla_targets (entity_id, COALESCE(service_id, 0), priority);

-- The areas an entity serves, as GeoJSON geometries.
CREATE TABLE areas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    name TEXT,
    geometry TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX areas_entity ON areas (entity_id);

-- Rules that place a case in a department of the entity that received it.
CREATE TABLE routing_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    service_code TEXT,
    keywords TEXT NOT NULL,
    language TEXT,
    position INTEGER NOT NULL
);
CREATE INDEX routing_rules_entity ON routing_rules (entity_id, position, id);

-- Operational level agreements between entities, in business minutes of the receiver.
CREATE TABLE olas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_entity_id INTEGER NOT NULL REFERENCES entities(id),
    to_entity_id INTEGER NOT NULL REFERENCES entities(id),
    service_id INTEGER REFERENCES services(id),
    accept_minutes INTEGER NOT NULL,
    resolve_minutes INTEGER NOT NULL
);
CREATE UNIQUE INDEX olas_key ON olas (from_entity_id, to_entity_id, COALESCE(service_id, 0));

CREATE TABLE transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    from_entity_id INTEGER NOT NULL REFERENCES entities(id),
    to_entity_id INTEGER NOT NULL REFERENCES entities(id),
    from_department_id INTEGER REFERENCES departments(id),
    to_department_id INTEGER REFERENCES departments(id),
    from_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by INTEGER REFERENCES staff_users(id),
    requested_at INTEGER NOT NULL,
    accept_due INTEGER,
    resolve_due INTEGER,
    decided_by INTEGER REFERENCES staff_users(id),
    decided_at INTEGER,
    decision_reason TEXT
);
CREATE INDEX transfers_case ON transfers (case_id, id);
CREATE INDEX transfers_from ON transfers (from_entity_id, requested_at);
CREATE INDEX transfers_to ON transfers (to_entity_id, status);

-- The SLA clock of a case: its targets (business µs, from the service's SLA or an OLA)
-- counted from sla_started_at; business time spent waiting on the
-- reporter (sla_paused_micros, and the pause in progress since sla_paused_at) does not count.
-- next_escalation_at is when the next ladder step falls due, NULL when none can: the sweep
-- reads only this index, so its cost follows the due cases, not the open ones.
ALTER TABLE cases ADD COLUMN sla_response_target INTEGER;
ALTER TABLE cases ADD COLUMN sla_resolution_target INTEGER;
ALTER TABLE cases ADD COLUMN sla_started_at INTEGER;
ALTER TABLE cases ADD COLUMN sla_paused_at INTEGER;
ALTER TABLE cases ADD COLUMN sla_paused_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN first_response_due INTEGER;
ALTER TABLE cases ADD COLUMN first_responded_at INTEGER;
ALTER TABLE cases ADD COLUMN resolution_due INTEGER;
ALTER TABLE cases ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN next_escalation_at INTEGER;
ALTER TABLE cases ADD COLUMN linked_case_id INTEGER REFERENCES cases(id);
CREATE INDEX cases_next_escalation ON cases (next_escalation_at) WHERE next_escalation_at IS NOT NULL;
CREATE INDEX cases_resolution_due ON cases (resolution_due) WHERE resolution_due IS NOT NULL;
CREATE INDEX cases_linked ON cases (linked_case_id) WHERE linked_case_id IS NOT NULL;

ALTER TABLE staff_users ADD COLUMN email TEXT;

ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;
ALTER TABLE outbox ADD COLUMN last_error TEXT;

-- Background work. `key` makes enqueueing idempotent; a running job whose lease has
-- expired (its node died) is taken again by any node.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
