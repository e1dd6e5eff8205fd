-- Abuse limits (issue 13): counters shared by every node (failed sign-ins per account and per
-- client address, one-time codes per address and overall), each a fixed window with an
-- optional block; and sessions that also end when idle.
CREATE TABLE throttles (
    key TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL DEFAULT 0
);

ALTER TABLE sessions ADD COLUMN idle_expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET idle_expires_at = expires_at;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX otp_codes_expires ON otp_codes (expires_at);
