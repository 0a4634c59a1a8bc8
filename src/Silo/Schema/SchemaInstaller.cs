using System.Reflection;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Mediation.Silo.Schema;

/// <summary>
/// Applies the embedded, numbered SQL scripts under <c>Schema/Sqlite</c> and <c>Schema/PostgreSql</c>.
/// Each script runs at most once per database, in file-name order, inside its own transaction, and is
/// recorded in <c>mediation_schema_versions</c> (version = file name without ".sql").
/// The scripts are themselves idempotent (IF NOT EXISTS / ON CONFLICT), as a second guard.
/// A later schema change is a new script with a higher number; never edit an applied script.
/// </summary>
public static class SchemaInstaller
{
    private const string SqliteFolder = "Sqlite";
    private const string PostgreSqlFolder = "PostgreSql";

    // Arbitrary constant key for pg_advisory_xact_lock: serialises installers running on several silos.
    private const long PostgreSqlAdvisoryLockKey = 0x4D65_6469_6154_6E01; // "MediaTn" + 1

    /// <summary>A script embedded in this assembly.</summary>
    /// <param name="Version">File name without extension, e.g. <c>0001_orleans_persistence</c>.</param>
    /// <param name="Sql">Script text.</param>
    public sealed record SchemaScript(string Version, string Sql);

    /// <summary>The embedded scripts for a database folder ("Sqlite" or "PostgreSql"), in apply order.</summary>
    public static IReadOnlyList<SchemaScript> GetScripts(string folder)
    {
        var assembly = typeof(SchemaInstaller).Assembly;
        // Manifest names look like "Mediation.Silo.Schema.Sqlite.0001_orleans_persistence.sql"; MSBuild keeps the
        // file name as is but may prefix path segments that start with a digit with '_', so match on the folder
        // marker and normalise the file part instead of hard-coding the full name.
        var marker = ".Schema." + folder + ".";
        var scripts = new List<SchemaScript>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var index = name.IndexOf(marker, StringComparison.Ordinal);
            if (index < 0 || !name.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var version = name[(index + marker.Length)..^".sql".Length].TrimStart('_');
            if (version.Length == 0 || version.Contains('.'))
            {
                continue; // not directly in the folder
            }

            scripts.Add(new SchemaScript(version, ReadResource(assembly, name)));
        }

        scripts.Sort((a, b) => string.CompareOrdinal(a.Version, b.Version));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (string.Equals(scripts[i - 1].Version, scripts[i].Version, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Duplicate schema script version '{scripts[i].Version}' in {folder}.");
            }
        }

        if (scripts.Count == 0)
        {
            throw new InvalidOperationException(
                $"No embedded schema scripts found for '{folder}' in {assembly.GetName().Name}; expected resources containing '{marker}'.");
        }

        return scripts;
    }

    /// <summary>
    /// Creates or upgrades an SQLite database (grain persistence, reminders, dispute events).
    /// Turns on WAL journaling (persisted in the file) and creates the database directory when missing.
    /// </summary>
    public static async Task ApplySqliteAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DefaultTimeout < 30)
        {
            builder.DefaultTimeout = 30; // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout
        }

        var dataSource = builder.DataSource;
        if (!string.IsNullOrEmpty(dataSource)
            && dataSource != ":memory:"
            && builder.Mode != SqliteOpenMode.Memory
            && !dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }

        var scripts = GetScripts(SqliteFolder);

        await using var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);

        // journal_mode=WAL is stored in the database file, so every later connection (the Orleans
        // providers open their own) uses it; it cannot be changed inside a transaction.
        await ExecuteSqliteAsync(connection, null, "PRAGMA journal_mode = WAL;", ct).ConfigureAwait(false);
        await ExecuteSqliteAsync(connection, null, "PRAGMA busy_timeout = 30000;", ct).ConfigureAwait(false);

        await ExecuteSqliteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS mediation_schema_versions
            (
                version    TEXT NOT NULL PRIMARY KEY,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            );
            """, ct).ConfigureAwait(false);

        foreach (var script in scripts)
        {
            // BEGIN IMMEDIATE (the Microsoft.Data.Sqlite default) takes the write lock up front, so two
            // processes applying at once are serialised and the second one sees the version row.
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

            await using (var check = connection.CreateCommand())
            {
                check.Transaction = transaction;
                check.CommandText = "SELECT COUNT(*) FROM mediation_schema_versions WHERE version = $version;";
                check.Parameters.AddWithValue("$version", script.Version);
                var applied = Convert.ToInt64(await check.ExecuteScalarAsync(ct).ConfigureAwait(false));
                if (applied > 0)
                {
                    continue;
                }
            }

            await ExecuteSqliteAsync(connection, transaction, script.Sql, ct).ConfigureAwait(false);

            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO mediation_schema_versions (version) VALUES ($version);";
                record.Parameters.AddWithValue("$version", script.Version);
                await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates or upgrades a PostgreSQL database (clustering, grain persistence, reminders, dispute events).
    /// Safe to call concurrently from several silos: each script's transaction first takes a
    /// transaction-scoped advisory lock.
    /// </summary>
    public static async Task ApplyPostgreSqlAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        var scripts = GetScripts(PostgreSqlFolder);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);

        foreach (var script in scripts)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

            await ExecutePostgreSqlAsync(connection, transaction,
                $"SELECT pg_advisory_xact_lock({PostgreSqlAdvisoryLockKey});", ct).ConfigureAwait(false);

            // Created under the lock: CREATE TABLE IF NOT EXISTS is not safe against a concurrent creator.
            await ExecutePostgreSqlAsync(connection, transaction, """
                CREATE TABLE IF NOT EXISTS mediation_schema_versions
                (
                    version    text        NOT NULL PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """, ct).ConfigureAwait(false);

            await using (var check = new NpgsqlCommand("SELECT count(*) FROM mediation_schema_versions WHERE version = @version;", connection, transaction))
            {
                check.Parameters.AddWithValue("version", script.Version);
                var applied = Convert.ToInt64(await check.ExecuteScalarAsync(ct).ConfigureAwait(false));
                if (applied > 0)
                {
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    continue;
                }
            }

            await ExecutePostgreSqlAsync(connection, transaction, script.Sql, ct).ConfigureAwait(false);

            await using (var record = new NpgsqlCommand("INSERT INTO mediation_schema_versions (version) VALUES (@version);", connection, transaction))
            {
                record.Parameters.AddWithValue("version", script.Version);
                await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteSqliteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecutePostgreSqlAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' not found.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
