using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mediation.Production.Tests;

/// <summary>Every process of the cluster stops, and a new set starts on the same PostgreSQL database.</summary>
[Collection(ProductionCollection.Name)]
public sealed class ClusterRestartTests(PostgresServer server)
{
    [Fact]
    public async Task After_a_whole_cluster_restart_all_state_is_there_and_a_pending_first_response_deadline_fires()
    {
        var settings = new ProductionSettings(await server.CreateDatabaseAsync("restart"));
        // The warning (20 s before the 60 s deadline) and the deadline both fall after the restart, so the timeline is
        // quiet until the second snapshot; the restart has 40 s for that however loaded the machine, and it is checked.
        var warningBefore = TimeSpan.FromSeconds(20);
        settings.Extra["Mediation__Deadlines__FirstResponse"] = "00:01:00";
        settings.Extra["Mediation__Deadlines__FirstResponseWarning"] = warningBefore.ToString();

        Scenario silent, talking;
        string silentId, talkingId;
        Snapshot before;
        DateTimeOffset respondBy;
        await using (var silo = await ServiceProcess.StartSiloAsync("silo", settings.Silo()))
        await using (var api = await ServiceProcess.StartApiAsync("api", settings.ClientApi()))
        {
            // One dispute whose merchant never answers, one in negotiation with an open counter-offer.
            silent = await Scenario.PaidOrderAsync(api.As);
            var opened = await silent.OpenDisputeAsync();
            (silentId, respondBy) = (opened.DisputeId, opened.Deadlines.MerchantRespondBy!.Value);
            await Scenario.EventAsync(await silent.Consumer.PostAsJsonAsync($"/api/disputes/{silentId}/messages", new { text = "Hello?" }));

            talking = await Scenario.PaidOrderAsync(api.As);
            talkingId = (await talking.OpenDisputeAsync()).DisputeId;
            await Scenario.EventAsync(await talking.Merchant.PostAsJsonAsync($"/api/disputes/{talkingId}/messages", new { text = "Sorry, photos?" }));
            await Scenario.EventAsync(await talking.Consumer.PostAsJsonAsync($"/api/disputes/{talkingId}/messages", new { text = "Attached." }));
            await Scenario.EventAsync(await talking.Merchant.PostAsJsonAsync($"/api/disputes/{talkingId}/offers", new { remedy = "PartialRefund", amount = 60 }));

            before = await Snapshot.TakeAsync(silent, silentId, talking, talkingId);
            await api.TerminateAsync();
            await silo.TerminateAsync();
        }
        Assert.True(DateTimeOffset.UtcNow < respondBy, "the deadline passed before the restart; the test proves nothing");

        await using var silo2 = await ServiceProcess.StartSiloAsync("silo (restarted)", settings.Silo());
        await using var api2 = await ServiceProcess.StartApiAsync("api (restarted)", settings.ClientApi());
        silent = silent.On(api2);
        talking = talking.On(api2);

        // Orders, disputes (state, deadlines, open offer, read marks) and timelines: exactly as before.
        var after = await Snapshot.TakeAsync(silent, silentId, talking, talkingId);
        Assert.True(DateTimeOffset.UtcNow < respondBy - warningBefore, "the warning fell due before the snapshot after the restart; the comparison proves nothing");
        var changed = before.Lines.Zip(after.Lines).Where(p => p.First != p.Second).ToList();
        Assert.True(changed.Count(p => !p.First.IsPartyList) == 0,
            "changed by the restart:\n" + string.Join("\n", changed.Where(p => !p.First.IsPartyList).Select(p => $"before: {p.First}\nafter:  {p.Second}")));

        // The pending first-response deadline fires in the new cluster, once.
        await Poll.UntilAsync(async () => (await silent.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{silentId}", Scenario.Json))!.State == DisputeState.Escalated,
            respondBy - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30), "escalated by the first-response deadline", () => silo2.Output);
        var escalation = (await silent.TimelineAsync(silentId)).Where(e => e.State == DisputeState.Escalated).ToList();
        Assert.Equal("system", Assert.Single(escalation).AuthorId);

        // The negotiation goes on where it stopped: the open offer can be accepted.
        var offerSeq = (await talking.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{talkingId}", Scenario.Json))!.OpenOffer!.Seq;
        var accepted = await talking.Consumer.PostAsync($"/api/disputes/{talkingId}/offers/{offerSeq}/accept", null);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);

        // The parties' lists too: each line is committed with its dispute's events, so a restart changes none of them.
        Assert.True(changed.Count == 0,
            "a party's dispute list changed across the restart:\n" +
            string.Join("\n", changed.Select(p => $"before: {p.First}\nafter:  {p.Second}")));
    }

    private sealed record Line(string Request, string Json)
    {
        public bool IsPartyList => Request.Contains("/api/merchants/") || Request.Contains("/api/consumers/");
        public override string ToString() => $"{Request}: {Json}";
    }

    /// <summary>Everything a client can read about the two disputes and their orders, as JSON.</summary>
    private sealed record Snapshot(List<Line> Lines)
    {
        public static async Task<Snapshot> TakeAsync(Scenario silent, string silentId, Scenario talking, string talkingId)
        {
            var lines = new List<Line>();
            foreach (var (s, id) in new[] { (silent, silentId), (talking, talkingId) })
            {
                foreach (var (client, who, path) in new[]
                {
                    (s.Consumer, "consumer", $"/api/orders/{s.OrderId}"),
                    (s.Consumer, "consumer", $"/api/disputes/{id}"),
                    (s.Merchant, "merchant", $"/api/disputes/{id}"),
                    (s.Consumer, "consumer", $"/api/disputes/{id}/events?afterSeq=0"),
                    (s.Merchant, "merchant", $"/api/merchants/{s.MerchantId}/disputes"),
                    (s.Consumer, "consumer", $"/api/consumers/{s.ConsumerId}/disputes"),
                })
                    lines.Add(new Line($"{who} GET {path}", Normalized(await client.GetStringAsync(path))));
            }
            return new Snapshot(lines);
        }

        /// <summary>
        /// Numbers compared by value: a decimal read back from grain storage may carry a different scale (199 is
        /// written as 199.0 after the restart), the same amount.
        /// </summary>
        private static string Normalized(string json)
        {
            var node = JsonNode.Parse(json)!;
            NormalizeNumbers(node);
            return node.ToJsonString();
        }

        private static void NormalizeNumbers(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, child) in o.ToList())
                        if (child is JsonValue v && v.GetValueKind() == JsonValueKind.Number) o[key] = v.GetValue<decimal>() / 1.000000000000000000000m;
                        else NormalizeNumbers(child);
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                        if (a[i] is JsonValue v && v.GetValueKind() == JsonValueKind.Number) a[i] = v.GetValue<decimal>() / 1.000000000000000000000m;
                        else NormalizeNumbers(a[i]);
                    break;
            }
        }
    }
}

internal static class ScenarioExtensions
{
    /// <summary>The same parties, talking to another API node.</summary>
    public static Scenario On(this Scenario s, ServiceProcess api) => new()
    {
        OrderId = s.OrderId, ConsumerId = s.ConsumerId, MerchantId = s.MerchantId,
        Ops = api.As("platform", "ops"), Consumer = api.As(s.ConsumerId, "consumer"), Merchant = api.As(s.MerchantId, "merchant"),
    };
}
