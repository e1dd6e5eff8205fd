-- Issue 16 §2: the KPI engine (crates/domain/src/kpi.rs, crates/app/src/kpis/, store/src/kpis.rs).

-- The routing area containing the case's location, set at intake; NULL without a location
-- or outside every area.
ALTER TABLE cases ADD COLUMN area_id INTEGER REFERENCES areas(id);

-- Cases whose figures must be computed again. Every event and every chat rating appends a
-- mark (no row every writer updates, so intakes never queue on one lock, as with
-- case_count_changes); folding recomputes the marked cases' facts, takes their old
-- contribution out of the rollups and adds the new, then deletes the marks it read.
CREATE TABLE kpi_dirty (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL);
CREATE TRIGGER kpi_case_event AFTER INSERT ON case_events BEGIN
    INSERT INTO kpi_dirty (case_id) VALUES (NEW.case_id);
END;
CREATE TRIGGER kpi_agent_rating AFTER INSERT ON agent_ratings WHEN NEW.case_id IS NOT NULL BEGIN
    INSERT INTO kpi_dirty (case_id) VALUES (NEW.case_id);
END;
-- Changes without an event (none today) are marked too.
CREATE TRIGGER kpi_case_moved AFTER UPDATE OF entity_id, department_id, assignee_id, service_id, status ON cases BEGIN
    INSERT INTO kpi_dirty (case_id) VALUES (NEW.id);
END;
-- Folding reads a marked case's chat ratings.
CREATE INDEX agent_ratings_case ON agent_ratings (case_id) WHERE case_id IS NOT NULL;
-- The cases there already are get their figures at the first fold (or `tawasul kpi rebuild`).
INSERT INTO kpi_dirty (case_id) SELECT id FROM cases;

-- Each case's facts (CaseFacts as JSON) and what it adds to the rollups (Figures as JSON),
-- with the day and the members it adds them under, so that its old contribution can be taken
-- out without recomputing it. `day`: days since 1970-01-01 of the local date the case was
-- received on, in its entity's calendar's time zone.
CREATE TABLE kpi_facts (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    entity_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    department_id INTEGER,
    assignee_id INTEGER,
    service_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    area_id INTEGER,
    language TEXT NOT NULL,
    facts TEXT NOT NULL,
    contribution TEXT NOT NULL
);

-- The sums of the contributions per entity, dimension (entity, department, employee,
-- service, channel, kind, area, language), member ('' for none; ids and names as text) and
-- day: counts and mergeable duration histograms (Figures as JSON).
CREATE TABLE kpi_rollups (
    entity_id INTEGER NOT NULL,
    dimension TEXT NOT NULL,
    day INTEGER NOT NULL,
    member TEXT NOT NULL,
    figures TEXT NOT NULL,
    PRIMARY KEY (entity_id, dimension, day, member)
);
CREATE INDEX kpi_rollups_dimension ON kpi_rollups (dimension, day);

-- When the figures were last folded.
CREATE TABLE kpi_folded (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);

-- Each entity's own targets; a KPI without a row has the catalogue's default target and
-- a margin of 5.
CREATE TABLE kpi_targets (
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    key TEXT NOT NULL,
    target REAL NOT NULL,
    margin REAL NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (entity_id, key)
);
