using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Mediation.Silo.Hosting.Health;

/// <summary>
/// The database answers a query: the SQLite file of the embedded default (opened read-only, so a missing file is
/// reported, never created), or the PostgreSQL server of production through the configured connection string.
/// </summary>
public sealed class DatabaseHealthCheck(MediationSiloOptions options) : IHealthCheck
{
    // A pool of its own, small and quick to give up: the probe must not wait behind the service's own connections,
    // nor hold any of them.
    private readonly string? _postgres = options.PostgresConnectionString is { } connectionString
        ? new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 2, Timeout = 2, CommandTimeout = 2, ApplicationName = "mediation-health" }.ConnectionString
        : null;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (options.Storage == StorageKind.Sqlite) await PingSqliteAsync(cancellationToken);
            else await PingPostgresAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{options.Storage} answers");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{options.Storage} does not answer", e);
        }
    }

    private async Task PingSqliteAsync(CancellationToken cancellationToken)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = options.SqlitePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        await using var connection = new SqliteConnection(connectionString.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master";
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private async Task PingPostgresAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_postgres ?? throw new InvalidOperationException("ConnectionStrings:Mediation is not set"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
