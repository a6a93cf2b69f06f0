-- Retries are bounded by time since a message first failed ([delivery].retry_for_seconds),
-- not by a number of attempts: remember when that was.
ALTER TABLE outbox ADD COLUMN first_failed_at REAL;
