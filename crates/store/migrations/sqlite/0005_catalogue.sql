-- Catalogue administration: the reply templates staff fill in on a case page, per entity and
-- language. The body's placeholders ({name}, {reference}, {service}) are filled at use.
CREATE TABLE reply_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    key TEXT NOT NULL,
    language TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX reply_templates_key ON reply_templates (entity_id, key, language);
