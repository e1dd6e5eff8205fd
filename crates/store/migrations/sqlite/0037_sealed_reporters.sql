-- Reporters' details encrypted at rest (optional, `TAWASUL_REPORTER_KEY`): a sealed case keeps
-- its reporter's name, phone and e-mail in `reporter_sealed` (one ciphertext, bound to the
-- case's id) with the plain columns NULL, and is found by phone or e-mail through keyed
-- hashes of their normal forms (blind indexes). A store without the key keeps these NULL.
ALTER TABLE cases ADD COLUMN reporter_sealed TEXT;
ALTER TABLE cases ADD COLUMN reporter_phone_index TEXT;
ALTER TABLE cases ADD COLUMN reporter_email_index TEXT;
CREATE INDEX cases_reporter_phone_index ON cases (reporter_phone_index) WHERE reporter_phone_index IS NOT NULL;
CREATE INDEX cases_reporter_email_index ON cases (reporter_email_index) WHERE reporter_email_index IS NOT NULL;
-- Whether any case is sealed, asked at every start, answered without a scan.
CREATE INDEX cases_reporter_sealed ON cases (id) WHERE reporter_sealed IS NOT NULL;
