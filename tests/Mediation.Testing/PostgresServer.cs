using System.Diagnostics;
using Npgsql;

namespace Mediation.Testing;

/// <summary>
/// A throwaway PostgreSQL server (scripts/pg.sh, which runs it as an unprivileged user when the tests run as root),
/// the one starter of every test project, used as an xunit fixture. Tests take a database of their own
/// (<see cref="CreateDatabaseAsync"/>) or share pg.sh's "mediation" one (<see cref="ConnectionString"/>); outage
/// tests stop and restart the server on the same data folder and port.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string Binaries = "/usr/lib/postgresql/15/bin";

    public string Directory { get; private set; } = "";
    public int Port { get; } = FreePort.Next();
    /// <summary>The database pg.sh creates ("mediation"), as the connection string it prints.</summary>
    public string ConnectionString { get; private set; } = "";
    private string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    public async Task InitializeAsync()
    {
        var output = await PgScriptAsync("start", "", Port.ToString());
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Directory = lines.First(l => l.StartsWith("PG_DIR=", StringComparison.Ordinal))["PG_DIR=".Length..];
        ConnectionString = lines[^1];
        Assert.StartsWith("Host=", ConnectionString);
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

    /// <summary>
    /// PostgreSQL goes away: pg_ctl stop -m fast, as the user owning the data folder (pg.sh has no restart and its
    /// stop removes the folder).
    /// </summary>
    public Task StopAsync()
    {
        var pgCtl = Path.Combine(Binaries, "pg_ctl");
        string[] stop = [pgCtl, "-D", Path.Combine(Directory, "data"), "-m", "fast", "-w", "-t", "30", "stop"];
        var owner = OwnerOfData();
        return Environment.UserName == owner ? RunAsync(pgCtl, stop[1..]) : RunAsync("runuser", ["-u", owner, "--", .. stop]);
    }

    /// <summary>PostgreSQL comes back on the same folder and port (pg.sh reuses an initialised folder).</summary>
    /// <summary>Starts the stopped server again; this process's pooled connections died with it and are dropped.</summary>
    public async Task StartAgainAsync()
    {
        await PgScriptAsync("start", Directory, Port.ToString());
        NpgsqlConnection.ClearAllPools();
    }

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
