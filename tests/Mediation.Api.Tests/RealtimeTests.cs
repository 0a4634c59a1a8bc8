using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection; // the client's AddMessagePackProtocol

namespace Mediation.Api.Tests;

/// <summary>The chat over the real SignalR client against the real app on Kestrel.</summary>
[Collection(ApiCollection.Name)]
public sealed class RealtimeTests(ApiFixture fixture)
{
    private Uri Base => fixture.Factory.BaseAddress;

    private async Task<(Scenario S, string DisputeId, PartyConnection Consumer, PartyConnection Merchant)> NegotiationAsync()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        var consumer = await PartyConnection.ConnectAsync(Base, s.ConsumerId, "consumer");
        var merchant = await PartyConnection.ConnectAsync(Base, s.MerchantId, "merchant");
        return (s, dispute.DisputeId, consumer, merchant);
    }

    private static void AssertSeqs(IEnumerable<DisputeEvent> events, long from, long to) =>
        Assert.Equal(Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (long)i), events.Select(e => e.Seq));

    [Fact]
    public async Task Consumer_and_merchant_negotiate_to_settlement_each_seeing_the_exact_ordered_events()
    {
        var (_, id, consumer, merchant) = await NegotiationAsync();
        await using var c = consumer;
        await using var m = merchant;
        await c.Hub.InvokeAsync("JoinDispute", id, 0L);
        await m.Hub.InvokeAsync("JoinDispute", id, 0L);

        var hello = await m.Hub.InvokeAsync<long>("SendMessage", id, "Sorry to hear that — photo please?");
        var reply = await c.Hub.InvokeAsync<long>("SendMessage", id, "Sent: three crushed tins.");
        var offer = await m.Hub.InvokeAsync<long>("MakeOffer", id, Remedy.PartialRefund, 80m);
        var accepted = await c.Hub.InvokeAsync<long>("AcceptOffer", id, offer);
        Assert.Equal([2L, 4L, 5L, 6L], [hello, reply, offer, accepted]);

        var expected = new[]
        {
            DisputeEventType.Opened, DisputeEventType.Message, DisputeEventType.StateChanged, DisputeEventType.Message,
            DisputeEventType.Offer, DisputeEventType.OfferAccepted, DisputeEventType.StateChanged,
            DisputeEventType.InstructionIssued, DisputeEventType.StateChanged,
        };
        foreach (var party in new[] { c, m })
        {
            var events = await party.NextEventsAsync(9);
            AssertSeqs(events, 1, 9);
            Assert.Equal(expected, events.Select(e => e.Type));
            Assert.Equal("Sent: three crushed tins.", events[3].Text);
            Assert.Equal(80m, events[5].Amount);
            Assert.Equal(DisputeState.Settled, events[6].State);
            Assert.Equal(DisputeState.Enforcing, events[8].State);
            Assert.Empty(party.Pending());
        }
    }

    [Fact]
    public async Task A_party_that_reconnects_with_its_last_seq_receives_exactly_what_it_missed_once_in_order()
    {
        var (_, id, consumer, merchant) = await NegotiationAsync();
        await using var m = merchant;
        await consumer.Hub.InvokeAsync("JoinDispute", id, 0L);
        var seen = await consumer.NextEventsAsync(1);
        var lastSeq = seen[^1].Seq;
        await consumer.DisposeAsync(); // the phone drops off the network

        await m.Hub.InvokeAsync("JoinDispute", id, 0L);
        for (var i = 1; i <= 20; i++)
        {
            if (i % 5 == 0) await m.Hub.InvokeAsync<long>("MakeOffer", id, Remedy.PartialRefund, 10m + i);
            else await m.Hub.InvokeAsync<long>("SendMessage", id, $"update {i}");
        }

        await using var back = await PartyConnection.ConnectAsync(Base, consumer.UserId, "consumer");
        await back.Hub.InvokeAsync("JoinDispute", id, lastSeq);
        // 20 events by the merchant plus the state change its first answer caused.
        var missed = await back.NextEventsAsync(21);
        AssertSeqs(missed, lastSeq + 1, lastSeq + 21);
        Assert.Equal(20, missed.Count(e => e.AuthorId == m.UserId && e.Type is DisputeEventType.Message or DisputeEventType.Offer));

        var live = await m.Hub.InvokeAsync<long>("SendMessage", id, "still there?");
        Assert.Equal(live, Assert.Single(await back.NextEventsAsync(1)).Seq);
        Assert.Empty(back.Pending());
    }

    [Fact]
    public async Task Events_sent_while_a_replay_is_in_progress_arrive_once_and_in_order()
    {
        var (s, id, consumer, merchant) = await NegotiationAsync();
        await using var c = consumer;
        await using var m = merchant;
        // A long history to replay (over the hub: 150 REST calls at machine speed would meet the per-user call limit).
        for (var i = 0; i < 150; i++)
            await m.Hub.InvokeAsync<long>("SendMessage", id, $"history {i}");
        const int historyEnd = 152; // Opened, the first answer's state change, 150 messages

        // The consumer's replay stops once its history is sent, before it joins the live group, until 30 live
        // events have been acknowledged: they are certain to fall inside the replay.
        using var hold = fixture.Factory.Feeds.HoldNextReplay(id);
        var joining = c.Hub.InvokeAsync("JoinDispute", id, 0L);
        Assert.Equal(historyEnd, await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30)));
        for (var i = 0; i < 30; i++)
            Assert.Equal(historyEnd + 1 + i, await m.Hub.InvokeAsync<long>("SendMessage", id, $"during replay {i}"));
        Assert.False(joining.IsCompleted, "the join finished before the live events were sent; nothing overlapped");
        hold.Release();
        await joining.WaitAsync(TimeSpan.FromSeconds(30));

        var all = await c.NextEventsAsync(historyEnd + 30, seconds: 30);
        AssertSeqs(all, 1, historyEnd + 30);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"during replay {i}"), all[historyEnd..].Select(e => e.Text));
        // Once: the next thing the consumer receives is the next live event, not a late copy.
        var sentinel = await m.Hub.InvokeAsync<long>("SendMessage", id, "after the replay");
        Assert.Equal(sentinel, Assert.Single(await c.NextEventsAsync(1)).Seq);
        Assert.Empty(c.Pending());
    }

    [Fact]
    public async Task A_merchant_console_follows_all_its_disputes_on_one_connection_and_nothing_of_another_merchant()
    {
        var merchantId = $"m-{Guid.NewGuid():N}"[..14];
        var ops = fixture.Factory.As("platform", "ops");
        await using var console = await PartyConnection.ConnectAsync(Base, merchantId, "merchant");
        await console.Hub.InvokeAsync("FollowMerchant", merchantId);

        var disputeIds = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var consumerId = $"c-{Guid.NewGuid():N}"[..14];
            var orderId = $"o-{Guid.NewGuid():N}"[..14];
            await ops.PostAsJsonAsync("/api/orders", new
            {
                orderId, consumerId, merchantId, storeName = "Corner Shop", city = "Xiamen",
                items = new[] { new { name = "Kettle", spec = "1.7 l", quantity = 1, price = 30 } },
                total = 30, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "WeChat Pay",
            });
            var opened = await fixture.Factory.As(consumerId, "consumer").PostAsJsonAsync("/api/disputes", new
            {
                orderId, category = "Defect", requestedRemedy = "Exchange", claimedAmount = 0, description = $"kettle {i} leaks",
            });
            disputeIds.Add((await opened.Content.ReadFromJsonAsync<DisputeView>(Scenario.Json))!.DisputeId);
        }
        // Another merchant's dispute must not show up.
        var other = await Scenario.PaidOrderAsync(fixture.Factory.As);
        await other.OpenDisputeAsync();

        var seen = new HashSet<string>();
        while (seen.Count < 5)
        {
            var summary = await console.NextSummaryAsync();
            var id = summary.GetProperty("disputeId").GetString()!;
            Assert.Contains(id, disputeIds);
            Assert.Equal("Opened", summary.GetProperty("kind").GetString());
            seen.Add(id);
        }

        // A new message on one of them reaches the console too, with its unread count.
        var consumerOfFirst = (await fixture.Factory.As(merchantId, "merchant")
            .GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeIds[0]}", Scenario.Json))!.ConsumerId;
        await fixture.Factory.As(consumerOfFirst, "consumer").PostAsJsonAsync($"/api/disputes/{disputeIds[0]}/messages", new { text = "hello?" });
        var news = await console.NextSummaryAsync();
        Assert.Equal(disputeIds[0], news.GetProperty("disputeId").GetString());
        Assert.Equal("Message", news.GetProperty("kind").GetString());
        Assert.Equal(2, news.GetProperty("unread").GetInt64());
        Assert.DoesNotContain(console.PendingSummaries(), e => !disputeIds.Contains(e.GetProperty("disputeId").GetString()!));
    }

    [Fact]
    public async Task A_party_not_on_the_dispute_can_neither_join_nor_send()
    {
        var (_, id, consumer, merchant) = await NegotiationAsync();
        await using var c = consumer;
        await using var m = merchant;
        await using var stranger = await PartyConnection.ConnectAsync(Base, "c-stranger", "consumer");

        var join = await Assert.ThrowsAsync<HubException>(() => stranger.Hub.InvokeAsync("JoinDispute", id, 0L));
        Assert.Contains("not a party", join.Message);
        var send = await Assert.ThrowsAsync<HubException>(() => stranger.Hub.InvokeAsync<long>("SendMessage", id, "let me in"));
        Assert.Contains("not a party", send.Message);
        var follow = await Assert.ThrowsAsync<HubException>(() => stranger.Hub.InvokeAsync("FollowMerchant", m.UserId));
        Assert.Contains("may not follow", follow.Message);

        // The same rules as REST, with the same messages.
        var tooLong = await Assert.ThrowsAsync<HubException>(() => c.Hub.InvokeAsync<long>("SendMessage", id, new string('x', 2001)));
        Assert.Contains("the limit is 2000", tooLong.Message);
        var notYet = await Assert.ThrowsAsync<HubException>(() => c.Hub.InvokeAsync<long>("Escalate", id));
        Assert.Contains("escalation opens", notYet.Message);

        var negativeOffer = await Assert.ThrowsAsync<HubException>(() => m.Hub.InvokeAsync<long>("MakeOffer", id, Remedy.PartialRefund, -1m));
        Assert.Contains("400", negativeOffer.Message);
        Assert.Contains("must not be negative", negativeOffer.Message);
        var unknown = await Assert.ThrowsAsync<HubException>(() => c.Hub.InvokeAsync("JoinDispute", "d-nope", 0L));
        Assert.Contains("404", unknown.Message);
        var badSeq = await Assert.ThrowsAsync<HubException>(() => c.Hub.InvokeAsync("JoinDispute", id, -5L));
        Assert.Contains("afterSeq", badSeq.Message);
        var readAhead = await Assert.ThrowsAsync<HubException>(() => m.Hub.InvokeAsync("MarkRead", id, 99L));
        Assert.Contains("outside the timeline", readAhead.Message);

        await c.Hub.InvokeAsync("JoinDispute", id, 0L);
        Assert.Single(await c.NextEventsAsync(1)); // only the Opened event: nothing was changed
        var list = await fixture.Factory.As(m.UserId, "merchant").GetFromJsonAsync<PartyDisputes>($"/api/merchants/{m.UserId}/disputes", Scenario.Json);
        Assert.Equal(1, Assert.Single(list!.Disputes).Unread); // the refused MarkRead left the read mark alone
    }

    [Fact]
    public async Task Typing_shows_and_goes_away_by_itself_and_read_receipts_update_the_unread_count()
    {
        var (s, id, consumer, merchant) = await NegotiationAsync();
        await using var c = consumer;
        await using var m = merchant;
        await c.Hub.InvokeAsync("JoinDispute", id, 0L);
        await m.Hub.InvokeAsync("JoinDispute", id, 0L);

        await m.Hub.InvokeAsync("Typing", id);
        var typing = await c.NextSignalAsync();
        Assert.Equal("typing", typing.GetProperty("kind").GetString());
        Assert.Equal(m.UserId, typing.GetProperty("userId").GetString());
        var stopped = await c.NextSignalAsync(seconds: 20);
        while (stopped.GetProperty("kind").GetString() == "typing") stopped = await c.NextSignalAsync(seconds: 20);
        Assert.Equal("typingStopped", stopped.GetProperty("kind").GetString());

        await c.Hub.InvokeAsync<long>("SendMessage", id, "one");
        await c.Hub.InvokeAsync<long>("SendMessage", id, "two");
        var before = await s.Merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{s.MerchantId}/disputes", Scenario.Json);
        Assert.Equal(3, Assert.Single(before!.Disputes).Unread);

        await m.Hub.InvokeAsync("MarkRead", id, 3L);
        var after = await s.Merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{s.MerchantId}/disputes", Scenario.Json);
        Assert.Equal(0, Assert.Single(after!.Disputes).Unread);
        var read = await c.NextSignalAsync();
        while (read.GetProperty("kind").GetString() != "read") read = await c.NextSignalAsync();
        Assert.Equal(3, read.GetProperty("seq").GetInt64());
    }


    [Fact]
    public async Task The_MessagePack_protocol_carries_the_same_event_shape()
    {
        var (_, id, consumer, merchant) = await NegotiationAsync();
        await using var c = consumer;
        await using var m = merchant;
        var received = new TaskCompletionSource<IDictionary<object, object>>();
        await using var packed = new HubConnectionBuilder()
            .WithUrl(new Uri(Base, "/hubs/negotiation"), o => { o.Headers["X-User-Id"] = m.UserId; o.Headers["X-Role"] = "merchant"; })
            .AddMessagePackProtocol()
            .Build();
        packed.On<IDictionary<object, object>>("DisputeEvent", e => received.TrySetResult(e));
        await packed.StartAsync();
        await packed.InvokeAsync("JoinDispute", id, 0L);
        var opened = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(id, opened["disputeId"]);
        Assert.Equal("Opened", opened["type"]);
        Assert.Equal(1L, Convert.ToInt64(opened["seq"]));
        Assert.Equal(2L, await packed.InvokeAsync<long>("SendMessage", id, "packed hello"));
    }
}

