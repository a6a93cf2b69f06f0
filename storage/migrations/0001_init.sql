-- diemtin schema, version 1. Times are Unix seconds (REAL, UTC); dates are ISO strings.

CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT NOT NULL UNIQUE,
    title                TEXT NOT NULL DEFAULT '',
    default_province     TEXT,                       -- gazetteer slug, for provincial portals
    interval_seconds     INTEGER NOT NULL DEFAULT 900,
    enabled              INTEGER NOT NULL DEFAULT 1,
    origin               TEXT NOT NULL DEFAULT 'config',  -- 'config' | 'admin' | 'cli'
    etag                 TEXT,
    last_modified        TEXT,
    last_polled_at       REAL,
    last_success_at      REAL,
    last_error           TEXT,
    last_error_at        REAL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         REAL NOT NULL DEFAULT 0,
    items_total          INTEGER NOT NULL DEFAULT 0,
    created_at           REAL NOT NULL
);

CREATE TABLE items (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
    id            TEXT NOT NULL UNIQUE,                -- stable hash of feed + normalised text
    feed_id       INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    link          TEXT NOT NULL DEFAULT '',
    published_at  REAL,
    stored_at     REAL NOT NULL,
    period_start  TEXT,
    period_end    TEXT,
    period_week   INTEGER,
    national      INTEGER NOT NULL DEFAULT 0,
    folded        TEXT NOT NULL,                       -- textnorm.fold(title + body), for search
    matched       INTEGER NOT NULL DEFAULT 0           -- 1 once instant matching has queued it
);
CREATE INDEX items_stored_at ON items (stored_at);
CREATE INDEX items_unmatched ON items (matched) WHERE matched = 0;

CREATE TABLE item_provinces (
    item_seq   INTEGER NOT NULL REFERENCES items(seq) ON DELETE CASCADE,
    slug       TEXT NOT NULL,          -- as named (old or current unit)
    current    TEXT NOT NULL,          -- the 34-unit it is part of now
    role       TEXT NOT NULL CHECK (role IN ('primary', 'mentioned')),
    position   INTEGER NOT NULL,
    PRIMARY KEY (item_seq, role, slug)
);
CREATE INDEX item_provinces_current ON item_provinces (current, role, item_seq);

CREATE TABLE item_topics (
    item_seq   INTEGER NOT NULL REFERENCES items(seq) ON DELETE CASCADE,
    slug       TEXT NOT NULL,
    rank       INTEGER NOT NULL,
    PRIMARY KEY (item_seq, slug)
);
CREATE INDEX item_topics_slug ON item_topics (slug, item_seq);

-- Accent-insensitive search: FTS5 over the folded copy (unicode61 cannot fold đ on its own).
CREATE VIRTUAL TABLE items_fts USING fts5(folded, content='items', content_rowid='seq');
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, folded) VALUES (new.seq, new.folded);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, folded) VALUES ('delete', old.seq, old.folded);
END;

CREATE TABLE chats (
    id              INTEGER PRIMARY KEY,
    messenger       TEXT NOT NULL,                 -- 'telegram' | 'zalo'
    chat_id         TEXT NOT NULL,                 -- the messenger's id, as text
    kind            TEXT NOT NULL DEFAULT 'private',  -- private | group | supergroup | channel
    title           TEXT NOT NULL DEFAULT '',
    lang            TEXT NOT NULL DEFAULT 'vi',
    lang_explicit   INTEGER NOT NULL DEFAULT 0,    -- 1 once /ngonngu set it
    mode            TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'weekly')),
    weekly_day      INTEGER,                       -- 0 = Monday … 6 = Sunday; NULL = config default
    weekly_time     TEXT,                          -- 'HH:MM' Asia/Ho_Chi_Minh; NULL = config default
    weekly_empty    INTEGER NOT NULL DEFAULT 1,    -- send a short line when nothing matched
    active          INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    paused_until    REAL,                          -- NULL = not paused
    paused_at       REAL,
    last_summary_at REAL,
    last_summary_key TEXT,                         -- ISO week of the last summary slot, '2022-W19'
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    UNIQUE (messenger, chat_id)
);
CREATE INDEX chats_active ON chats (active);

CREATE TABLE subscriptions (
    chat_ref    INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('province', 'topic', 'keyword')),
    value       TEXT NOT NULL,       -- province slug (a current unit or 'toan-quoc'), topic slug, keyword as typed (NFC)
    folded      TEXT NOT NULL,       -- textnorm.fold(value) for keywords, else value
    accented    INTEGER NOT NULL DEFAULT 0,  -- keyword typed with accents: match accent-aware
    created_at  REAL NOT NULL,
    PRIMARY KEY (chat_ref, kind, value)
);
CREATE INDEX subscriptions_value ON subscriptions (kind, value);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_ref        INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('items', 'summary', 'broadcast', 'reply')),
    dedupe_key      TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,       -- JSON: {"text": ..., "parse_mode": "HTML", ...}
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    claimed_at      REAL,
    last_error      TEXT,
    message_id      TEXT,
    created_at      REAL NOT NULL,
    sent_at         REAL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_chat ON outbox (chat_ref, state);

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    text        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'queued', 'cancelled')),
    created_at  REAL NOT NULL,
    queued_at   REAL
);
