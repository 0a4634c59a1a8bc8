-- Mediation schema, PostgreSQL, version 0005: append-only message history of a dispute.
-- One row per event; seq is the per-dispute sequence number assigned by the writer and the primary
-- key rejects a duplicate (dispute_id, seq).  payload is the JSON of the event (kept as text).
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS dispute_events
(
    dispute_id text        NOT NULL,
    seq        bigint      NOT NULL,
    payload    text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_dispute_events PRIMARY KEY (dispute_id, seq)
);
