using System.Net;
using System.Net.Http.Json;

namespace Mediation.Api.Tests;

public sealed class ApiFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();
    public Task InitializeAsync()
    {
        Factory.Settings["Mediation:HeartbeatPeriod"] = "00:00:01";
        Factory.StartServer();
        return Task.CompletedTask;
    }
    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

/// <summary>The README's curl walk-through, request for request, over HTTP against the real app.</summary>
[Collection(ApiCollection.Name)]
public sealed class WalkthroughTests(ApiFixture fixture)
{
    [Fact]
    public async Task Order_to_settlement_through_the_REST_API()
    {
        // 1. The payment platform pushes the paid order; pushing it again is accepted idempotently.
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var again = await s.Ops.PostAsJsonAsync("/api/orders", s.OrderBody());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        // 2. The consumer opens a dispute with one call; the rest comes from the order.
        var dispute = await s.OpenDisputeAsync();
        Assert.Equal(DisputeState.AwaitingMerchant, dispute.State);
        Assert.Equal(s.MerchantId, dispute.MerchantId);
        Assert.Equal("Lakeside Tea House", dispute.Order.StoreName);
        Assert.NotNull(dispute.Deadlines.MerchantRespondBy);
        Assert.Equal([DisputeAction.SendMessage, DisputeAction.Withdraw, DisputeAction.AddEvidence], dispute.AllowedActions);
        var id = dispute.DisputeId;

        var merchantView = await s.Merchant.GetFromJsonAsync<DisputeView>($"/api/disputes/{id}", Scenario.Json);
        Assert.Contains(DisputeAction.AcceptOffer, merchantView!.AllowedActions);

        // 3. Chat and offers; a counter-offer is a new offer; acceptance settles.
        var hello = await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{id}/messages", new { text = "Sorry! Could you send a photo?" }));
        Assert.Equal(DisputeEventType.Message, hello.Type);
        Assert.Equal(s.MerchantId, hello.AuthorId);
        await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{id}/messages", new { text = "Here: three tins crushed." }));
        var offer = await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{id}/offers", new { remedy = "PartialRefund", amount = 60 }));
        var rejected = await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{id}/offers/{offer.Seq}/reject", null));
        Assert.Equal(offer.Seq, rejected.OfferSeq);
        var counter = await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{id}/offers", new { remedy = "PartialRefund", amount = 120 }));
        var accepted = await Scenario.EventAsync(await s.Merchant.PostAsync($"/api/disputes/{id}/offers/{counter.Seq}/accept", null));
        Assert.Equal(DisputeEventType.OfferAccepted, accepted.Type);
        Assert.Equal(120m, accepted.Amount);

        // Settled, and at once an instruction to the payment platform.
        var settled = await s.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{id}", Scenario.Json);
        Assert.Equal(DisputeState.Enforcing, settled!.State);
        Assert.Equal((Remedy.PartialRefund, 120m), (settled.Outcome!.Remedy, settled.Outcome.Amount));
        Assert.NotNull(settled.Deadlines.InstructionDueBy);

        // Both sides see the same full, ordered timeline.
        var consumerTimeline = await s.TimelineAsync(id, s.Consumer);
        var merchantTimeline = await s.TimelineAsync(id, s.Merchant);
        Assert.Equal(consumerTimeline.Select(e => e.Seq), merchantTimeline.Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(1, consumerTimeline.Count).Select(i => (long)i), consumerTimeline.Select(e => e.Seq));
        Assert.Equal(
            [DisputeEventType.Opened, DisputeEventType.Message, DisputeEventType.StateChanged, DisputeEventType.Message,
             DisputeEventType.Offer, DisputeEventType.OfferRejected, DisputeEventType.Offer, DisputeEventType.OfferAccepted,
             DisputeEventType.StateChanged, DisputeEventType.InstructionIssued, DisputeEventType.StateChanged],
            consumerTimeline.Select(e => e.Type));
        Assert.All(consumerTimeline, e => Assert.Equal(id, e.DisputeId));
        var tail = await s.TimelineAsync(id, s.Consumer, afterSeq: counter.Seq);
        Assert.Equal([accepted.Seq, accepted.Seq + 1, accepted.Seq + 2, accepted.Seq + 3], tail.Select(e => e.Seq));

        // The consumer confirms receipt only once the platform has reported the remedy carried out.
        var early = await s.Consumer.PostAsync($"/api/disputes/{id}/confirm", null);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("payment platform reports", await early.Content.ReadAsStringAsync());

        // 5. Each side lists its disputes with state, running deadline and figures.
        var merchantList = await s.Merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{s.MerchantId}/disputes", Scenario.Json);
        var line = Assert.Single(merchantList!.Disputes);
        Assert.Equal(DisputeState.Enforcing, line.State);
        Assert.Equal(1, merchantList.Figures.SettledByParties);
        Assert.NotNull(merchantList.Figures.MedianTimeToFirstResponse);
        var consumerList = await s.Consumer.GetFromJsonAsync<PartyDisputes>($"/api/consumers/{s.ConsumerId}/disputes", Scenario.Json);
        Assert.Equal(id, Assert.Single(consumerList!.Disputes).DisputeId);
    }

    [Fact]
    public async Task Opening_the_same_dispute_again_returns_the_open_one()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var first = await s.OpenDisputeAsync();
        var second = await s.Consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = s.OrderId, category = "Defect", requestedRemedy = "Repair", claimedAmount = 10, description = "again",
        });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(first.DisputeId, (await second.Content.ReadFromJsonAsync<DisputeView>(Scenario.Json))!.DisputeId);
    }

    [Fact]
    public async Task The_consumer_withdraws_and_the_dispute_closes()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        var withdrawn = await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{dispute.DisputeId}/withdraw", null));
        Assert.Equal(DisputeState.Withdrawn, withdrawn.State);
        var view = await s.Merchant.GetFromJsonAsync<DisputeView>($"/api/disputes/{dispute.DisputeId}", Scenario.Json);
        Assert.Equal([DisputeAction.GiveFeedback], view!.AllowedActions);
    }

    [Fact]
    public async Task A_retry_with_the_same_Idempotency_Key_returns_the_first_answer_and_creates_nothing()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        var url = $"/api/disputes/{dispute.DisputeId}/messages";

        async Task<HttpResponseMessage> Send(string text)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { text }) };
            request.Headers.Add("Idempotency-Key", "retry-42");
            return await s.Consumer.SendAsync(request);
        }

        var first = await Scenario.EventAsync(await Send("Is anyone there?"));
        var retry = await Send("Is anyone there?");
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Seq, (await Scenario.EventAsync(retry)).Seq);

        var different = await Send("Something else");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, different.StatusCode);
        Assert.Equal("application/problem+json", different.Content.Headers.ContentType?.MediaType);

        var timeline = await s.TimelineAsync(dispute.DisputeId);
        Assert.Single(timeline, e => e.Type == DisputeEventType.Message);
    }

    [Fact]
    public async Task The_service_describes_itself_with_OpenAPI_and_answers_health_checks()
    {
        using var client = fixture.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        var openApi = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/disputes/{disputeId}/offers/{seq}/accept", openApi);
    }
}
