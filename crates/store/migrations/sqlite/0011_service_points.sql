-- QR service points ("we come to you"): an asset or place with its entity, default service
-- and location, whose printed code opens the resident form prefilled. `case_count` is a
-- rollup kept with each case written at the point, so the staff console's counts per point
-- read one row each, never COUNT(*) over cases.
CREATE TABLE service_points (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    asset_kind TEXT,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    case_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX service_points_code ON service_points (code);
CREATE INDEX service_points_entity ON service_points (entity_id, id);

-- The point a case was reported at, and the staff queue filtered by it, newest first: the
-- index holds only cases that came through a point.
ALTER TABLE cases ADD COLUMN point_id INTEGER REFERENCES service_points(id);
CREATE INDEX cases_point ON cases (point_id, created_at DESC, id DESC) WHERE point_id IS NOT NULL;
