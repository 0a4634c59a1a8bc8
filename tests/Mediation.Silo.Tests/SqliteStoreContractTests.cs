using Mediation.Silo.Schema;
using Mediation.Silo.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Xunit.Abstractions;

namespace Mediation.Silo.Tests;

/// <summary>
/// The embedded default's own grain storage and reminder table (the one-writer path that replaced the ADO.NET
/// providers on SQLite), held to the same contract the providers are held to in <see cref="SqliteSchemaContractTests"/>:
/// ETag-checked writes, read-back after deactivation and after a silo restart, clear, reminders that fire, range
/// reads of the ring, unregistering — driven through a real silo, as grains use them.
/// </summary>
public sealed class SqliteStoreContractTests(ITestOutputHelper output) : IDisposable
{
    private const string ServiceId = "mediation-sqlite-store-test";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mediation-store-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { _dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private IHost BuildSilo(string connectionString)
    {
        var siloPort = FreePort.Next();
        var gatewayPort = FreePort.Next();
        return new HostBuilder()
            .UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ServiceId, clusterId: "mediation-store");
                silo.Services.AddSingleton(_ => new SqliteWriter(connectionString, NullLogger.Instance));
                foreach (var name in new[] { "x", "xdel" })
                    silo.Services.AddGrainStorage(name, (sp, n) => new SqliteGrainStorage(n, sp.GetRequiredService<SqliteWriter>(),
                        sp.GetRequiredService<IGrainStorageSerializer>(), sp.GetRequiredService<IActivatorProvider>()));
                silo.AddReminders();
                silo.Services.AddSingleton<IReminderTable>(sp => new SqliteReminderTable(sp.GetRequiredService<SqliteWriter>(), ServiceId));
            })
            .ConfigureLogging(l => SchemaTestSupport.ConfigureTestLogging(l, output))
            .Build();
    }

    [Fact]
    public async Task Grain_state_and_reminders_through_the_one_writer_keep_the_storage_contract_across_a_restart()
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir.FullName, "mediation.db") }.ConnectionString;
        await SchemaInstaller.ApplySqliteAsync(cs);
        var guidKey = Guid.NewGuid();
        uint keptHash;

        using (var host = BuildSilo(cs))
        {
            await host.StartAsync();
            var grains = host.Services.GetRequiredService<IGrainFactory>();

            // Each write moves the ETag on; the state reads back after deactivation; clear removes it.
            var alpha = grains.GetGrain<ISchemaStringStateGrain>("alpha{0}'\"/"); // a key no string.Format may see
            Assert.Equal("1", await alpha.Set("one"));
            Assert.Equal("2", await alpha.Set("two"));
            await alpha.Deactivate();
            Assert.Equal("two", await alpha.Get());
            Assert.True(await alpha.RecordExists());
            Assert.Null(await alpha.Clear());
            Assert.False(await alpha.RecordExists());
            await alpha.Deactivate();
            Assert.Null(await alpha.Get());
            Assert.Equal("1", await alpha.Set("three"));

            var guidGrain = grains.GetGrain<ISchemaGuidStateGrain>(guidKey);
            Assert.Equal("1", await guidGrain.Set("kept"));

            // A reminder fires, is re-registered, and is gone once unregistered.
            var fired = grains.GetGrain<ISchemaReminderGrain>("store-rem-fire");
            await fired.Register("once", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
            Assert.True(await fired.Exists("once"));
            await SchemaTestSupport.WaitUntil(() => Task.FromResult(SchemaReminderGrain.TicksOf("store-rem-fire", "once").Count > 0),
                TimeSpan.FromSeconds(30), "the reminder's first tick");
            await fired.Unregister("once");
            Assert.False(await fired.Exists("once"));

            var kept = grains.GetGrain<ISchemaReminderGrain>("store-rem-kept");
            await kept.Register("kept", TimeSpan.FromHours(1), TimeSpan.FromHours(1));
            keptHash = kept.GetGrainId().GetUniformHashCode();

            // The ring's ranges (begin, end], plain and wrapped, exactly as the reminder service asks for them.
            var table = host.Services.GetRequiredService<IReminderTable>();
            var h = keptHash;
            (uint Begin, uint End)[] ranges = [(h - 1, h), (h, h + 1), (h + 5, h), (h, h - 1), (h, h), (h + 0x8000_0000u, h + 0x8000_0000u - 1)];
            foreach (var (begin, end) in ranges)
            {
                var found = (await table.ReadRows(begin, end)).Reminders.Any(r => r.ReminderName == "kept");
                Assert.True(SchemaTestSupport.RangeContains(begin, end, h) == found, $"range ({begin:X8}, {end:X8}] hash {h:X8}: found {found}");
            }
            var row = await table.ReadRow(kept.GetGrainId(), "kept");
            Assert.NotNull(row);
            Assert.Equal(TimeSpan.FromHours(1), row.Period);
            Assert.Equal(DateTimeKind.Utc, row.StartAt.Kind);
            Assert.InRange(row.StartAt, DateTime.UtcNow.AddMinutes(55), DateTime.UtcNow.AddMinutes(65));
            Assert.False(await table.RemoveRow(kept.GetGrainId(), "kept", "12345")); // wrong ETag: nothing removed
            Assert.Single((await table.ReadRows(kept.GetGrainId())).Reminders);

            await host.StopAsync();
        }

        using (var host = BuildSilo(cs))
        {
            await host.StartAsync();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            Assert.Equal("three", await grains.GetGrain<ISchemaStringStateGrain>("alpha{0}'\"/").Get());
            Assert.Equal("kept", await grains.GetGrain<ISchemaGuidStateGrain>(guidKey).Get());
            Assert.Equal("2", await grains.GetGrain<ISchemaGuidStateGrain>(guidKey).Set("again"));

            var kept = grains.GetGrain<ISchemaReminderGrain>("store-rem-kept");
            Assert.True(await kept.Exists("kept"));
            await kept.Unregister("kept");
            Assert.False(await kept.Exists("kept"));
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_write_from_a_stale_read_is_refused_and_changes_nothing()
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir.FullName, "etag.db") }.ConnectionString;
        await SchemaInstaller.ApplySqliteAsync(cs);
        await using var writer = new SqliteWriter(cs, NullLogger.Instance);
        using var host = BuildSilo(cs); // for the serializer and activators Orleans configures
        var storage = new SqliteGrainStorage("x", writer, host.Services.GetRequiredService<IGrainStorageSerializer>(), host.Services.GetRequiredService<IActivatorProvider>());
        var id = GrainId.Create("probe", "stale");

        var first = new GrainState<SchemaProbeState>(new SchemaProbeState { Text = "first" });
        await storage.WriteStateAsync("probe", id, first);
        var stale = new GrainState<SchemaProbeState>(new SchemaProbeState());
        await storage.ReadStateAsync("probe", id, stale);
        first.State!.Text = "second";
        await storage.WriteStateAsync("probe", id, first);

        stale.State!.Text = "lost update";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", id, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("probe", id, stale));
        // A fresh record under an id that exists is refused too.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", id, new GrainState<SchemaProbeState>(new SchemaProbeState())));

        var read = new GrainState<SchemaProbeState>(new SchemaProbeState());
        await storage.ReadStateAsync("probe", id, read);
        Assert.Equal("second", read.State!.Text);
        Assert.Equal("2", read.ETag);
    }
}
