using System.Collections.Concurrent;
using Mediation.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Mediation.Production.Tests;

/// <summary>Three in-process silos on PostgreSQL; one is killed (no graceful stop) while parties negotiate.</summary>
[Collection(ProductionCollection.Name)]
public sealed class SiloKillTests(PostgresServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Talking = 30;
    private const int Silent = 20;
    private const int MessagesPerDispute = 12;
    private static readonly TimeSpan FirstResponse = TimeSpan.FromSeconds(30);

    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("kill");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mediation:Deadlines:FirstResponse"] = FirstResponse.ToString(),
        }).Build();
        var options = new MediationSiloOptions { Storage = StorageKind.PostgreSql, PostgresConnectionString = connectionString };
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMediation(options, configuration);
            // A killed silo is declared dead within seconds rather than the production default.
            silo.Configure<ClusterMembershipOptions>(o => { o.ProbeTimeout = TimeSpan.FromSeconds(1); o.NumMissedProbesLimit = 2; });
        });
        builder.ConfigureClient(client => client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15)));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Killing_a_silo_mid_negotiation_loses_no_acknowledged_message_and_every_pending_deadline_still_fires()
    {
        var grains = _cluster.Client;
        var disputes = new List<Negotiation>();
        for (var i = 0; i < Talking + Silent; i += 10)
            disputes.AddRange(await Task.WhenAll(Enumerable.Range(i, 10).Select(n => Negotiation.OpenAsync(grains, n, silent: n >= Talking))));
        var openedBy = DateTimeOffset.UtcNow;

        // The merchants of the talking disputes answer, so only the silent ones keep a first-response deadline.
        await Task.WhenAll(disputes.Where(d => !d.Silent).Select(d => d.SendAsync(d.Merchant, "merchant: hello")));
        Assert.All(disputes.Where(d => !d.Silent), d => Assert.Single(d.Acknowledged));

        // The victim hosts some of the disputes, so the kill takes live activations with it.
        var firstHosts = disputes.ToDictionary(d => d.Id, d => HostOf(d.Grain));
        var hosts = disputes.GroupBy(d => firstHosts[d.Id]).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("disputes per silo: " + string.Join(", ", hosts.Select(h => $"{h.Key}: {h.Value}")));
        var victim = _cluster.Silos.Where(s => hosts.ContainsKey(s.SiloAddress)).OrderByDescending(s => hosts[s.SiloAddress]).First();
        Assert.True(hosts.Count >= 2, "the disputes were not spread over the silos");

        // Messages flow in all disputes at once; the kill lands in the middle.
        var flowing = disputes.Select(d => d.ChatAsync(MessagesPerDispute)).ToList();
        await Poll.UntilAsync(() => Task.FromResult(disputes.Sum(d => d.Acknowledged.Count) >= disputes.Count * MessagesPerDispute / 3),
            TimeSpan.FromSeconds(60), "a third of the messages acknowledged");
        await _cluster.KillSiloAsync(victim);
        output.WriteLine($"killed {victim.SiloAddress} at {DateTimeOffset.UtcNow:HH:mm:ss.fff} (opened by {openedBy:HH:mm:ss.fff}) after {disputes.Sum(d => d.Acknowledged.Count)} acknowledged messages");
        await Task.WhenAll(flowing);
        var failed = disputes.SelectMany(d => d.Failed).ToList();
        output.WriteLine($"{disputes.Sum(d => d.Acknowledged.Count)} acknowledged, {failed.Count} failed: " +
                         string.Join("; ", failed.GroupBy(f => f.Error.GetType().Name).Select(g => $"{g.Count()} × {g.Key}")));

        // Only calls caught by the kill fail: few of them, each with an error that says the call may be retried.
        var sent = disputes.Count * MessagesPerDispute;
        Assert.True(failed.Count * 10 < sent, $"{failed.Count} of {sent} sends failed (the bound is 10%): " + Describe(failed));
        var unclear = failed.Where(f => !IsRetryable(f.Error)).ToList();
        Assert.True(unclear.Count == 0, "failed with an error that is not a retryable one: " + Describe(unclear));

        // Once the cluster has declared the victim dead, every dispute takes a message at the first attempt.
        var management = grains.GetGrain<IManagementGrain>(0);
        await Poll.UntilAsync(async () => !(await management.GetHosts(onlyActive: true)).ContainsKey(victim.SiloAddress),
            TimeSpan.FromSeconds(60), "the killed silo declared dead");
        var failedBefore = disputes.ToDictionary(d => d.Id, d => d.Failed.Count);
        await Task.WhenAll(disputes.Select(d => d.SendAsync(d.Consumer, "consumer: after the kill")));
        var failedAfter = disputes.SelectMany(d => d.Failed.Skip(failedBefore[d.Id])).ToList();
        Assert.True(failedAfter.Count == 0, "sends after the cluster settled failed: " + Describe(failedAfter));

        // Every dispute answers again, and its history holds each acknowledged message exactly once, without gaps.
        foreach (var d in disputes)
        {
            var view = await d.Grain.GetAsync(d.Consumer);
            var history = await d.Grain.GetEventsAsync(d.Consumer, 0, 1000);
            Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(e => e.Seq));
            Assert.Equal(view.LastSeq, history[^1].Seq);
            var texts = history.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Text!).ToList();
            foreach (var text in d.Acknowledged)
                Assert.True(texts.Count(t => t == text) == 1, $"{d.Id}: acknowledged '{text}' is stored {texts.Count(t => t == text)} times");
            var duplicates = texts.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, $"{d.Id}: stored more than once: {string.Join(", ", duplicates)}");
        }

        // Every silent merchant's deadline fires by itself, wherever its reminder lived; the talking ones do not escalate.
        await Poll.UntilAsync(async () =>
        {
            var states = await Task.WhenAll(disputes.Where(d => d.Silent).Select(d => d.Grain.GetAsync(d.Consumer)));
            return states.All(v => v.State == DisputeState.Escalated);
        }, openedBy + FirstResponse + TimeSpan.FromSeconds(40) - DateTimeOffset.UtcNow, "all silent disputes escalated",
            () => NotEscalated(disputes.Where(d => d.Silent), hosts: disputes.ToDictionary(d => d.Id, d => firstHosts[d.Id]), victim.SiloAddress));
        foreach (var d in disputes)
        {
            var history = await d.Grain.GetEventsAsync(d.Consumer, 0, 1000);
            var escalations = history.Count(e => e.State == DisputeState.Escalated && e.AuthorId == "system");
            Assert.Equal(d.Silent ? 1 : 0, escalations);
        }
    }

    /// <summary>
    /// What the silent disputes that did not escalate went through. Seen in some runs: disputes whose reminder tick
    /// (the warning at half the deadline, or the deadline) fell due while the killed silo's reminder range had no owner
    /// yet; Orleans does not deliver a missed tick, it schedules the next one a period later, and the dispute reminder's
    /// period is Mediation:Deadlines:ReminderPeriod (1 h) — see the report about src/Grains/Disputes/DisputeGrain.cs.
    /// </summary>
    private string NotEscalated(IEnumerable<Negotiation> silent, Dictionary<string, SiloAddress> hosts, SiloAddress killed)
    {
        var lines = new List<string> { "SERVICE BUG (deadline reminder missed after a silo kill; fires only a ReminderPeriod later). Not escalated:" };
        foreach (var d in silent)
        {
            var history = d.Grain.GetEventsAsync(d.Consumer, 0, 1000).GetAwaiter().GetResult();
            if (history.Any(e => e.State == DisputeState.Escalated)) continue;
            var system = string.Join(", ", history.Where(e => e.AuthorId == "system").Select(e => $"{e.Seq}:{e.Type}@{e.At:HH:mm:ss.fff}"));
            lines.Add($"{d.Id} (first on {(hosts[d.Id].Equals(killed) ? "the killed silo" : hosts[d.Id].ToString())}), last seq {history[^1].Seq}, system events: [{system}]");
        }
        return string.Join("\n", lines);
    }

    /// <summary>
    /// What a caller may retry, with the same idempotency key at the edge: the target silo went away (rejection,
    /// unavailable, or its gateway no longer takes connections), the answer never came (timeout), or the service said
    /// so (MediationException Unavailable/Busy).
    /// </summary>
    private static bool IsRetryable(Exception e) => e switch
    {
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or Orleans.Runtime.Messaging.ConnectionFailedException => true,
        MediationException { Code: ErrorCode.Unavailable or ErrorCode.Busy } => true,
        _ => false,
    };

    private static string Describe(IEnumerable<(string Text, Exception Error)> failures) =>
        string.Join("; ", failures.Select(f => $"'{f.Text}': {f.Error.GetType().Name}: {f.Error.Message}"));

    private SiloAddress HostOf(IDisputeGrain grain) =>
        (_cluster.TryGetGrainContext(grain.GetGrainId(), out var context) ? context.Address.SiloAddress : null)
        ?? throw new InvalidOperationException($"{grain.GetPrimaryKeyString()} is not active on any silo");

    /// <summary>One order's dispute through the cluster client, and every message call's outcome.</summary>
    private sealed class Negotiation
    {
        public required string Id { get; init; }
        public required IDisputeGrain Grain { get; init; }
        public required Caller Consumer { get; init; }
        public required Caller Merchant { get; init; }
        public required bool Silent { get; init; }
        public ConcurrentQueue<string> Acknowledged { get; } = new();
        public ConcurrentQueue<(string Text, Exception Error)> Failed { get; } = new();

        public static async Task<Negotiation> OpenAsync(IClusterClient grains, int n, bool silent)
        {
            var key = $"{n:00}-{Guid.NewGuid():N}"[..15];
            var order = new Order($"o-{key}", $"c-{key}", $"m-{key}", "Lakeside Tea House", "Hangzhou",
                [new OrderItem("Longjing tea", "250 g tin", 2, 99.5m)], 199m, "CNY", DateTimeOffset.UtcNow, "Alipay");
            var orderGrain = grains.GetGrain<IOrderGrain>(order.OrderId);
            await orderGrain.SubmitAsync(order);
            var consumer = new Caller(order.ConsumerId, Role.Consumer);
            var opened = await orderGrain.OpenDisputeAsync(consumer,
                new OpenDisputeRequest(order.OrderId, DisputeCategory.Quality, Remedy.FullRefund, 199m, "Crushed tins."));
            return new Negotiation
            {
                Id = opened.Dispute.DisputeId, Grain = grains.GetGrain<IDisputeGrain>(opened.Dispute.DisputeId),
                Consumer = consumer, Merchant = new Caller(order.MerchantId, Role.Merchant), Silent = silent,
            };
        }

        /// <summary>Sends once (no retry: every text is unique, so any second copy would be the service's doing).</summary>
        public async Task SendAsync(Caller from, string text)
        {
            try
            {
                await Grain.SendMessageAsync(from, text);
                Acknowledged.Enqueue(text);
            }
            catch (Exception e)
            {
                Failed.Enqueue((text, e));
            }
        }

        /// <summary>The consumer writes; in a talking dispute the merchant answers each time.</summary>
        public async Task ChatAsync(int messages)
        {
            for (var i = 0; i < messages; i++)
            {
                var merchantsTurn = !Silent && i % 2 == 1;
                await SendAsync(merchantsTurn ? Merchant : Consumer, $"{(merchantsTurn ? "merchant" : "consumer")} {i}");
                await Task.Delay(100); // pacing: a conversation, not a flood
            }
        }
    }
}
