-- A fan-out of new items to their recipients is queued in chunks of chats, one transaction each,
-- so sending starts after the first chunk. A row here is a fan-out still in progress: its items
-- (marked matched = 2 meanwhile) and the last chat already queued; a restart resumes after it.
CREATE TABLE fanouts (
    id          INTEGER PRIMARY KEY,
    item_seqs   TEXT NOT NULL,               -- JSON list of items.seq
    last_chat   INTEGER NOT NULL DEFAULT 0,  -- chats are queued in chat_ref order
    created_at  REAL NOT NULL
);
