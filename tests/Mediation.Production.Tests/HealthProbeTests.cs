using System.Net;
using System.Text.Json;

namespace Mediation.Production.Tests;

/// <summary>The probes Kubernetes asks (k8s/), answered by production-mode processes on PostgreSQL.</summary>
[Collection(ProductionCollection.Name)]
public sealed class HealthProbeTests(PostgresServer server)
{
    [Fact]
    public async Task Ready_reports_the_database_unhealthy_while_PostgreSQL_is_down_and_healthy_again_when_it_is_back()
    {
        var settings = new ProductionSettings(await server.CreateDatabaseAsync("health"));
        await using var node = settings.CoHostedFactory();
        using var client = node.CreateClient();
        var (status, ready) = await GetAsync(client, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", Check(ready, "database").GetProperty("status").GetString());

        await server.StopAsync();
        try
        {
            (status, ready) = await GetAsync(client, "/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", ready.GetProperty("status").GetString());
            Assert.Equal("PostgreSql does not answer", Check(ready, "database").GetProperty("description").GetString());
            // The body names the failing check, never the connection: no host, port or user of the database.
            Assert.DoesNotContain("127.0.0.1", ready.GetRawText());
            Assert.DoesNotContain(server.Port.ToString(), ready.GetRawText());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await server.StartAgainAsync();
        }
        await Poll.UntilAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "ready again once PostgreSQL is back");
    }

    [Fact]
    public async Task A_standalone_silo_answers_its_probes_on_its_health_port_and_is_ready_once_active()
    {
        var settings = new ProductionSettings(await server.CreateDatabaseAsync("silohealth"));
        await using var silo = await ServiceProcess.StartSiloAsync("silo", settings.Silo());
        using var client = new HttpClient { BaseAddress = silo.HealthAddress, Timeout = TimeSpan.FromSeconds(10) };

        var (liveStatus, live) = await GetAsync(client, "/health/live");
        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.Equal(["process"], live.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        JsonElement ready = default;
        await Poll.UntilAsync(async () =>
        {
            HttpStatusCode status;
            (status, ready) = await GetAsync(client, "/health/ready");
            return status == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30), "the silo ready", () => silo.Output);
        var membership = Check(ready, "silo");
        Assert.Equal("Active", membership.GetProperty("data").GetProperty("status").GetString());
        Assert.Equal(1, membership.GetProperty("data").GetProperty("activeSilos").GetInt32());
        Assert.Equal("Healthy", Check(ready, "database").GetProperty("status").GetString());

        // SIGTERM, as Kubernetes stops a pod: the silo leaves gracefully.
        await silo.TerminateAsync();
    }

    private static async Task<(HttpStatusCode, JsonElement)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static JsonElement Check(JsonElement report, string name) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
