-- Open311 GeoReport v2 (crates/channels/open311).
--
-- Client applications and their API keys: only the key's SHA-256 is kept (the key is shown
-- once, by `tawasul open311 key add`). A revoked key stays for the record; its name may be
-- given to a new key.
CREATE TABLE client_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX client_keys_live_name ON client_keys (name) WHERE revoked_at IS NULL;

-- The requests that arrived by Open311: their public look-up token (never the case's secret
-- tracking token), the client application that posted them and the media_url they named.
CREATE TABLE open311_requests (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    token TEXT NOT NULL UNIQUE,
    client_id INTEGER NOT NULL REFERENCES client_keys(id),
    media_url TEXT,
    created_at INTEGER NOT NULL
);

-- GET requests with status=closed over a time window, newest first: the ended cases by
-- creation, as cases_open (0007) serves status=open.
CREATE INDEX cases_ended ON cases (created_at, id) WHERE status IN ('resolved', 'closed', 'rejected', 'merged');
