using System.Net.Http.Json;
using Mediation.Api.Realtime;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Mediation.Api.Tests;

/// <summary>Two API nodes on one cluster: parties connected to different nodes see each other's events.</summary>
public sealed class MultiNodeTests : IAsyncLifetime
{
    private readonly ApiFactory _nodeA = new();
    private ApiFactory _nodeB = null!;

    public Task InitializeAsync()
    {
        _nodeA.StartServer();
        // Node B co-hosts a second silo that joins node A's cluster and shares its database.
        _nodeB = new ApiFactory(_nodeA.DataDirectory);
        _nodeB.Settings["Mediation:PrimarySiloPort"] = _nodeA.SiloPort.ToString();
        _nodeB.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _nodeB.DisposeAsync();
        await _nodeA.DisposeAsync();
    }

    [Fact]
    public async Task A_consumer_on_node_A_and_a_merchant_on_node_B_negotiate_and_see_each_others_events()
    {
        var s = await Scenario.PaidOrderAsync(_nodeA.As);
        var dispute = await s.OpenDisputeAsync();
        await using var consumer = await PartyConnection.ConnectAsync(_nodeA.BaseAddress, s.ConsumerId, "consumer");
        await using var merchant = await PartyConnection.ConnectAsync(_nodeB.BaseAddress, s.MerchantId, "merchant");
        await consumer.Hub.InvokeAsync("JoinDispute", dispute.DisputeId, 0L);
        await merchant.Hub.InvokeAsync("JoinDispute", dispute.DisputeId, 0L);

        var offer = await merchant.Hub.InvokeAsync<long>("MakeOffer", dispute.DisputeId, Remedy.PartialRefund, 99m);
        await consumer.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "Make it 150?");
        var counter = await consumer.Hub.InvokeAsync<long>("MakeOffer", dispute.DisputeId, Remedy.PartialRefund, 150m);
        await merchant.Hub.InvokeAsync<long>("AcceptOffer", dispute.DisputeId, counter);

        // Each party, whichever node it is on, receives exactly this timeline: every event once, in order, nothing else.
        DisputeEventType[] expected =
        [
            DisputeEventType.Opened, DisputeEventType.Offer, DisputeEventType.StateChanged, DisputeEventType.Message,
            DisputeEventType.Offer, DisputeEventType.OfferAccepted, DisputeEventType.StateChanged,
            DisputeEventType.InstructionIssued, DisputeEventType.StateChanged,
        ];
        PartyConnection[] parties = [consumer, merchant];
        foreach (var party in parties)
        {
            var events = await party.NextEventsAsync(expected.Length);
            Assert.Equal(Enumerable.Range(1, expected.Length).Select(i => (long)i), events.Select(e => e.Seq));
            Assert.Equal(expected, events.Select(e => e.Type));
            Assert.Equal(offer, events.Single(e => e.Type == DisputeEventType.Offer && e.Amount == 99m).Seq);
            Assert.Equal("Make it 150?", events[3].Text);
            Assert.Equal(counter, events[5].OfferSeq);
            Assert.Equal(DisputeState.Settled, events[6].State);
            Assert.Equal(DisputeState.Enforcing, events[^1].State);
        }
        // A late copy from the other node would arrive before this sentinel: it is the next and only event each gets.
        var sentinel = await merchant.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "Refund on its way.");
        Assert.Equal(expected.Length + 1, sentinel);
        foreach (var party in parties)
        {
            Assert.Equal(sentinel, Assert.Single(await party.NextEventsAsync(1)).Seq);
            Assert.Empty(party.Pending());
        }
        // Each node follows the dispute through one feed, however many of its parties joined.
        Assert.Equal(1, _nodeA.Services.GetRequiredService<DisputeFeeds>().FeedCount);
        Assert.Equal(1, _nodeB.Services.GetRequiredService<DisputeFeeds>().FeedCount);
    }
}
