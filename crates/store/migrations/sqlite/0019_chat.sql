-- Issue 15: live chat with a person. A conversation handed to a person waits in the staff
-- console's chat queue (`waiting_since`) until an agent picks it up (`agent_id`); what the
-- agent says is in the transcript with who said it; the resident rates the agent and the
-- answer once the chat is over.
ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;
ALTER TABLE conversations ADD COLUMN agent_id INTEGER REFERENCES staff_users(id);
CREATE INDEX conversations_with_people ON conversations (id)
    WHERE ended_at IS NULL AND (waiting_since IS NOT NULL OR agent_id IS NOT NULL);
-- A resident's conversations on a channel (their chat, when they last wrote on WhatsApp).
CREATE INDEX conversations_address ON conversations (channel, address, id);
ALTER TABLE conversation_messages ADD COLUMN staff_id INTEGER REFERENCES staff_users(id);

CREATE TABLE agent_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    staff_id INTEGER NOT NULL REFERENCES staff_users(id),
    case_id INTEGER REFERENCES cases(id),
    agent_score INTEGER NOT NULL,
    answer_score INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE UNIQUE INDEX agent_ratings_once ON agent_ratings (conversation_id);
CREATE INDEX agent_ratings_staff ON agent_ratings (staff_id, at);
