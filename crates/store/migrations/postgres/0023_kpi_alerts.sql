-- A KPI an entity missed over a period, recorded once with the notices to its
-- administrators, so that each breach is told once whichever node finds it.
CREATE TABLE kpi_alerts (
    entity_id BIGINT NOT NULL REFERENCES entities(id),
    key TEXT NOT NULL,
    period TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (entity_id, key, period)
);
