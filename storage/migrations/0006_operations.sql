-- What the admins' alerts remember between checks and restarts: one row per condition being
-- watched ('feed:<id>' failing, 'digest' late, 'dead' messages), so each is told once.
CREATE TABLE admin_alerts (
    key          TEXT PRIMARY KEY,
    since        REAL NOT NULL,            -- when the condition began (as far as is known)
    value        TEXT NOT NULL DEFAULT '', -- what was told: the digest's due date, the dead count
    notified_at  REAL                      -- NULL: watched, not told yet
);
