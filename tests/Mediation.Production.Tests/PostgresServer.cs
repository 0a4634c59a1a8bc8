using System.Diagnostics;
using Npgsql;

namespace Mediation.Production.Tests;

/// <summary>
/// One throwaway PostgreSQL server (scripts/pg.sh) for the whole collection. Each test takes a database of its own,
/// so tests never see each other's rows; the outage test stops and restarts this server on the same data folder.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string Binaries = "/usr/lib/postgresql/15/bin";

    public string Directory { get; private set; } = "";
    public int Port { get; } = Mediation.Api.Tests.FreePort.Next();
    private string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    public async Task InitializeAsync()
    {
        var output = await PgScriptAsync("start", "", Port.ToString());
        Directory = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("PG_DIR=", StringComparison.Ordinal))["PG_DIR=".Length..];
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Directory.Length > 0) await PgScriptAsync("stop", Directory);
    }

    /// <summary>A new empty database on this server; its Npgsql connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>PostgreSQL goes away: pg_ctl stop -m fast, as the user owning the data folder.</summary>
    public Task StopAsync() =>
        RunAsync("runuser", ["-u", OwnerOfData(), "--", Path.Combine(Binaries, "pg_ctl"), "-D", Path.Combine(Directory, "data"), "-m", "fast", "-w", "stop"]);

    /// <summary>PostgreSQL comes back on the same folder and port (pg.sh reuses an initialised folder).</summary>
    public Task StartAgainAsync() => PgScriptAsync("start", Directory, Port.ToString());

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T));
    }

    private string OwnerOfData()
    {
        var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%U", Path.Combine(Directory, "data")]) { RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return owner;
    }

    private static Task<string> PgScriptAsync(params string[] args) =>
        RunAsync("bash", [Path.Combine(RepositoryRoot(), "scripts", "pg.sh"), .. args]);

    private static async Task<string> RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Mediation.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Mediation.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>The production tests share one PostgreSQL server and run one after another (2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "production";
}
