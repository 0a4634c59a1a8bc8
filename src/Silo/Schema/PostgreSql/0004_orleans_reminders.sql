-- Mediation schema, PostgreSQL, version 0004: Orleans ADO.NET reminder table.
--
-- Contract (Microsoft.Orleans.Reminders.AdoNet 10.4.2): the provider loads every OrleansQuery row and
-- requires ReadReminderRowsKey, ReadReminderRowKey, ReadRangeRows1Key, ReadRangeRows2Key,
-- UpsertReminderRowKey, DeleteReminderRowKey and DeleteReminderRowsKey.
-- Parameters: ServiceId, GrainId (GrainId.ToString()), ReminderName (text), StartTime (UTC DateTime ->
-- timestamptz), Period (milliseconds, int or bigint), GrainHash / BeginHash / EndHash (uint hash
-- reinterpreted as signed int), Version (int).
-- Result columns read by name: GrainId, ReminderName, StartTime, Period, Version.
-- The provider uses ReadRangeRows1Key for (BeginHash, EndHash] when (int)BeginHash < (int)EndHash and
-- ReadRangeRows2Key for the wrapped range otherwise (BeginHash = EndHash means the whole ring).
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150) NOT NULL,
    GrainId      varchar(150) NOT NULL,
    ReminderName varchar(150) NOT NULL,
    StartTime    timestamptz  NOT NULL,
    Period       bigint       NOT NULL,   -- milliseconds
    GrainHash    integer      NOT NULL,
    Version      integer      NOT NULL,
    CONSTRAINT PK_OrleansRemindersTable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpsertReminderRowKey', '
INSERT INTO OrleansRemindersTable AS r (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
SET StartTime = EXCLUDED.StartTime,
    Period = EXCLUDED.Period,
    GrainHash = EXCLUDED.GrainHash,
    Version = r.Version + 1
RETURNING r.Version AS Version;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowsKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows1Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId
  AND GrainHash > @BeginHash
  AND GrainHash <= @EndHash;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows2Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId
  AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Always exactly one row, one column: 1 when the row with that version was deleted, else 0.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowKey', '
WITH deleted AS (
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName
      AND Version = @Version
    RETURNING 1
)
SELECT count(*)::int AS RowsDeleted FROM deleted;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowsKey', '
DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
