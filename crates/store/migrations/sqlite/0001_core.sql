-- Tawasul core schema, SQLite dialect. Instants are INTEGER microseconds since the epoch
-- (the same on PostgreSQL), JSON is TEXT.

CREATE TABLE entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    entity_type TEXT NOT NULL
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    code TEXT NOT NULL,
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    UNIQUE (entity_id, code)
);

CREATE TABLE staff_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    entity_id INTEGER REFERENCES entities(id),
    department_id INTEGER REFERENCES departments(id),
    display_name TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    code TEXT NOT NULL UNIQUE,
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description_ar TEXT NOT NULL,
    description_en TEXT NOT NULL,
    kinds TEXT NOT NULL,
    fields TEXT NOT NULL,
    default_department_id INTEGER REFERENCES departments(id),
    default_priority TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

-- Ids are never reused (no case is ever deleted; AUTOINCREMENT guards the rest), so the
-- public reference derived from the id is never reused either.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    department_id INTEGER REFERENCES departments(id),
    assignee_id INTEGER REFERENCES staff_users(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    priority TEXT NOT NULL,
    description TEXT NOT NULL,
    answers TEXT NOT NULL,
    lat REAL,
    lon REAL,
    address TEXT,
    reporter_name TEXT,
    reporter_phone TEXT,
    reporter_email TEXT,
    reporter_language TEXT,
    resolution TEXT,
    search_text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cases_entity_created ON cases (entity_id, created_at, id);
CREATE INDEX cases_status_created ON cases (status, created_at, id);
CREATE INDEX cases_department ON cases (department_id, created_at);
CREATE INDEX cases_service ON cases (service_id, created_at);
CREATE INDEX cases_created ON cases (created_at, id);
CREATE INDEX cases_reporter_phone ON cases (reporter_phone) WHERE reporter_phone IS NOT NULL;
CREATE INDEX cases_reporter_email ON cases (reporter_email) WHERE reporter_email IS NOT NULL;

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at INTEGER NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    public BOOLEAN NOT NULL,
    body TEXT,
    details TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    blob_key TEXT NOT NULL,
    mime TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    filename TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    token TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER REFERENCES staff_users(id),
    contact TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE otp_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX otp_codes_contact ON otp_codes (contact, id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    language TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_pending ON outbox (status, id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    staff_id INTEGER REFERENCES staff_users(id),
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL
);
