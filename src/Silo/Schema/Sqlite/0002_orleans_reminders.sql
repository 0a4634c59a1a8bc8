-- Mediation schema, SQLite, version 0002: Orleans ADO.NET reminder table.
--
-- Contract (Microsoft.Orleans.Reminders.AdoNet 10.4.2): the provider loads every OrleansQuery row and
-- requires ReadReminderRowsKey, ReadReminderRowKey, ReadRangeRows1Key, ReadRangeRows2Key,
-- UpsertReminderRowKey, DeleteReminderRowKey and DeleteReminderRowsKey.
-- Parameters: ServiceId, GrainId (GrainId.ToString()), ReminderName (strings), StartTime (DateTime,
-- UTC; Microsoft.Data.Sqlite binds it as TEXT "yyyy-MM-dd HH:mm:ss.FFFFFFF"), Period (milliseconds,
-- int or long), GrainHash / BeginHash / EndHash (uint hash reinterpreted as a signed int), Version (int).
-- Result columns read by name: GrainId, ReminderName, StartTime, Period, Version.
-- Range reads: the provider picks ReadRangeRows1Key when (int)BeginHash < (int)EndHash and reads
-- (BeginHash, EndHash]; otherwise (wrapped range, or BeginHash = EndHash = whole ring) ReadRangeRows2Key.
-- Upsert returns the new Version; delete returns a single 0/1 column.
--
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    TEXT    NOT NULL,
    GrainId      TEXT    NOT NULL,
    ReminderName TEXT    NOT NULL,
    StartTime    TEXT    NOT NULL,   -- UTC as written by Microsoft.Data.Sqlite; read back with GetDateTime
    Period       INTEGER NOT NULL,   -- milliseconds
    GrainHash    INTEGER NOT NULL,   -- signed 32-bit view of the grain's uniform hash
    Version      INTEGER NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpsertReminderRowKey', '
INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
SET StartTime = excluded.StartTime,
    Period = excluded.Period,
    GrainHash = excluded.GrainHash,
    Version = OrleansRemindersTable.Version + 1
RETURNING Version;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowsKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId
  AND GrainId = @GrainId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId
  AND GrainId = @GrainId
  AND ReminderName = @ReminderName;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- (BeginHash, EndHash] when BeginHash < EndHash (signed).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows1Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId
  AND GrainHash > @BeginHash
  AND GrainHash <= @EndHash;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Wrapped range: everything above BeginHash plus everything up to EndHash (whole ring when equal).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows2Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId
  AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Must always return exactly one row with one column: 1 when the row (with that version) was deleted.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowKey', '
DELETE FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId
  AND GrainId = @GrainId
  AND ReminderName = @ReminderName
  AND Version = @Version;
SELECT changes() AS RowsDeleted;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowsKey', '
DELETE FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
