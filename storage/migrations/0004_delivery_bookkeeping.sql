-- What a long-running bot needs to avoid re-reading every chat: a log of which chats changed in a
-- way that matters to instant matching, and each chat's next weekly slot to look at.

-- One row per change to a chat's subscriptions or to what decides whether and how it gets pushes
-- (active, mode, pause, language, messenger). Readers remember the last seq they applied; seqs
-- are contiguous (AUTOINCREMENT, rolled-back inserts give theirs back), so a reader that finds a
-- gap after its seq knows the log was pruned past it and reloads everything.
CREATE TABLE chat_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_ref  INTEGER NOT NULL
);

CREATE TRIGGER subscriptions_added AFTER INSERT ON subscriptions BEGIN
    INSERT INTO chat_changes (chat_ref) VALUES (new.chat_ref);
END;
CREATE TRIGGER subscriptions_removed AFTER DELETE ON subscriptions BEGIN
    INSERT INTO chat_changes (chat_ref) VALUES (old.chat_ref);
END;
CREATE TRIGGER subscriptions_changed AFTER UPDATE ON subscriptions BEGIN
    INSERT INTO chat_changes (chat_ref) VALUES (old.chat_ref);
    INSERT INTO chat_changes (chat_ref) SELECT new.chat_ref WHERE new.chat_ref != old.chat_ref;
END;
-- ensure_chat sets active = 1 on every message it sees: only real changes are logged.
CREATE TRIGGER chats_delivery_changed AFTER UPDATE OF active, mode, paused_until, lang, messenger ON chats
WHEN old.active IS NOT new.active OR old.mode IS NOT new.mode
     OR old.paused_until IS NOT new.paused_until OR old.lang IS NOT new.lang
     OR old.messenger IS NOT new.messenger
BEGIN
    INSERT INTO chat_changes (chat_ref) VALUES (new.id);
END;
CREATE TRIGGER chats_removed AFTER DELETE ON chats BEGIN
    INSERT INTO chat_changes (chat_ref) VALUES (old.id);
END;
-- The newest 100,000 changes are enough for a reader that looks before every batch.
CREATE TRIGGER chat_changes_pruned AFTER INSERT ON chat_changes WHEN new.seq % 1000 = 0 BEGIN
    DELETE FROM chat_changes WHERE seq <= new.seq - 100000;
END;

-- The next moment the weekly check must look at this chat: its next slot after the last look.
-- 0 = work it out at the next check (new chats, a changed slot, a changed configured default).
ALTER TABLE chats ADD COLUMN summary_due_at REAL NOT NULL DEFAULT 0;
CREATE INDEX chats_summary_due ON chats (active, summary_due_at);
CREATE TRIGGER chats_slot_changed AFTER UPDATE OF weekly_day, weekly_time ON chats BEGIN
    UPDATE chats SET summary_due_at = 0 WHERE id = new.id;
END;

-- The configured default slot (and time zone) the stored summary_due_at were worked out with.
CREATE TABLE schedule_state (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