/// <summary>A stream event lost between the stream and this API node is still delivered, once.</summary>
[Collection(ApiCollection.Name)]
public sealed class LostStreamEventTests(ApiFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_dropped_stream_event_reaches_both_parties_once(bool lastOfTheConversation)
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var id = (await s.OpenDisputeAsync()).DisputeId;
        await using var consumer = await PartyConnection.ConnectAsync(fixture.Factory.BaseAddress, s.ConsumerId, "consumer");
        await using var merchant = await PartyConnection.ConnectAsync(fixture.Factory.BaseAddress, s.MerchantId, "merchant");
        await consumer.Hub.InvokeAsync("JoinDispute", id, 0L);
        await merchant.Hub.InvokeAsync("JoinDispute", id, 0L);
        await merchant.Hub.InvokeAsync<long>("SendMessage", id, "hello"); // seq 2, state change 3

        // Seq 4 is lost on its way from the stream to this node.
        var losing = fixture.Factory.Feeds.Lose(id, e => e.Seq == 4);
        Assert.Equal(4, await consumer.Hub.InvokeAsync<long>("SendMessage", id, "this one is lost on the stream"));
        if (!lastOfTheConversation) await merchant.Hub.InvokeAsync<long>("SendMessage", id, "and this one is not");

        var expected = lastOfTheConversation ? 4 : 5;
        foreach (var party in new[] { consumer, merchant })
        {
            // With a later event the gap is backfilled at once; as the last event, the heartbeat finds it.
            var events = await party.NextEventsAsync(expected, seconds: 10);
            Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), events.Select(e => e.Seq));
            Assert.Equal("this one is lost on the stream", events[3].Text);
        }
        // Once: the next thing either party receives is the next event, not a second copy.
        losing.Dispose();
        var sentinel = await merchant.Hub.InvokeAsync<long>("SendMessage", id, "sentinel");
        Assert.Equal(expected + 1, sentinel);
        foreach (var party in new[] { consumer, merchant })
        {
            Assert.Equal(sentinel, Assert.Single(await party.NextEventsAsync(1)).Seq);
            Assert.Empty(party.Pending());
        }
    }
}
