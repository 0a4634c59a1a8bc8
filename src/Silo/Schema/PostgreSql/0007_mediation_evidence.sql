-- Mediation schema, PostgreSQL, version 0007: evidence bytes, shared by every silo and API node. One row per
-- (dispute, sha256, variant): content-addressed within a dispute, so undoing a refused upload never touches another
-- dispute's evidence. variant: 0 original (as uploaded), 1 shared (photos: location removed), 2 thumbnail.
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS evidence_blobs
(
    dispute_id text        NOT NULL,
    sha256     char(64)    NOT NULL,
    variant    smallint    NOT NULL,
    content    bytea       NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dispute_id, sha256, variant)
);
-- Large values are compressed and moved out of line by TOAST; photos, videos and PDFs are already compressed.
ALTER TABLE evidence_blobs ALTER COLUMN content SET STORAGE EXTERNAL;
