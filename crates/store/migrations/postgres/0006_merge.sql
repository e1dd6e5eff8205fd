-- supervisor: a duplicate report merged into the case that stays records which case it joined.
ALTER TABLE cases ADD COLUMN merged_into_id BIGINT REFERENCES cases(id);
CREATE INDEX cases_merged_into ON cases (merged_into_id) WHERE merged_into_id IS NOT NULL;
