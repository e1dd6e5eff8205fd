-- Issue 13: with a reporter key, the guided dialogue's conversation address and the call-back's
-- number are sealed like reporters' details (migration 0037): `address` / `phone` then hold the
-- ciphertext, bound to the blind index, and `address_index` / `phone_index` the keyed hash of
-- the clear value (a store without the key keeps them NULL). Every look-up by address reads
-- the blind index: the open conversation of a resident on a channel is unique on it as on
-- the clear address (whose indexes stay for stores without the key and for rows not yet
-- converted; a sealed address is a random ciphertext and never collides).
ALTER TABLE conversations ADD COLUMN address_index TEXT;
CREATE UNIQUE INDEX conversations_open_index ON conversations (address_index, channel)
    WHERE ended_at IS NULL AND address_index IS NOT NULL;
CREATE INDEX conversations_address_index ON conversations (address_index, channel, id)
    WHERE address_index IS NOT NULL;
ALTER TABLE callbacks ADD COLUMN phone_index TEXT;
CREATE INDEX callbacks_phone_index ON callbacks (phone_index) WHERE phone_index IS NOT NULL;

-- A rotation of the reporter key under way (`tawasul privacy rotate-key`): from the key id
-- `from_key` to `to_key`. While the row is here, values under both keys remain and no node
-- starts; the command's last batch removes it.
CREATE TABLE reporter_key_rotation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    from_key TEXT NOT NULL,
    to_key TEXT NOT NULL,
    started_at INTEGER NOT NULL
);
