-- Privacy (issue 13). The reporter's name is no longer copied into the timeline: their own
-- events say "reporter", and views read the name from the case, masked by role.
UPDATE case_events SET actor_name = 'reporter' WHERE actor_type = 'reporter';

-- Credentials are not kept in the clear (issue 13, finding 3). A notification's secrets (the
-- tracking token, a one-time code) are sealed by the application in their own column,
-- rendered into the message at delivery and cleared when it ends; the idempotency key keeps
-- its case's token sealed too.
ALTER TABLE outbox ADD COLUMN secret TEXT;
-- What earlier versions left in the clear: the secrets of notifications already sent (or
-- given up on), and the plain tokens of idempotency keys (a retry of one of those is told the
-- case it made, without its token).
UPDATE outbox SET payload = (payload::jsonb - 'track_url' - 'code')::text
    WHERE status IN ('sent', 'failed', 'undeliverable');
UPDATE idempotency_keys SET token = '';
CREATE INDEX outbox_created ON outbox (created_at);
