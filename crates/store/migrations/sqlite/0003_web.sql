-- web: the survey a resident answers once a case is resolved or closed (one per case).
CREATE TABLE case_surveys (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    quality INTEGER NOT NULL CHECK (quality BETWEEN 1 AND 5),
    speed INTEGER NOT NULL CHECK (speed BETWEEN 1 AND 5),
    agent INTEGER NOT NULL CHECK (agent BETWEEN 1 AND 5),
    comment TEXT,
    low BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);
-- Low ratings are what the beneficiary-satisfaction unit works through, newest first.
CREATE INDEX case_surveys_low ON case_surveys (created_at) WHERE low;
