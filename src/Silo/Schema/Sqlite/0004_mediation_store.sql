-- Mediation schema, SQLite, version 0004: the embedded default's own grain state, reminders and the parties'
-- dispute lists, all written by the one writer (src/Silo/Sqlite/SqliteWriter.cs) instead of the ADO.NET providers,
-- whose synchronous SQLite writes ran on grain threads and contended for the write lock (issue 8).
-- Idempotent: safe to run again on a database that already has it.

-- Grain state of every storage provider name: the payload is the Orleans storage serializer's bytes; version is the
-- ETag (an ETag-checked write succeeds only on the version it read).
CREATE TABLE IF NOT EXISTS grain_state
(
    provider   TEXT    NOT NULL,
    grain_id   TEXT    NOT NULL,
    state_name TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (provider, grain_id, state_name)
) WITHOUT ROWID;

-- Reminders (IReminderTable); grain_hash is GrainId.GetUniformHashCode(), which the reminder service reads by range.
CREATE TABLE IF NOT EXISTS reminders
(
    service_id    TEXT    NOT NULL,
    grain_id      TEXT    NOT NULL,
    reminder_name TEXT    NOT NULL,
    grain_hash    INTEGER NOT NULL,
    start_at      INTEGER NOT NULL, -- UTC ticks
    period        INTEGER NOT NULL, -- ticks
    version       INTEGER NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reminders_by_hash ON reminders (service_id, grain_hash);

-- The parties' lists: one row per dispute, the latest DisputeSummary as JSON, written in the same transaction as the
-- events it summarises (so a list is never behind its disputes); last_seq never moves backwards.
CREATE TABLE IF NOT EXISTS dispute_summaries
(
    dispute_id  TEXT    NOT NULL PRIMARY KEY,
    merchant_id TEXT    NOT NULL,
    consumer_id TEXT    NOT NULL,
    last_seq    INTEGER NOT NULL,
    payload     TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dispute_summaries_by_merchant ON dispute_summaries (merchant_id);
CREATE INDEX IF NOT EXISTS dispute_summaries_by_consumer ON dispute_summaries (consumer_id);
