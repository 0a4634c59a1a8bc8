using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using Mediation.Silo.Schema;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Mediation.Silo.Tests;

// Contract tests for the project's own SQL schema (src/Silo/Schema): each Orleans 10.4.2 ADO.NET provider
// (grain persistence, reminders, clustering) runs against the schema applied by SchemaInstaller.
//  * SQLite: one localhost silo on a temp file; state and reminders survive a restart.
//  * PostgreSQL: a throwaway server from scripts/pg.sh, two silos + an external client, membership cleanup.

// ---------------------------------------------------------------------------------------------
// Test grains (only used by these contract tests).
// ---------------------------------------------------------------------------------------------

[GenerateSerializer]
public sealed class SchemaProbeState
{
    [Id(0)] public string? Text { get; set; }
}

/// <summary>String key: the key ends up in GrainIdExtensionString. Uses storage "x" (clear keeps the row).</summary>
public interface ISchemaStringStateGrain : IGrainWithStringKey
{
    Task<string?> Set(string text);
    Task<string?> Get();
    Task<string?> Clear();
    Task<bool> RecordExists();
    Task Deactivate();
}

/// <summary>Guid key: GrainIdExtensionString is NULL. Uses storage "xdel" (DeleteStateOnClear = true).</summary>
public interface ISchemaGuidStateGrain : IGrainWithGuidKey
{
    Task<string?> Set(string text);
    Task<string?> Get();
    Task<string?> Clear();
    Task Deactivate();
}

public interface ISchemaReminderGrain : IGrainWithStringKey
{
    Task Register(string name, TimeSpan dueTime, TimeSpan period);
    Task<bool> Exists(string name);
    Task Unregister(string name);
}

