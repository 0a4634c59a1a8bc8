using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>The app with a city of three mediators, a one-second negotiation window and its webhook at a real receiver.</summary>
public sealed class MediationWalkFixture : ReceiverFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Mediation:Cities:Hangzhou:Mediators:0"] = "med-1";
        settings["Mediation:Cities:Hangzhou:Mediators:1"] = "med-2";
        settings["Mediation:Cities:Hangzhou:Mediators:2"] = "med-3";
        settings["Mediation:Deadlines:NegotiationWindow"] = "00:00:01";
        settings["Mediation:Webhooks:Url"] = Receiver.Url;
        settings["Mediation:Webhooks:Secret"] = Receiver.Secret;
    }
}

/// <summary>
/// The whole mediation half, over HTTP and the hub against the real app: negotiation fails, the case escalates and goes
/// to the least-loaded of three mediators, evidence is requested, uploaded and sealed, a proposal is rejected, the
/// mediator rules, the instruction reaches a real receiver that verifies its signature, the platform reports it done,
/// the consumer confirms, the dispute closes, the ledger balances, and each party rates the process once.
/// </summary>
public sealed class MediationWalkTests(MediationWalkFixture fixture) : IClassFixture<MediationWalkFixture>
{
    private ApiFactory Factory => fixture.Factory;
    private WebhookReceiver Receiver => fixture.Receiver;
    private static readonly JsonSerializerOptions Json = MediationJson.Options;

