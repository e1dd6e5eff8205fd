-- Issue 15: guided conversations (IVR, SMS, WhatsApp, chat, social). A conversation's state
-- is the dialogue engine's, kept as JSON so that a restart or a second node continues it;
-- `version` grows with every save, and a save that expected an older one is refused (two
-- nodes answering two messages of one conversation at once: the second reloads).
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    language TEXT,
    case_id INTEGER REFERENCES cases(id),
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT
);
-- One open conversation per resident and channel.
CREATE UNIQUE INDEX conversations_open ON conversations (channel, address) WHERE ended_at IS NULL;
CREATE INDEX conversations_case ON conversations (case_id) WHERE case_id IS NOT NULL;

-- What was said, both ways: the transcript that stays with the case.
CREATE TABLE conversation_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    at INTEGER NOT NULL,
    direction TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX conversation_messages_of ON conversation_messages (conversation_id, id);

-- Providers deliver a webhook again when they are unsure it arrived: each provider message id
-- is taken once, in the transaction that saves what it changed.
CREATE TABLE inbound_messages (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (channel, message_id)
);
