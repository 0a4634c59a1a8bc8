-- Mediation schema, PostgreSQL, version 0001: the OrleansQuery table shared by every Orleans
-- ADO.NET provider (clustering, persistence, reminders).  Each provider reads
--   SELECT QueryKey, QueryText FROM OrleansQuery
-- at start-up (unquoted identifiers, so the table is stored as orleansquery) and binds its
-- parameters by name (@Name) through Npgsql.
-- Later scripts insert their rows with ON CONFLICT ... DO UPDATE, so a newer script can replace a query.
-- Idempotent: safe to run again on a database that already has it.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
