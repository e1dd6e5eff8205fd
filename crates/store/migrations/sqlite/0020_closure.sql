-- Issue 16 §1: closure the resident confirms.
-- A service may ask for a photo of the fix with each resolution; that photo is an
-- attachment marked `fix` (the "after" beside the reporter's "before").
ALTER TABLE services ADD COLUMN fix_photo_required BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE attachments ADD COLUMN fix BOOLEAN NOT NULL DEFAULT false;
-- Days a resolved case waits for its reporter's verdict before it closes by itself.
ALTER TABLE entity_policies ADD COLUMN survey_days INTEGER NOT NULL DEFAULT 7;

-- One survey per resolution (`round`: the case's resolutions so far, 0 for cases resolved
-- before invitations existed), no longer one per case: a case reopened because it was not
-- solved is asked again when it is resolved again. `solved` is NULL for surveys from before.
CREATE TABLE case_surveys_next (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    round INTEGER NOT NULL DEFAULT 0,
    quality INTEGER NOT NULL CHECK (quality BETWEEN 1 AND 5),
    speed INTEGER NOT NULL CHECK (speed BETWEEN 1 AND 5),
    agent INTEGER NOT NULL CHECK (agent BETWEEN 1 AND 5),
    solved BOOLEAN,
    comment TEXT,
    low BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO case_surveys_next (id, case_id, round, quality, speed, agent, solved, comment, low, created_at)
    SELECT id, case_id, 0, quality, speed, agent, NULL, comment, low, created_at FROM case_surveys;
DROP TABLE case_surveys;
ALTER TABLE case_surveys_next RENAME TO case_surveys;
CREATE UNIQUE INDEX case_surveys_once ON case_surveys (case_id, round);
CREATE INDEX case_surveys_low ON case_surveys (created_at) WHERE low;

-- The reporter's invitation to the survey of the case's latest resolution: a single-use link
-- whose random token is kept only as its SHA-256. A new resolution replaces it (new token,
-- next round). Unanswered when it expires, the case is closed by the sweep.
CREATE TABLE survey_invitations (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    token_hash TEXT NOT NULL UNIQUE,
    round INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    answered_at INTEGER
);
CREATE INDEX survey_invitations_waiting ON survey_invitations (expires_at) WHERE answered_at IS NULL;