    private async Task<(Scenario S, string DisputeId)> OpenGuaranteedAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var s = new Scenario
        {
            OrderId = $"o-{id}", ConsumerId = $"c-{id}", MerchantId = $"m-{id}",
            Ops = Factory.As("platform", "ops"), Consumer = Factory.As($"c-{id}", "consumer"), Merchant = Factory.As($"m-{id}", "merchant"),
        };
        var order = await s.Ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = s.OrderId, consumerId = s.ConsumerId, merchantId = s.MerchantId, storeName = "Lakeside Tea House", city = "Hangzhou",
            items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = 100m } }, total = 200m, currency = "CNY",
            paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay", guaranteed = true,
        });
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        return (s, (await s.OpenDisputeAsync(200m)).DisputeId);
    }

    private static async Task EscalateWhenAllowedAsync(Scenario s, string disputeId)
    {
        await EventuallyAsync(async () => (await ViewAsync(s.Consumer, disputeId)).AllowedActions.Contains(DisputeAction.Escalate), "the escalation opening");
        await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{disputeId}/escalate", null));
    }

    private static async Task<DisputeView> ViewAsync(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Json))!;

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within {seconds} s");
            await Task.Delay(50); // poll interval
        }
    }

    [Fact]
    public async Task Negotiation_fails_and_the_case_is_mediated_ruled_carried_out_closed_and_rated()
    {
        // Two earlier cases load med-1 and med-2, so the least-loaded mediator is med-3.
        for (var i = 0; i < 2; i++)
        {
            var (earlier, earlierId) = await OpenGuaranteedAsync();
            await Scenario.EventAsync(await earlier.Merchant.PostAsJsonAsync($"/api/disputes/{earlierId}/messages", new { text = "No." }));
            await EscalateWhenAllowedAsync(earlier, earlierId);
            Assert.Equal($"med-{i + 1}", (await ViewAsync(earlier.Consumer, earlierId)).MediatorId);
        }

        var (s, id) = await OpenGuaranteedAsync();
        await using var consumer = await PartyConnection.ConnectAsync(Factory.BaseAddress, s.ConsumerId, "consumer");
        await using var merchant = await PartyConnection.ConnectAsync(Factory.BaseAddress, s.MerchantId, "merchant");
        await consumer.Hub.InvokeAsync("JoinDispute", id, 0L);
        await merchant.Hub.InvokeAsync("JoinDispute", id, 0L);

        // Escrow holds the guaranteed order's funds while the dispute is open.
        await EventuallyAsync(async () => (await s.Consumer.GetFromJsonAsync<LedgerView>($"/api/orders/{s.OrderId}/ledger", Json))!.Balances.GetValueOrDefault(LedgerAccount.Escrow) != 0,
            "the escrow hold");

        // The negotiation fails: the merchant offers little, the consumer rejects it, and escalates when the window ends.
        var low = await merchant.Hub.InvokeAsync<long>("MakeOffer", id, "PartialRefund", 20m);
        await consumer.Hub.InvokeAsync<long>("RejectOffer", id, low);
        await EscalateWhenAllowedAsync(s, id);
        var mediator = Factory.As("med-3", "mediator");
        var assigned = await ViewAsync(mediator, id);
        Assert.Equal((DisputeState.InMediation, "med-3"), (assigned.State, assigned.MediatorId));

        // The mediator asks the consumer for a photo by a deadline; the consumer uploads one.
        await using var desk = await PartyConnection.ConnectAsync(Factory.BaseAddress, "med-3", "mediator");
        await desk.Hub.InvokeAsync("JoinDispute", id, 0L);
        var requestSeq = await desk.Hub.InvokeAsync<long>("RequestEvidence", id, "consumer", "A photo of the crushed tins, please.", DateTimeOffset.UtcNow.AddDays(1));
        using var photo = new ByteArrayContent(EvidenceTests.Jpeg(withLocation: true));
        photo.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var upload = await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{id}/evidence",
            new MultipartFormDataContent { { photo, "file", "tins.jpg" } }));
        Assert.Equal(DisputeEventType.EvidenceAdded, upload.Type);
        Assert.Equal(EvidenceKind.Photo, upload.Evidence!.Kind);

        // A proposal the merchant rejects.
        var proposal = await Scenario.EventAsync(await mediator.PostAsJsonAsync($"/api/disputes/{id}/proposals",
            new { remedy = "PartialRefund", amount = 150m, text = "150 back for the crushed tins." }));
        await consumer.Hub.InvokeAsync<long>("AcceptProposal", id, proposal.Seq);
        await Scenario.EventAsync(await s.Merchant.PostAsync($"/api/disputes/{id}/proposals/{proposal.Seq}/reject", null));

        // The ruling seals the evidence and becomes an instruction.
        var ruled = await desk.Hub.InvokeAsync<long>("Rule", id, "DamagedInTransport", "Merchant", "FullRefund", 200m, false,
            "The photo shows the tins crushed inside intact packaging: packed loose by the merchant.");
        var view = await ViewAsync(s.Consumer, id);
        Assert.Equal(DisputeState.Enforcing, view.State);
        var instructionId = view.Outcome!.InstructionId!;
        var timeline = await s.TimelineAsync(id);
        var sealedFile = Assert.Single(timeline, e => e.Type == DisputeEventType.EvidenceSealed);
        Assert.Equal(ruled - 1, sealedFile.Seq);
        Assert.Equal([upload.Evidence.Sha256], sealedFile.EvidenceList!.Select(x => x.Sha256));
        var late = await s.Merchant.PostAsync($"/api/disputes/{id}/evidence", new MultipartFormDataContent { { new ByteArrayContent("too late"u8.ToArray()), "file", "note.txt" } });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);

        // The webhook reaches the platform signed; the platform applies it once and reports it done.
        await EventuallyAsync(() => Task.FromResult(Receiver.Applied(instructionId) is not null), "the webhook delivery");
        var delivery = Receiver.DeliveriesOf(instructionId).First(d => d.AnsweredStatus is >= 200 and < 300);
        Assert.Equal(WebhookSignatureCheck.Valid, delivery.Check);
        Assert.Equal((200m, id), (Receiver.Applied(instructionId)!.Amount, Receiver.Applied(instructionId)!.DisputeId));
        Assert.Equal(1, Receiver.Applications(instructionId));
        var report = await s.Ops.PostAsJsonAsync($"/api/instructions/{instructionId}/result", new { outcome = "Done" });
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        await EventuallyAsync(async () => (await ViewAsync(s.Consumer, id)).AllowedActions.Contains(DisputeAction.ConfirmRemedy), "the dispute hearing of the report");

        // The consumer confirms: closed. The ledger balances, escrow is empty, the consumer has the refund.
        var confirmed = await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{id}/confirm", null));
        Assert.Equal(DisputeEventType.RemedyConfirmed, confirmed.Type);
        Assert.Equal(DisputeState.Closed, (await ViewAsync(s.Merchant, id)).State);
        await EventuallyAsync(async () => (await s.Consumer.GetFromJsonAsync<LedgerView>($"/api/orders/{s.OrderId}/ledger", Json))!.Entries.Any(e => e.InstructionId == instructionId),
            "the refund in the ledger");
        var ledger = (await s.Consumer.GetFromJsonAsync<LedgerView>($"/api/orders/{s.OrderId}/ledger", Json))!;
        Assert.True(ledger.Balanced);
        Assert.Equal(0m, ledger.Balances.GetValueOrDefault(LedgerAccount.Escrow));
        Assert.Equal(0m, ledger.Entries.SelectMany(e => e.Postings).Sum(p => p.Amount));

        // Each party rates the process, once.
        await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{id}/feedback", new { rating = 5, comment = "Fair and quick." }));
        await merchant.Hub.InvokeAsync<long>("GiveFeedback", id, 2, "Too strict.");
        var again = await s.Consumer.PostAsJsonAsync($"/api/disputes/{id}/feedback", new { rating = 1 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var bad = await s.Merchant.PostAsJsonAsync($"/api/disputes/{id}/feedback", new { rating = 6 });
        Assert.True(bad.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict);

        // Both parties and the mediator saw the same timeline live, gap-free and in order.
        var last = (await ViewAsync(s.Consumer, id)).LastSeq;
        foreach (var party in new[] { consumer, merchant })
        {
            var seen = await party.NextEventsAsync((int)last);
            Assert.Equal(Enumerable.Range(1, (int)last).Select(i => (long)i), seen.Select(e => e.Seq));
        }
        var mediatorSeen = await desk.NextEventsAsync((int)last);
        Assert.Equal(Enumerable.Range(1, (int)last).Select(i => (long)i), mediatorSeen.Select(e => e.Seq));
    }
}
