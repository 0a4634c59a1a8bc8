-- Mediation schema, PostgreSQL, version 0002: Orleans ADO.NET clustering (membership protocol).
--
-- Contract (Microsoft.Orleans.Clustering.AdoNet 10.4.2): the provider loads every OrleansQuery row and
-- requires GatewaysQueryKey, MembershipReadRowKey, MembershipReadAllKey, InsertMembershipVersionKey,
-- UpdateIAmAlivetimeKey, InsertMembershipKey, UpdateMembershipKey, DeleteMembershipTableEntriesKey and
-- CleanupDefunctSiloEntriesKey (the last one was missing from older PostgreSQL scripts, dotnet/orleans#9125).
-- Parameters: DeploymentId (= ClusterId), Address (string), Port, Generation, Status, ProxyPort (int),
-- SiloName, HostName, SuspectTimes (string or NULL), StartTime, IAmAliveTime (UTC DateTime; Npgsql sends
-- DbType.DateTime as timestamptz), Version (int; the table version the caller last read).
-- Result columns are read by name (Npgsql matches them case-insensitively).
-- The insert/update queries must return a single 0/1 column; they change a membership row only together
-- with bumping the table version, and only if that version still equals @Version.  The version row is
-- locked (FOR UPDATE) first, so two silos racing on the same version cannot both succeed.
-- Idempotent: safe to run again on a database that already has it.

-- One row per cluster (DeploymentId): the membership table version (the ETag of the whole table).
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0,
    CONSTRAINT PK_OrleansMembershipVersionTable PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150)  NOT NULL,
    Address      varchar(45)   NOT NULL,
    Port         integer       NOT NULL,
    Generation   integer       NOT NULL,
    SiloName     varchar(150)  NOT NULL,
    HostName     varchar(150)  NOT NULL,
    Status       integer       NOT NULL,
    ProxyPort    integer       NOT NULL DEFAULT 0,
    SuspectTimes text          NULL,
    StartTime    timestamptz   NOT NULL,
    IAmAliveTime timestamptz   NOT NULL,
    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_Version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipVersionKey', '
WITH inserted AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*)::int AS Inserted FROM inserted;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipKey', '
WITH expected AS MATERIALIZED (
    SELECT DeploymentId
    FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId AND Version = @Version
    FOR UPDATE
), inserted AS (
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    SELECT DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
    FROM expected
    ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING
    RETURNING DeploymentId
), bumped AS (
    UPDATE OrleansMembershipVersionTable AS t
    SET Version = t.Version + 1, Timestamp = now()
    FROM inserted
    WHERE t.DeploymentId = inserted.DeploymentId
    RETURNING 1
)
SELECT count(*)::int AS Succeeded FROM bumped;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateMembershipKey', '
WITH expected AS MATERIALIZED (
    SELECT DeploymentId
    FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId AND Version = @Version
    FOR UPDATE
), updated AS (
    UPDATE OrleansMembershipTable AS m
    SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
    FROM expected
    WHERE m.DeploymentId = expected.DeploymentId
      AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
    RETURNING m.DeploymentId
), bumped AS (
    UPDATE OrleansMembershipVersionTable AS t
    SET Version = t.Version + 1, Timestamp = now()
    FROM updated
    WHERE t.DeploymentId = updated.DeploymentId
    RETURNING 1
)
SELECT count(*)::int AS Succeeded FROM bumped;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Heartbeat; not versioned, result not checked.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateIAmAlivetimeKey', '
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId
  AND Address = @Address AND Port = @Port AND Generation = @Generation;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- The version row is always returned (LEFT JOIN), with NULL silo columns when the silo has no row.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadRowKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable AS v
LEFT JOIN OrleansMembershipTable AS m
       ON m.DeploymentId = v.DeploymentId
      AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadAllKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable AS v
LEFT JOIN OrleansMembershipTable AS m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteMembershipTableEntriesKey', '
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Used by clients: active silos with a gateway endpoint.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('GatewaysQueryKey', '
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId
  AND Status = @Status
  AND ProxyPort > 0;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Removes rows of silos that are not Active (SiloStatus.Active = 3) and have not sent a heartbeat
-- since @IAmAliveTime.  Like the other Orleans membership providers it does not bump the table version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntriesKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId
  AND IAmAliveTime < @IAmAliveTime
  AND Status <> 3;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
