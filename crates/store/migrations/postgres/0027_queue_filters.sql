-- Issue 16 §3 and issue 12: the staff queue filtered by kind, routing area and language, in
-- the queue's default order (newest first) and by due time, read from an index instead of
-- walking every case of a million in order until a page of matches turns up. A rare kind
-- (a compliment, an escalation) or a small area would otherwise read most of the store for
-- one page, and a period far back reads through everything newer. Department, assignee (and
-- unassigned: IS NULL reads the same index) and entity have theirs since migrations 0001
-- and 0007.
CREATE INDEX cases_kind_created ON cases (kind, created_at, id);
CREATE INDEX cases_kind_due ON cases (kind, due_key, id);
CREATE INDEX cases_area_created ON cases (area_id, created_at, id);
CREATE INDEX cases_area_due ON cases (area_id, due_key, id);
CREATE INDEX cases_language_created ON cases (language, created_at, id);
CREATE INDEX cases_language_due ON cases (language, due_key, id);