public sealed class SchemaStringStateGrain(
    [PersistentState("probe", "x")] IPersistentState<SchemaProbeState> state) : Grain, ISchemaStringStateGrain
{
    public async Task<string?> Set(string text)
    {
        state.State.Text = text;
        await state.WriteStateAsync();
        return state.Etag;
    }

    public Task<string?> Get() => Task.FromResult(state.State.Text);

    public async Task<string?> Clear()
    {
        await state.ClearStateAsync();
        return state.Etag;
    }

    public Task<bool> RecordExists() => Task.FromResult(state.RecordExists);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public sealed class SchemaGuidStateGrain(
    [PersistentState("probe", "xdel")] IPersistentState<SchemaProbeState> state) : Grain, ISchemaGuidStateGrain
{
    public async Task<string?> Set(string text)
    {
        state.State.Text = text;
        await state.WriteStateAsync();
        return state.Etag;
    }

    public Task<string?> Get() => Task.FromResult(state.State.Text);

    public async Task<string?> Clear()
    {
        await state.ClearStateAsync();
        return state.Etag;
    }

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public sealed class SchemaReminderGrain : Grain, ISchemaReminderGrain, IRemindable
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<TickStatus>> Ticks = new();

    /// <summary>The ticks the grain's reminder received so far, in order.</summary>
    public static IReadOnlyList<TickStatus> TicksOf(string grainKey, string reminderName) =>
        Ticks.TryGetValue($"{grainKey}/{reminderName}", out var ticks) ? ticks.ToList() : [];

    public Task Register(string name, TimeSpan dueTime, TimeSpan period) =>
        this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task<bool> Exists(string name) => await this.GetReminder(name) is not null;

    public async Task Unregister(string name)
    {
        var reminder = await this.GetReminder(name);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.GetOrAdd($"{this.GetPrimaryKeyString()}/{reminderName}", _ => new()).Enqueue(status);
        return Task.CompletedTask;
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.
// ---------------------------------------------------------------------------------------------

internal static class SchemaTestSupport
{
    /// <summary>The persistence ("x", and "xdel" deleting rows on clear) and reminder providers run against the schema.</summary>
    public static void AddProvidersUnderTest(ISiloBuilder silo, string invariant, string connectionString)
    {
        silo.AddAdoNetGrainStorage("x", o => { o.Invariant = invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage("xdel", o => { o.Invariant = invariant; o.ConnectionString = connectionString; o.DeleteStateOnClear = true; });
        silo.UseAdoNetReminderService(o => { o.Invariant = invariant; o.ConnectionString = connectionString; });
    }

    public const string SqliteInvariant = "System.Data.SQLite";
    public const string PostgreSqlInvariant = "Npgsql";

    /// <summary>Query keys the clustering provider validates at start-up (DbStoredQueries of the 10.4.2 assembly).</summary>
    public static IReadOnlyList<string> ClusteringKeys() =>
        StoredQueryKeys(typeof(AdoNetClusteringSiloOptions).Assembly, "Orleans.Clustering.AdoNet.Storage.DbStoredQueries");

    /// <summary>Query keys the reminder provider validates at start-up.</summary>
    public static IReadOnlyList<string> ReminderKeys() =>
        StoredQueryKeys(typeof(AdoNetReminderTableOptions).Assembly, "Orleans.Reminders.AdoNet.Storage.DbStoredQueries");

    /// <summary>Query keys the grain storage provider selects at start-up (AdoNetGrainStorage.DefaultInitializationQuery).</summary>
    public static IReadOnlyList<string> PersistenceKeys()
    {
        var field = typeof(Orleans.Storage.AdoNetGrainStorage).GetField("DefaultInitializationQuery", BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException("AdoNetGrainStorage.DefaultInitializationQuery not found");
        var sql = (string)field.GetRawConstantValue()!;
        return Regex.Matches(sql, "'([A-Za-z0-9]+)'").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToList();
    }

    private static IReadOnlyList<string> StoredQueryKeys(Assembly assembly, string typeName)
    {
        var type = assembly.GetType(typeName, throwOnError: true)!;
        var keys = type.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic)
            .Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(keys);
        return keys;
    }

    public static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what}");
            }

            await Task.Delay(100); // poll interval
        }
    }

    public static bool RangeContains(uint begin, uint end, uint hash) =>
        begin == end || (begin < end ? hash > begin && hash <= end : hash > begin || hash <= end);

    public static void ConfigureTestLogging(ILoggingBuilder logging, ITestOutputHelper output)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Warning);
        logging.AddProvider(new XunitLoggerProvider(output));
    }

    private sealed class XunitLoggerProvider(ITestOutputHelper output) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new XunitLogger(output, categoryName);

        public void Dispose()
        {
        }

        private sealed class XunitLogger(ITestOutputHelper output, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                try
                {
                    output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
                }
                catch (InvalidOperationException)
                {
                    // the test already finished
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite: grain persistence + reminders on a single localhost silo.
// ---------------------------------------------------------------------------------------------

public sealed class SqliteSchemaContractTests(ITestOutputHelper output) : IDisposable
{
    private const string ServiceId = "mediation-sqlite-schema-test";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mediation-sqlite-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { _dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <param name="reminderClock">The reminder service's clock: reminders tick when the test moves it.</param>
    private IHost BuildSilo(string connectionString, TimeProvider reminderClock)
    {
        var siloPort = FreePort.Next();
        var gatewayPort = FreePort.Next();
        return new HostBuilder()
            .UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ServiceId, clusterId: "mediation-sqlite");
                SchemaTestSupport.AddProvidersUnderTest(silo, SchemaTestSupport.SqliteInvariant, connectionString);
                silo.Services.AddKeyedSingleton("Orleans.Reminders", reminderClock);
            })
            .ConfigureLogging(l => SchemaTestSupport.ConfigureTestLogging(l, output))
            .Build();
    }

    private static async Task<T> Scalar<T>(string connectionString, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var result = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(result!, typeof(T));
    }

    private static async Task<HashSet<string>> QueryKeys(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT QueryKey FROM OrleansQuery";
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    [Fact]
    public async Task Sqlite_schema_serves_AdoNet_persistence_and_reminders_across_restart()
    {
        var file = Path.Combine(_dir.FullName, "data", "mediation.db"); // "data" does not exist yet
        var cs = new SqliteConnectionStringBuilder { DataSource = file }.ConnectionString;

        // Applying twice is harmless.
        await SchemaInstaller.ApplySqliteAsync(cs);
        await SchemaInstaller.ApplySqliteAsync(cs);

        var versions = SchemaInstaller.GetScripts("Sqlite").Select(s => s.Version).ToList();
        Assert.Equal(["0001_orleans_persistence", "0002_orleans_reminders", "0003_mediation_events", "0004_mediation_store"], versions);
        Assert.Equal(versions.Count, await Scalar<long>(cs, "SELECT COUNT(*) FROM mediation_schema_versions"));
        Assert.Equal("wal", await Scalar<string>(cs, "PRAGMA journal_mode"));

        var keys = await QueryKeys(cs);
        output.WriteLine("SQLite persistence keys required: " + string.Join(",", SchemaTestSupport.PersistenceKeys()));
        output.WriteLine("SQLite reminder keys required:    " + string.Join(",", SchemaTestSupport.ReminderKeys()));
        Assert.Empty(SchemaTestSupport.PersistenceKeys().Except(keys));
        Assert.Empty(SchemaTestSupport.ReminderKeys().Except(keys));

        // Project table.
        await using (var connection = new SqliteConnection(cs))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO dispute_events (dispute_id, seq, payload) VALUES ('d-1', 1, '{\"type\":\"opened\"}')";
            await insert.ExecuteNonQueryAsync();
            await Assert.ThrowsAsync<SqliteException>(() => insert.ExecuteNonQueryAsync()); // (dispute_id, seq) is unique
        }

        Assert.NotEmpty(await Scalar<string>(cs, "SELECT created_at FROM dispute_events WHERE dispute_id = 'd-1'"));

        var guidKey = Guid.NewGuid();
        uint keptReminderHash;

        // ---- first silo ----
        // Whole seconds: the reminder table keeps times to the millisecond.
        var reminderClock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        using (var host = BuildSilo(cs, reminderClock))
        {
            await host.StartAsync();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var table = host.Services.GetRequiredService<IReminderTable>();

            // Grain storage "x": write, re-read after deactivation, clear (row kept, payload NULL), write again.
            var alpha = grains.GetGrain<ISchemaStringStateGrain>("alpha");
            Assert.Equal("1", await alpha.Set("one"));
            Assert.Equal("2", await alpha.Set("two"));
            await alpha.Deactivate();
            Assert.Equal("two", await alpha.Get());
            Assert.Equal("3", await alpha.Clear());
            Assert.False(await alpha.RecordExists());
            Assert.Null(await alpha.Get());
            Assert.Equal(1L, await Scalar<long>(cs,
                "SELECT COUNT(*) FROM OrleansStorage WHERE GrainIdExtensionString = 'alpha' AND PayloadBinary IS NULL AND Version = 3"));
            await alpha.Deactivate();
            Assert.Null(await alpha.Get());
            Assert.Equal("4", await alpha.Set("three"));

            // Grain storage "xdel": NULL extension string, clear deletes the row.
            var guidGrain = grains.GetGrain<ISchemaGuidStateGrain>(guidKey);
            Assert.Equal("1", await guidGrain.Set("first"));
            Assert.Equal(1L, await Scalar<long>(cs, "SELECT COUNT(*) FROM OrleansStorage WHERE GrainIdExtensionString IS NULL"));
            Assert.Null(await guidGrain.Clear());
            Assert.Equal(0L, await Scalar<long>(cs, "SELECT COUNT(*) FROM OrleansStorage WHERE GrainIdExtensionString IS NULL"));
            Assert.Equal("1", await guidGrain.Set("kept"));
            Assert.Equal("2", await guidGrain.Set("kept"));
            Assert.Equal(1L, await Scalar<long>(cs, "SELECT COUNT(*) FROM OrleansStorage WHERE GrainIdExtensionString IS NULL AND typeof(PayloadBinary) = 'blob'"));

            // Reminder: its row reads back exactly, it ticks on the schedule the row holds, and not after unregistering.
            var fired = grains.GetGrain<ISchemaReminderGrain>("rem-fire");
            var registeredAt = reminderClock.GetUtcNow().UtcDateTime;
            var period = TimeSpan.FromMinutes(10);
            await fired.Register("once", TimeSpan.FromMinutes(1), period);
            Assert.True(await fired.Exists("once"));
            Assert.Equal(1L, await Scalar<long>(cs,
                "SELECT COUNT(*) FROM OrleansRemindersTable WHERE ServiceId = $s AND ReminderName = 'once' AND Period = 600000", ("$s", ServiceId)));
            var once = await table.ReadRow(fired.GetGrainId(), "once");
            Assert.NotNull(once);
            Assert.Equal(registeredAt.AddMinutes(1), once.StartAt);
            Assert.Equal(DateTimeKind.Utc, once.StartAt.Kind);
            Assert.Equal(period, once.Period);
            Assert.Empty(SchemaReminderGrain.TicksOf("rem-fire", "once"));

            reminderClock.Advance(TimeSpan.FromMinutes(1)); // due
            await SchemaTestSupport.WaitUntil(() => Task.FromResult(SchemaReminderGrain.TicksOf("rem-fire", "once").Count >= 1),
                TimeSpan.FromSeconds(30), "the first tick, at the due time");
            reminderClock.Advance(period);
            await SchemaTestSupport.WaitUntil(() => Task.FromResult(SchemaReminderGrain.TicksOf("rem-fire", "once").Count >= 2),
                TimeSpan.FromSeconds(30), "the second tick, one period later");
            var ticks = SchemaReminderGrain.TicksOf("rem-fire", "once");
            Assert.Equal(2, ticks.Count);
            Assert.All(ticks, t => Assert.Equal((once.StartAt, period), (t.FirstTickTime, t.Period)));
            Assert.Equal([once.StartAt, once.StartAt + period], ticks.Select(t => t.CurrentTickTime));

            await fired.Register("once", TimeSpan.FromMinutes(5), period); // upsert bumps Version
            Assert.Equal(1L, await Scalar<long>(cs, "SELECT Version FROM OrleansRemindersTable WHERE ReminderName = 'once'"));
            await fired.Unregister("once");
            Assert.False(await fired.Exists("once"));
            Assert.Equal(0L, await Scalar<long>(cs, "SELECT COUNT(*) FROM OrleansRemindersTable WHERE ReminderName = 'once'"));
            // A control reminder of the same grain, due a minute after "once" would have ticked again, does tick.
            await fired.Register("control", TimeSpan.FromMinutes(6), period);
            reminderClock.Advance(TimeSpan.FromMinutes(5)); // when the unregistered "once" would have ticked
            reminderClock.Advance(TimeSpan.FromMinutes(1));
            await SchemaTestSupport.WaitUntil(() => Task.FromResult(SchemaReminderGrain.TicksOf("rem-fire", "control").Count >= 1),
                TimeSpan.FromSeconds(30), "the control reminder's tick");
            Assert.Equal(2, SchemaReminderGrain.TicksOf("rem-fire", "once").Count);
            await fired.Unregister("control");

            // Reminder that must survive the restart (due far in the future).
            var kept = grains.GetGrain<ISchemaReminderGrain>("rem-kept");
            var keptAt = reminderClock.GetUtcNow().UtcDateTime;
            await kept.Register("kept", TimeSpan.FromHours(1), TimeSpan.FromHours(1));
            keptReminderHash = kept.GetGrainId().GetUniformHashCode();

            // Range reads straight against the provider: both query shapes, inside and outside the range.
            var h = keptReminderHash;
            (uint Begin, uint End)[] ranges =
            [
                (h - 1, h),          // ReadRangeRows1Key, contains h (unless it straddles int.MaxValue)
                (h, h + 1),          // ReadRangeRows1Key, excludes h
                (h + 5, h),          // wrapped: ReadRangeRows2Key, contains h
                (h, h - 1),          // wrapped: ReadRangeRows2Key, everything but h
                (h, h),              // whole ring
                (h + 0x8000_0000u, h + 0x8000_0000u - 1), // wrapped again, shifted half a ring: everything but h + 2^31
            ];
            foreach (var (begin, end) in ranges)
            {
                var data = await table.ReadRows(begin, end);
                var found = data.Reminders.Any(r => r.ReminderName == "kept");
                Assert.True(SchemaTestSupport.RangeContains(begin, end, h) == found,
                    $"range ({begin:X8}, {end:X8}] hash {h:X8}: expected {SchemaTestSupport.RangeContains(begin, end, h)}, got {found}");
            }

            var row = await table.ReadRow(kept.GetGrainId(), "kept");
            Assert.NotNull(row);
            Assert.Equal(TimeSpan.FromHours(1), row.Period);
            Assert.Equal(DateTimeKind.Utc, row.StartAt.Kind);
            Assert.Equal(keptAt.AddHours(1), row.StartAt); // now + due time, UTC round-trip
            Assert.Single((await table.ReadRows(kept.GetGrainId())).Reminders);
            Assert.False(await table.RemoveRow(kept.GetGrainId(), "kept", "12345")); // wrong etag -> 0 rows

            await host.StopAsync();
        }

        // Applying again while data exists is still harmless.
        await SchemaInstaller.ApplySqliteAsync(cs);

        // ---- restart on the same file ----
        using (var host = BuildSilo(cs, reminderClock))
        {
            await host.StartAsync();
            var grains = host.Services.GetRequiredService<IGrainFactory>();

            Assert.Equal("three", await grains.GetGrain<ISchemaStringStateGrain>("alpha").Get());
            Assert.Equal("kept", await grains.GetGrain<ISchemaGuidStateGrain>(guidKey).Get());
            Assert.Equal("5", await grains.GetGrain<ISchemaStringStateGrain>("alpha").Set("four"));

            var kept = grains.GetGrain<ISchemaReminderGrain>("rem-kept");
            Assert.Equal(keptReminderHash, kept.GetGrainId().GetUniformHashCode());
            Assert.True(await kept.Exists("kept"));
            await kept.Unregister("kept");
            Assert.False(await kept.Exists("kept"));
            Assert.Equal(0L, await Scalar<long>(cs, "SELECT COUNT(*) FROM OrleansRemindersTable"));

            await host.StopAsync();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: clustering + grain persistence + reminders on a 2-silo cluster.
// ---------------------------------------------------------------------------------------------

public sealed class PostgreSqlSchemaContractTests(PostgresServer server, ITestOutputHelper output)
    : IClassFixture<PostgresServer>
{
    private const string ServiceId = "mediation-pg-schema-test";

    private IHost BuildSilo(string clusterId, string name)
    {
        var cs = server.ConnectionString;
        var siloPort = FreePort.Next();
        var gatewayPort = FreePort.Next();
        return new HostBuilder()
            .UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = ServiceId;
                });
                silo.Configure<SiloOptions>(o => o.SiloName = name);
                silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = SchemaTestSupport.PostgreSqlInvariant;
                    o.ConnectionString = cs;
                });
                SchemaTestSupport.AddProvidersUnderTest(silo, SchemaTestSupport.PostgreSqlInvariant, cs);
            })
            .ConfigureLogging(l => SchemaTestSupport.ConfigureTestLogging(l, output))
            .Build();
    }

    /// <summary>Runs a scalar query; <paramref name="p"/> is bound to @p when given.</summary>
    private async Task<long> Count(string sql, string? p = null)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (p is not null)
        {
            command.Parameters.AddWithValue("p", p);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task PostgreSql_schema_serves_AdoNet_clustering_persistence_and_reminders_on_two_silos()
    {
        var cs = server.ConnectionString;

        // Several silos installing at once, then once more: each script applied exactly once.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SchemaInstaller.ApplyPostgreSqlAsync(cs)));
        await SchemaInstaller.ApplyPostgreSqlAsync(cs);

        var versions = SchemaInstaller.GetScripts("PostgreSql").Select(s => s.Version).ToList();
        Assert.Equal(
            ["0001_orleans_main", "0002_orleans_clustering", "0003_orleans_persistence", "0004_orleans_reminders", "0005_mediation_events", "0006_mediation_summaries", "0007_mediation_evidence"],
            versions);
        Assert.Equal(versions.Count, await Count("SELECT count(*) FROM mediation_schema_versions"));

        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using (var connection = new NpgsqlConnection(cs))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        output.WriteLine("PostgreSQL clustering keys required: " + string.Join(",", SchemaTestSupport.ClusteringKeys()));
        Assert.Empty(SchemaTestSupport.ClusteringKeys().Except(keys));
        Assert.Empty(SchemaTestSupport.PersistenceKeys().Except(keys));
        Assert.Empty(SchemaTestSupport.ReminderKeys().Except(keys));
        Assert.Contains("CleanupDefunctSiloEntriesKey", keys);

        // Project table.
        await using (var connection = new NpgsqlConnection(cs))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO dispute_events (dispute_id, seq, payload) VALUES ('d-1', 1, '{\"type\":\"opened\"}')", connection);
            await insert.ExecuteNonQueryAsync();
            await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        }

        var clusterId = "pg-" + Guid.NewGuid().ToString("N")[..12];
        using var silo1 = BuildSilo(clusterId, "silo-1");
        using var silo2 = BuildSilo(clusterId, "silo-2");
        await silo1.StartAsync();
        await silo2.StartAsync();

        const string activeRows = "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p AND Status = 3";
        await SchemaTestSupport.WaitUntil(async () => await Count(activeRows, clusterId) == 2, TimeSpan.FromSeconds(30), "two active silos");
        var management = silo1.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        await SchemaTestSupport.WaitUntil(async () => (await management.GetHosts(onlyActive: true)).Count == 2, TimeSpan.FromSeconds(30), "silo-1 sees two active silos");

        // An external client finds the gateways through GatewaysQueryKey.
        using (var client = new HostBuilder()
            .UseOrleansClient(c =>
            {
                c.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = ServiceId;
                });
                c.UseAdoNetClustering(o =>
                {
                    o.Invariant = SchemaTestSupport.PostgreSqlInvariant;
                    o.ConnectionString = cs;
                });
            })
            .ConfigureLogging(l => SchemaTestSupport.ConfigureTestLogging(l, output))
            .Build())
        {
            await client.StartAsync();
            var viaClient = client.Services.GetRequiredService<IClusterClient>().GetGrain<ISchemaStringStateGrain>("from-client");
            Assert.Equal("1", await viaClient.Set("hello"));
            await client.StopAsync();
        }

        // Grain state through both silos.
        var grains1 = silo1.Services.GetRequiredService<IGrainFactory>();
        var grains2 = silo2.Services.GetRequiredService<IGrainFactory>();
        for (var i = 0; i < 6; i++)
        {
            var grain = (i % 2 == 0 ? grains1 : grains2).GetGrain<ISchemaStringStateGrain>($"pg-{i}");
            Assert.Equal("1", await grain.Set($"v{i}"));
            Assert.Equal("2", await grain.Set($"w{i}"));
        }

        var alpha = grains2.GetGrain<ISchemaStringStateGrain>("pg-0");
        await alpha.Deactivate();
        Assert.Equal("w0", await alpha.Get());
        Assert.Equal("3", await alpha.Clear());
        Assert.Equal("4", await alpha.Set("again"));

        var guidGrain = grains1.GetGrain<ISchemaGuidStateGrain>(Guid.NewGuid());
        Assert.Equal("1", await guidGrain.Set("g"));
        Assert.Null(await guidGrain.Clear());
        Assert.Equal("1", await guidGrain.Set("g2"));
        await guidGrain.Deactivate();
        Assert.Equal("g2", await guidGrain.Get());

        Assert.Equal(8L, await Count("SELECT count(*) FROM OrleansStorage WHERE ServiceId = @p AND PayloadBinary IS NOT NULL", ServiceId));
        Assert.Equal(1L, await Count("SELECT count(*) FROM OrleansStorage WHERE ServiceId = @p AND GrainIdExtensionString IS NULL", ServiceId));

        // Reminders through both silos.
        for (var i = 0; i < 4; i++)
        {
            var grain = (i % 2 == 0 ? grains1 : grains2).GetGrain<ISchemaReminderGrain>($"pg-rem-{i}");
            await grain.Register("r", TimeSpan.FromHours(1), TimeSpan.FromHours(1));
            Assert.True(await grain.Exists("r"));
        }

        Assert.Equal(4L, await Count("SELECT count(*) FROM OrleansRemindersTable WHERE ServiceId = @p", ServiceId));
        var reminderTable = silo1.Services.GetRequiredService<IReminderTable>();
        Assert.Equal(4, (await reminderTable.ReadRows(0u, 0u)).Reminders.Count);
        var someHash = grains1.GetGrain<ISchemaReminderGrain>("pg-rem-0").GetGrainId().GetUniformHashCode();
        Assert.Single((await reminderTable.ReadRows(someHash - 1, someHash)).Reminders, r => r.GrainId.ToString().EndsWith("pg-rem-0", StringComparison.Ordinal));
        Assert.DoesNotContain((await reminderTable.ReadRows(someHash, someHash - 1)).Reminders, r => r.GrainId.ToString().EndsWith("pg-rem-0", StringComparison.Ordinal));
        await grains2.GetGrain<ISchemaReminderGrain>("pg-rem-3").Unregister("r");
        Assert.Equal(3L, await Count("SELECT count(*) FROM OrleansRemindersTable WHERE ServiceId = @p", ServiceId));

        // Membership rows landed and carry sane values.
        Assert.Equal(2L, await Count("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p AND StartTime > now() - interval '10 minutes' AND IAmAliveTime <= now() + interval '1 minute'", clusterId));
        Assert.Equal(1L, await Count("SELECT count(*) FROM OrleansMembershipVersionTable WHERE DeploymentId = @p AND Version >= 2", clusterId));

        // Stop silo-2: its row turns Dead (6); then the clustering provider's cleanup removes it.
        await silo2.StopAsync();
        await SchemaTestSupport.WaitUntil(
            async () => await Count("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p AND Status = 6", clusterId) == 1,
            TimeSpan.FromSeconds(30), "silo-2 marked dead");

        var membership = silo1.Services.GetRequiredService<IMembershipTable>();
        await membership.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(-10), CancellationToken.None); // too old a cut-off: nothing removed
        Assert.Equal(2L, await Count("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p", clusterId));
        await membership.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);
        Assert.Equal(1L, await Count("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p", clusterId));
        Assert.Equal(1L, await Count(activeRows, clusterId));
        var snapshot = await membership.ReadAllAsync(CancellationToken.None);
        Assert.Single(snapshot.Members);
        Assert.Equal(SiloStatus.Active, snapshot.Members[0].Item1.Status);

        // The surviving silo still serves state and reminders.
        Assert.Equal("again", await grains1.GetGrain<ISchemaStringStateGrain>("pg-0").Get());
        Assert.True(await grains1.GetGrain<ISchemaReminderGrain>("pg-rem-1").Exists("r"));

        await silo1.StopAsync();
    }
}
