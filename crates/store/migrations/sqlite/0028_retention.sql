-- Issue 13 (audit and privacy): reporters of cases that ended long ago are anonymised by the
-- `retention` job, and `tawasul privacy erase` anonymises one person's cases. `anonymised_at`
-- says when (NULL: never), so that a case is anonymised once and a run repeated finds nothing.
ALTER TABLE cases ADD COLUMN anonymised_at INTEGER;
-- The job's candidates: ended for good, not anonymised yet, oldest last change first.
CREATE INDEX cases_to_anonymise ON cases (updated_at, id)
    WHERE anonymised_at IS NULL AND status IN ('closed', 'rejected', 'merged');
