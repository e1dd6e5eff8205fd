-- Issue 16 §1: closure the resident confirms.
-- A service may ask for a photo of the fix with each resolution; that photo is an
-- attachment marked `fix` (the "after" beside the reporter's "before").
ALTER TABLE services ADD COLUMN fix_photo_required BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE attachments ADD COLUMN fix BOOLEAN NOT NULL DEFAULT false;
-- Days a resolved case waits for its reporter's verdict before it closes by itself.
ALTER TABLE entity_policies ADD COLUMN survey_days BIGINT NOT NULL DEFAULT 7;

-- One survey per resolution (`round`: the case's resolutions so far, 0 for cases resolved
-- before invitations existed), no longer one per case: a case reopened because it was not
-- solved is asked again when it is resolved again. `solved` is NULL for surveys from before.
ALTER TABLE case_surveys DROP CONSTRAINT case_surveys_case_id_key;
ALTER TABLE case_surveys ADD COLUMN round BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_surveys ADD COLUMN solved BOOLEAN;
CREATE UNIQUE INDEX case_surveys_once ON case_surveys (case_id, round);

-- The reporter's invitation to the survey of the case's latest resolution: a single-use link
-- whose random token is kept only as its SHA-256. A new resolution replaces it (new token,
-- next round). Unanswered when it expires, the case is closed by the sweep.
CREATE TABLE survey_invitations (
    case_id BIGINT PRIMARY KEY REFERENCES cases(id),
    token_hash TEXT NOT NULL UNIQUE,
    round BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    answered_at BIGINT
);
CREATE INDEX survey_invitations_waiting ON survey_invitations (expires_at) WHERE answered_at IS NULL;
