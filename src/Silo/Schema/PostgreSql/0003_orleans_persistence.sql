-- Mediation schema, PostgreSQL, version 0003: Orleans ADO.NET grain persistence.
--
-- Contract (Microsoft.Orleans.Persistence.AdoNet 10.4.2): the provider reads the OrleansQuery rows
-- WriteToStorageKey, ReadFromStorageKey, ClearStorageKey and DeleteStorageKey (the last one is used
-- when AdoNetGrainStorageOptions.DeleteStateOnClear = true).
-- Parameters: GrainIdHash, GrainTypeHash (int), GrainIdN0, GrainIdN1 (bigint), GrainTypeString,
-- GrainIdExtensionString (text or NULL), ServiceId (text), GrainStateVersion (int or NULL; not sent
-- for reads), PayloadBinary (bytea; writes only).
-- Reads take PayloadBinary and Version by name; writes take NewGrainStateVersion by name; clear/delete
-- take the first column.  No row (or an unchanged version) reports a version conflict.
--
-- The row identity is (hashes, ServiceId, N0, N1, type, extension).  A unique index with
-- NULLS NOT DISTINCT (PostgreSQL 15+) makes two concurrent first writes of the same grain
-- resolve to exactly one insert: the loser gets no row back, i.e. an InconsistentStateException.
-- The hashes lead the index so it also serves the provider's lookups.
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,      -- NULL after a clear (DeleteStateOnClear = false)
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS UX_OrleansStorage ON OrleansStorage
    (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString)
    NULLS NOT DISTINCT;

-- GrainStateVersion NULL -> insert version 1 (nothing if the row exists); n -> update version n to n + 1.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
WITH updated AS (
    UPDATE OrleansStorage
    SET PayloadBinary = @PayloadBinary, ModifiedOn = now(), Version = Version + 1
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND ServiceId = @ServiceId
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND Version = @GrainStateVersion
    RETURNING Version
), inserted AS (
    INSERT INTO OrleansStorage
        (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString,
         ServiceId, PayloadBinary, ModifiedOn, Version)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString,
           @ServiceId, @PayloadBinary, now(), 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING Version
)
SELECT Version AS NewGrainStateVersion FROM updated
UNION ALL
SELECT Version AS NewGrainStateVersion FROM inserted;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash
  AND GrainTypeHash = @GrainTypeHash
  AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Clear keeps the row (payload NULL) and bumps the version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE OrleansStorage
SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
WHERE GrainIdHash = @GrainIdHash
  AND GrainTypeHash = @GrainTypeHash
  AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Delete removes the row and returns version + 1 (a changed version means success to the provider).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', '
DELETE FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash
  AND GrainTypeHash = @GrainTypeHash
  AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND Version = @GrainStateVersion
RETURNING Version + 1 AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
