-- Items reach the search index in one statement per batch (storage.items.insert_items), not
-- through a per-row trigger: FTS5 flushes its in-memory index at every statement savepoint, so
-- a row trigger fired by a bulk insert wrote one tiny segment per item and spent most of the
-- ingest merging them (about 5x slower for a 10,000-item feed). Deletes keep their trigger.
DROP TRIGGER items_fts_insert;
