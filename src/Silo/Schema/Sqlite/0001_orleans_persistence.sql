-- Mediation schema, SQLite, version 0001: OrleansQuery + Orleans ADO.NET grain persistence.
--
-- Contract (Microsoft.Orleans.Persistence.AdoNet 10.4.2, invariant "System.Data.SQLite",
-- executed through Microsoft.Data.Sqlite):
--   * the provider reads  SELECT QueryKey, QueryText FROM OrleansQuery  and needs the rows
--     WriteToStorageKey, ReadFromStorageKey, ClearStorageKey and DeleteStorageKey
--     (DeleteStorageKey is used when AdoNetGrainStorageOptions.DeleteStateOnClear = true);
--   * parameters it binds: GrainIdHash (int), GrainIdN0 (long), GrainIdN1 (long), GrainTypeHash (int),
--     GrainTypeString (string), GrainIdExtensionString (string or NULL), ServiceId (string),
--     GrainStateVersion (int or NULL; not bound for reads), PayloadBinary (byte[]; writes only);
--     Microsoft.Data.Sqlite refuses to run a statement that references an unbound parameter,
--     so each query only uses the parameters bound for it;
--   * reads take the columns PayloadBinary (BLOB) and Version by name; writes take NewGrainStateVersion
--     by name; clear/delete take the first column of the (single) returned row.  Returning no row
--     (or the unchanged version) is how a version conflict is reported.
--
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            INTEGER NOT NULL,
    GrainIdN0              INTEGER NOT NULL,
    GrainIdN1              INTEGER NOT NULL,
    GrainTypeHash          INTEGER NOT NULL,
    GrainTypeString        TEXT    NOT NULL,
    GrainIdExtensionString TEXT    NULL,
    ServiceId              TEXT    NOT NULL,
    PayloadBinary          BLOB    NULL,      -- NULL after a clear (DeleteStateOnClear = false)
    ModifiedOn             TEXT    NOT NULL,  -- UTC, ISO-8601 text; informational only
    Version                INTEGER NOT NULL
);

-- Lookups always filter on both hashes first; the remaining columns resolve hash collisions.
CREATE INDEX IF NOT EXISTS IX_OrleansStorage ON OrleansStorage (GrainIdHash, GrainTypeHash);

-- Write with optimistic concurrency.
--   GrainStateVersion IS NULL  -> first write: insert version 1 unless a row already exists.
--   GrainStateVersion = n      -> update the row that still has version n to n + 1.
-- Exactly one of the two statements can return a row; no row means "version conflict".
-- (A single SQLite statement runs under the database write lock, so the NOT EXISTS check
-- and the insert cannot interleave with another writer.)
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
UPDATE OrleansStorage
SET PayloadBinary = @PayloadBinary,
    ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''),
    Version = Version + 1
WHERE GrainIdHash = @GrainIdHash
  AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString
  AND ServiceId = @ServiceId
  AND @GrainStateVersion IS NOT NULL
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;

INSERT INTO OrleansStorage
    (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString,
     ServiceId, PayloadBinary, ModifiedOn, Version)
SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString,
       @ServiceId, @PayloadBinary, strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''), 1
WHERE @GrainStateVersion IS NULL
  AND NOT EXISTS (
        SELECT 1 FROM OrleansStorage
        WHERE GrainIdHash = @GrainIdHash
          AND GrainTypeHash = @GrainTypeHash
          AND GrainIdN0 = @GrainIdN0
          AND GrainIdN1 = @GrainIdN1
          AND GrainTypeString = @GrainTypeString
          AND GrainIdExtensionString IS @GrainIdExtensionString
          AND ServiceId = @ServiceId)
RETURNING Version AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash
  AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString
  AND ServiceId = @ServiceId
LIMIT 1;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Clear keeps the row (payload NULL) and bumps the version; returns the new version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE OrleansStorage
SET PayloadBinary = NULL,
    ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''),
    Version = Version + 1
WHERE GrainIdHash = @GrainIdHash
  AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString
  AND ServiceId = @ServiceId
  AND @GrainStateVersion IS NOT NULL
  AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Delete removes the row; it returns version + 1 so the provider sees a changed version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', '
DELETE FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash
  AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0
  AND GrainIdN1 = @GrainIdN1
  AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS @GrainIdExtensionString
  AND ServiceId = @ServiceId
  AND @GrainStateVersion IS NOT NULL
  AND Version = @GrainStateVersion
RETURNING Version + 1 AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
