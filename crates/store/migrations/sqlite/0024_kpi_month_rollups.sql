-- Issue 16 §3: monthly rollups beside the daily ones (crates/store/src/kpis.rs). A report
-- reads the whole months of its period from here, one row per month and member, and only
-- its first and last part-months from kpi_rollups: a year by a wide grouping reads twelve
-- rows per member rather than 365.
CREATE TABLE kpi_month_rollups (
    entity_id INTEGER NOT NULL,
    dimension TEXT NOT NULL,
    -- Months since January 1970 (1970 × 12 + month − 1 is month 0).
    month INTEGER NOT NULL,
    member TEXT NOT NULL,
    figures TEXT NOT NULL,
    PRIMARY KEY (entity_id, dimension, month, member)
);
CREATE INDEX kpi_month_rollups_dimension ON kpi_month_rollups (dimension, month);

-- The figures there are are computed again, into both tables, by the next fold (the job
-- runner's, the next report's, or `tawasul kpi rebuild`).
DELETE FROM kpi_rollups;
DELETE FROM kpi_facts;
DELETE FROM kpi_dirty;
INSERT INTO kpi_dirty (case_id) SELECT id FROM cases ORDER BY id;
