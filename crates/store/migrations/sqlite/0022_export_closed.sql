-- Issue 16 §4 (exports): when an ended case entered its status is the last event into it.
-- An export asks that of every ended case it writes (a correlated MAX per row); this partial
-- index answers it from the index alone, one seek a case, and holds only the events into an
-- ended status (a case has about one). The statuses are the store's ENDED list.
CREATE INDEX case_events_ended ON case_events (case_id, to_status, at)
    WHERE to_status IN ('resolved', 'closed', 'rejected', 'merged');
