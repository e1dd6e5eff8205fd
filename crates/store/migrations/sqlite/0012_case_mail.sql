-- email: the Message-IDs of the mails of each case, ours (notifications, replies) and the
-- reporter's, so that a reply is threaded into its case by In-Reply-To and References, and a
-- mail delivered twice is recognised. Kept without angle brackets, as the headers' ids.
CREATE TABLE case_mail (
    message_id TEXT PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    outgoing BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX case_mail_case ON case_mail (case_id, created_at);
