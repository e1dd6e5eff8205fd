-- Issue 15 (public posts): a case made from a public post (a Page comment, an X mention) keeps
-- where its author hears back privately: `fb-comment:<comment id>` (a private reply to the
-- comment) or `x:<user id>` (a direct message). NULL for every other case.
ALTER TABLE cases ADD COLUMN reporter_handle TEXT;
