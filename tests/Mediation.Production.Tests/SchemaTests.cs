using System.Net.Http.Json;
using Mediation.Silo.Schema;

namespace Mediation.Production.Tests;

/// <summary>The PostgreSQL schema: installed by the documented command, idempotent, and used by every provider.</summary>
[Collection(ProductionCollection.Name)]
public sealed class SchemaTests(PostgresServer server)
{
    [Fact]
    public async Task Applying_the_schema_twice_is_harmless_and_a_real_run_keeps_grain_state_reminders_and_membership_in_PostgreSql()
    {
        var settings = new ProductionSettings(await server.CreateDatabaseAsync("schema"));
        var cs = settings.ConnectionString;
        var scripts = SchemaInstaller.GetScripts("PostgreSql").Count;

        // The documented command, twice on an empty database.
        Assert.Contains("schema applied", await ServiceProcess.ApplySchemaAsync(settings.Silo()));
        Assert.Contains("schema applied", await ServiceProcess.ApplySchemaAsync(settings.Silo()));
        Assert.Equal(scripts, await PostgresServer.ScalarAsync<long>(cs, "SELECT count(*) FROM mediation_schema_versions"));

        // A real run: the co-hosted node (it applies the schema a third time at start).
        string disputeId, orderId;
        int siloPort;
        await using (var node = settings.CoHostedFactory())
        {
            node.StartServer();
            siloPort = node.SiloPort;
            var s = await Scenario.PaidOrderAsync(node.As);
            orderId = s.OrderId;
            disputeId = (await s.OpenDisputeAsync()).DisputeId;
            await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{disputeId}/messages", new { text = "stored in PostgreSQL" }));

            // Membership: this silo's row, active (3), under this cluster id.
            Assert.Equal(1L, await PostgresServer.ScalarAsync<long>(cs,
                "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = $1 AND port = $2 AND status = 3", settings.ClusterId, siloPort));
        }

        // Grain state of the order and the dispute, under this service id.
        foreach (var key in new[] { orderId, disputeId })
            Assert.Equal(1L, await PostgresServer.ScalarAsync<long>(cs,
                "SELECT count(*) FROM orleansstorage WHERE serviceid = $1 AND grainidextensionstring = $2 AND payloadbinary IS NOT NULL", settings.ServiceId, key));
        // The dispute's pending deadline is a reminder row.
        Assert.Equal(1L, await PostgresServer.ScalarAsync<long>(cs,
            "SELECT count(*) FROM orleansreminderstable WHERE serviceid = $1 AND grainid LIKE '%' || $2 AND remindername = 'deadline'", settings.ServiceId, disputeId));
        // The timeline: Opened and the message.
        Assert.Equal(2L, await PostgresServer.ScalarAsync<long>(cs, "SELECT count(*) FROM dispute_events WHERE dispute_id = $1", disputeId));

        // Applying once more, with data in every table, changes nothing.
        var rowsBefore = await AllRowCountsAsync(cs);
        await ServiceProcess.ApplySchemaAsync(settings.Silo());
        Assert.Equal(rowsBefore, await AllRowCountsAsync(cs));
        Assert.Equal(scripts, await PostgresServer.ScalarAsync<long>(cs, "SELECT count(*) FROM mediation_schema_versions"));
    }

    private static async Task<string> AllRowCountsAsync(string cs) => await PostgresServer.ScalarAsync<string>(cs,
        "SELECT concat_ws(',', (SELECT count(*) FROM orleansstorage), (SELECT count(*) FROM orleansreminderstable), " +
        "(SELECT count(*) FROM dispute_events), (SELECT count(*) FROM orleansquery), (SELECT count(*) FROM mediation_schema_versions))");
}
