-- Issue 13 (faults): a failed report no longer deletes the blobs it stored (another report of
-- the same file may be using them by then); the `blob_sweep` job removes blobs no attachment
-- uses. It asks which of the blobs on disk are used, a batch at a time, by this index.
CREATE INDEX attachments_blob_key ON attachments (blob_key);
