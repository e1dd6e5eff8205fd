-- A second factor for staff (issue 13, finding 1): RFC 6238 codes from an authenticator app.
-- The secret is sealed with the server key (never in the clear); `confirmed_at` stays NULL
-- until a first code proves the app holds it; `last_step` is the last time step a code was
-- accepted for, so that a code (and any older one) is good once only.
CREATE TABLE staff_second_factors (
    staff_id INTEGER PRIMARY KEY REFERENCES staff_users(id),
    secret TEXT NOT NULL,
    confirmed_at INTEGER,
    last_step INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- A sign-in whose password was right and that waits for its code (or, where the entity's
-- policy requires a second factor the user has not set up, for its enrolment): stored as
-- the digest of the token the client holds, for a few minutes.
CREATE TABLE sign_in_challenges (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff_users(id),
    enrol BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sign_in_challenges_expires ON sign_in_challenges (expires_at);

-- The entity's policy may require the second factor of its administrators and supervisors.
ALTER TABLE entity_policies ADD COLUMN second_factor_required BOOLEAN NOT NULL DEFAULT false;
