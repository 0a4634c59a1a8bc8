using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace Mediation.Production.Tests;

/// <summary>PostgreSQL stops under a running service and comes back: clear 503s meanwhile, no half-written history.</summary>
[Collection(ProductionCollection.Name)]
public sealed class DatabaseOutageTests(PostgresServer server, ITestOutputHelper output)
{
    /// <summary>
    /// How long a request takes if anything on its path waits for a timeout instead of failing on the refused
    /// connection: the node's PostgreSQL connect and command timeouts are set to this, and it is Orleans' default
    /// response timeout. An answer "fails fast" when it comes in well under it; a third leaves room for a loaded machine.
    /// </summary>
    private static readonly TimeSpan WaitedOut = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FailsFast = WaitedOut / 3;

    [Fact]
    public async Task While_PostgreSql_is_down_requests_fail_fast_with_503_and_the_service_recovers_by_itself_without_half_writes()
    {
        var database = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("outage"))
        {
            Timeout = (int)WaitedOut.TotalSeconds,
            CommandTimeout = (int)WaitedOut.TotalSeconds,
        };
        var settings = new ProductionSettings(database.ConnectionString);
        var dataDirectory = Directory.CreateTempSubdirectory("mediation-outage-").FullName;
        await using var node = await ServiceProcess.StartApiAsync("co-hosted node",
            new Dictionary<string, string>(settings.Silo()) { ["MEDIATION_DATA_DIR"] = dataDirectory });

        var s = await Scenario.PaidOrderAsync(node.As);
        var disputeId = (await s.OpenDisputeAsync()).DisputeId;
        var acknowledged = new List<string>();
        var refused = new List<string>();
        async Task<HttpResponseMessage> SendAsync(HttpClient party, string text)
        {
            var response = await party.PostAsJsonAsync($"/api/disputes/{disputeId}/messages", new { text });
            (response.IsSuccessStatusCode ? acknowledged : refused).Add(text);
            return response;
        }
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(s.Merchant, $"before {i} (merchant)")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(s.Consumer, $"before {i} (consumer)")).StatusCode);
        }

        await server.StopAsync();
        try
        {
            // Writes to the history, reads of it, grain state writes: each answers quickly with a 503 problem.
            var during = new (string What, Func<Task<HttpResponseMessage>> Call)[]
            {
                ("a consumer message", () => SendAsync(s.Consumer, "during the outage 1")),
                ("a merchant message", () => SendAsync(s.Merchant, "during the outage 2")),
                ("the timeline", () => s.Consumer.GetAsync($"/api/disputes/{disputeId}/events?afterSeq=0")),
                ("a new order", () => s.Ops.PostAsJsonAsync("/api/orders", new Scenario
                {
                    OrderId = $"o-out-{Guid.NewGuid():N}"[..16], ConsumerId = s.ConsumerId, MerchantId = s.MerchantId,
                    Ops = s.Ops, Consumer = s.Consumer, Merchant = s.Merchant,
                }.OrderBody())),
                ("a third message", () => SendAsync(s.Consumer, "during the outage 3")),
            };
            var failures = new List<string>();
            foreach (var (what, call) in during)
            {
                var clock = Stopwatch.StartNew();
                HttpResponseMessage response;
                try
                {
                    response = await call().WaitAsync(WaitedOut + TimeSpan.FromSeconds(10));
                }
                catch (TimeoutException)
                {
                    failures.Add($"{what}: no answer within {(WaitedOut + TimeSpan.FromSeconds(10)).TotalSeconds} s (a hang)");
                    continue;
                }
                var body = await response.Content.ReadAsStringAsync();
                output.WriteLine($"outage: {what} -> {(int)response.StatusCode} in {clock.Elapsed.TotalSeconds:0.0} s: {body}");
                if (clock.Elapsed >= FailsFast)
                    failures.Add($"{what}: answered after {clock.Elapsed.TotalSeconds:0.0} s, not well under the {WaitedOut.TotalSeconds} s a timeout takes");
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    failures.Add($"{what}: {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}, expected 503 application/problem+json: {body}");
                else
                    Assert.Equal(503, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
            }
            Assert.True(failures.Count == 0, "during the PostgreSQL outage:\n" + string.Join("\n", failures) + "\nservice output:\n" + Tail(node.Output));
        }
        finally
        {
            await server.StartAgainAsync();
            NpgsqlConnection.ClearAllPools();
        }

        // The service recovers by itself: poll with fresh messages until one is accepted.
        var attempt = 0;
        await Poll.UntilAsync(async () => (await SendAsync(s.Consumer, $"after the outage, attempt {++attempt}")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30), "accepting messages again after PostgreSQL came back", () => Tail(node.Output));
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(s.Merchant, "after the outage (merchant)")).StatusCode);
        var order = await Scenario.PaidOrderAsync(node.As);
        await order.OpenDisputeAsync();

        // Nothing half-written: a gap-free timeline, every acknowledged message once, every refused one at most once.
        var timeline = await s.TimelineAsync(disputeId);
        Assert.Equal(Enumerable.Range(1, timeline.Count).Select(i => (long)i), timeline.Select(e => e.Seq));
        var texts = timeline.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Text!).ToList();
        Assert.All(acknowledged, text => Assert.Single(texts, text));
        Assert.All(refused, text => Assert.True(texts.Count(t => t == text) <= 1, $"'{text}' (refused) is stored {texts.Count(t => t == text)} times"));
        Assert.Equal(texts.Count, texts.Distinct().Count());
        var view = await s.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json);
        Assert.Equal(timeline[^1].Seq, view!.LastSeq);
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];
}
