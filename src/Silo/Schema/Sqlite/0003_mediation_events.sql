-- Mediation schema, SQLite, version 0003: append-only message history of a dispute.
-- One row per event; seq is the per-dispute sequence number assigned by the writer and
-- the primary key rejects a duplicate (dispute_id, seq).
-- payload is the JSON of the event; created_at is UTC ISO-8601 text.
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS dispute_events
(
    dispute_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (dispute_id, seq)
) WITHOUT ROWID;
