-- A KPI an entity missed over a period, recorded once with the notices to its
-- administrators, so that each breach is told once whichever node finds it.
CREATE TABLE kpi_alerts (
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    key TEXT NOT NULL,
    period TEXT NOT NULL,
    value REAL NOT NULL,
    target REAL NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (entity_id, key, period)
);
