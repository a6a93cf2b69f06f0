-- Updates a messenger already delivered, by their own id (Zalo's message_id), so that a webhook
-- retried or an update seen again after a restart never runs a command twice. Kept for days,
-- not for ever: storage.seen_updates.forget_before prunes by seen_at.
CREATE TABLE seen_updates (
    messenger   TEXT NOT NULL,
    update_key  TEXT NOT NULL,
    seen_at     REAL NOT NULL,
    PRIMARY KEY (messenger, update_key)
) WITHOUT ROWID;
CREATE INDEX seen_updates_by_time ON seen_updates (seen_at);
