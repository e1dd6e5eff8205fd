-- Issue 15 §3: automatic call-backs. A staff change of a case reported by phone asks for a
-- call to its reporter (one row per change; a newer change supersedes a call not yet placed).
-- `state`: waiting (a job will place it), calling (placed, `call_sid`), answered, gave_up,
-- superseded. `attempts` counts calls placed; a call not answered never changes the case.
CREATE TABLE callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    status TEXT NOT NULL,
    phone TEXT NOT NULL,
    language TEXT NOT NULL,
    survey BOOLEAN NOT NULL DEFAULT false,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    call_sid TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX callbacks_case ON callbacks (case_id, id);
CREATE INDEX callbacks_call ON callbacks (call_sid) WHERE call_sid IS NOT NULL;
