using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Production.Tests;

/// <summary>
/// PostgreSQL mode of the embedded test of the same name (tests/Mediation.Api.Tests/RealtimeTests.cs): an event the
/// stream loses on its way to the API node is recovered from the PostgreSQL history, by the gap it leaves when a
/// later event arrives, or by the heartbeat when nothing follows it.
/// </summary>
[Collection(ProductionCollection.Name)]
public sealed class LostStreamEventTests(PostgresServer server) : IAsyncLifetime
{
    private ApiFactory _node = null!;

    public async Task InitializeAsync()
    {
        _node = new ProductionSettings(await server.CreateDatabaseAsync("lost")).CoHostedFactory();
        _node.StartServer();
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task On_PostgreSql_an_event_dropped_between_stream_and_node_reaches_both_parties_once(bool nothingFollowsIt)
    {
        var s = await Scenario.PaidOrderAsync(_node.As);
        var disputeId = (await s.OpenDisputeAsync()).DisputeId;
        await using var consumer = await PartyConnection.ConnectAsync(_node.BaseAddress, s.ConsumerId, "consumer");
        await using var merchant = await PartyConnection.ConnectAsync(_node.BaseAddress, s.MerchantId, "merchant");
        PartyConnection[] parties = [consumer, merchant];
        foreach (var party in parties) await party.Hub.InvokeAsync("JoinDispute", disputeId, 0L);

        // Opened (1), the merchant's first answer (2) and the state change it causes (3) arrive normally.
        Assert.Equal(2L, await merchant.Hub.InvokeAsync<long>("SendMessage", disputeId, "Which tins are crushed?"));
        await ExpectExactlyAsync(parties, 1, 3);

        const string lostText = "The two on top; this message is dropped by the stream";
        using (_node.Feeds.Lose(disputeId, e => e.Text == lostText))
        {
            var lostSeq = await consumer.Hub.InvokeAsync<long>("SendMessage", disputeId, lostText);
            var lastSeq = nothingFollowsIt ? lostSeq : await merchant.Hub.InvokeAsync<long>("SendMessage", disputeId, "Noted.");
            var recovered = await ExpectExactlyAsync(parties, 4, lastSeq);
            Assert.All(recovered, events => Assert.Equal(lostText, events.Single(e => e.Seq == lostSeq).Text));
        }

        // Exactly once: the next live event is the next thing each party gets, with nothing in between.
        var next = await consumer.Hub.InvokeAsync<long>("SendMessage", disputeId, "Thanks.");
        await ExpectExactlyAsync(parties, next, next);
    }

    /// <summary>Each party receives seq <paramref name="from"/>..<paramref name="to"/> in order, within 10 s, and nothing else.</summary>
    private static async Task<List<List<DisputeEvent>>> ExpectExactlyAsync(PartyConnection[] parties, long from, long to)
    {
        var received = new List<List<DisputeEvent>>();
        foreach (var party in parties)
        {
            var events = await party.NextEventsAsync((int)(to - from + 1), seconds: 10);
            Assert.Equal(LongRange(from, to), events.Select(e => e.Seq));
            Assert.Empty(party.Pending());
            received.Add(events);
        }
        return received;
    }

    private static IEnumerable<long> LongRange(long from, long to)
    {
        for (var seq = from; seq <= to; seq++) yield return seq;
    }
}
