-- Mediation schema, PostgreSQL, version 0006: the parties' lists of disputes. One row per dispute, the latest
-- DisputeSummary as JSON, written in the same statement as the events it summarises (so a list is never behind
-- its disputes); last_seq never moves backwards.
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS dispute_summaries
(
    dispute_id  text   NOT NULL PRIMARY KEY,
    merchant_id text   NOT NULL,
    consumer_id text   NOT NULL,
    last_seq    bigint NOT NULL,
    payload     text   NOT NULL
);
CREATE INDEX IF NOT EXISTS dispute_summaries_by_merchant ON dispute_summaries (merchant_id);
CREATE INDEX IF NOT EXISTS dispute_summaries_by_consumer ON dispute_summaries (consumer_id);
