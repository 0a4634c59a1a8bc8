using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Mediation.Api.Tests;

/// <summary>Each bad request gets a ProblemDetails with the right status and a clear message, and changes nothing.</summary>
[Collection(ApiCollection.Name)]
public sealed class BadInputTests(ApiFixture fixture)
{
    private async Task<(Scenario S, DisputeView Dispute)> OpenAsync()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        // The merchant answers with an offer, so the dispute is negotiating with seq 1..3.
        await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/offers", new { remedy = "PartialRefund", amount = 50 }));
        return (s, dispute);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        var text = problem.TryGetProperty("detail", out var detail) ? detail.GetString() : body;
        Assert.Contains(mentions, text ?? body, StringComparison.OrdinalIgnoreCase);
        return problem;
    }

    private static async Task AssertUnchangedAsync(Scenario s, string disputeId, long lastSeq = 3, DisputeState state = DisputeState.Negotiating)
    {
        var timeline = await s.TimelineAsync(disputeId);
        Assert.Equal(lastSeq, timeline[^1].Seq);
        var view = await s.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json);
        Assert.Equal(state, view!.State);
    }

    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Unknown_order_is_404()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var response = await s.Consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = "o-does-not-exist", category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 1, description = "x",
        });
        await ProblemAsync(response, HttpStatusCode.NotFound, "order o-does-not-exist does not exist");
        var list = await s.Consumer.GetFromJsonAsync<PartyDisputes>($"/api/consumers/{s.ConsumerId}/disputes", Scenario.Json);
        Assert.Empty(list!.Disputes);
    }

    [Fact]
    public async Task Unknown_dispute_is_404()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        await ProblemAsync(await s.Consumer.GetAsync("/api/disputes/d-nope"), HttpStatusCode.NotFound, "does not exist");
        await ProblemAsync(await s.Consumer.PostAsJsonAsync("/api/disputes/d-nope/messages", new { text = "hi" }), HttpStatusCode.NotFound, "does not exist");
    }

    [Fact]
    public async Task A_party_not_on_the_dispute_is_403_for_reading_and_acting()
    {
        var (s, d) = await OpenAsync();
        var stranger = fixture.Factory.As("c-stranger", "consumer");
        await ProblemAsync(await stranger.GetAsync($"/api/disputes/{d.DisputeId}"), HttpStatusCode.Forbidden, "not a party");
        await ProblemAsync(await stranger.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/messages", new { text = "hi" }), HttpStatusCode.Forbidden, "not a party");
        var otherMerchant = fixture.Factory.As("m-stranger", "merchant");
        await ProblemAsync(await otherMerchant.GetAsync($"/api/merchants/{s.MerchantId}/disputes"), HttpStatusCode.Forbidden, "may not list");
        await ProblemAsync(await otherMerchant.GetAsync($"/api/disputes/{d.DisputeId}/events?afterSeq=0"), HttpStatusCode.Forbidden, "not a party");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task Another_consumer_cannot_open_a_dispute_on_someone_elses_order()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var stranger = fixture.Factory.As("c-stranger", "consumer");
        var response = await stranger.PostAsJsonAsync("/api/disputes", new
        {
            orderId = s.OrderId, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 1, description = "mine now",
        });
        await ProblemAsync(response, HttpStatusCode.Forbidden, "only the consumer who paid");
        var list = await s.Merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{s.MerchantId}/disputes", Scenario.Json);
        Assert.Empty(list!.Disputes);
    }

    [Fact]
    public async Task An_invalid_transition_is_409()
    {
        var (s, d) = await OpenAsync();
        // The merchant cannot accept its own offer, and the consumer cannot escalate within the window.
        await ProblemAsync(await s.Merchant.PostAsync($"/api/disputes/{d.DisputeId}/offers/2/accept", null), HttpStatusCode.Conflict, "other party");
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/escalate", null), HttpStatusCode.Conflict, "negotiation window");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task An_action_the_callers_role_never_takes_is_403()
    {
        var (s, d) = await OpenAsync();
        await ProblemAsync(await s.Merchant.PostAsync($"/api/disputes/{d.DisputeId}/withdraw", null), HttpStatusCode.Forbidden, "only the consumer");
        await ProblemAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/proposals", new { remedy = "FullRefund", amount = 1m, text = "x" }),
            HttpStatusCode.Forbidden, "only the assigned mediator");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task Accepting_an_offer_that_is_not_the_open_one_is_refused()
    {
        var (s, d) = await OpenAsync();
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/offers/1/accept", null), HttpStatusCode.Conflict, "not the open offer");
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/offers/99/accept", null), HttpStatusCode.NotFound, "no event 99");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task A_negative_amount_is_400()
    {
        var (s, d) = await OpenAsync();
        var response = await s.Consumer.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/offers", new { remedy = "PartialRefund", amount = -5 });
        await ProblemAsync(response, HttpStatusCode.BadRequest, "must not be negative");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task An_amount_above_the_order_total_is_400()
    {
        var (s, d) = await OpenAsync();
        var response = await s.Consumer.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/offers", new { remedy = "Compensation", amount = 5000 });
        await ProblemAsync(response, HttpStatusCode.BadRequest, "above the order total");
        var claim = await s.Consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = s.OrderId, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 1e30, description = "x",
        });
        Assert.Equal(HttpStatusCode.BadRequest, claim.StatusCode);
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task Text_over_the_limit_is_400()
    {
        var (s, d) = await OpenAsync();
        var response = await s.Consumer.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/messages", new { text = new string('x', 2001) });
        await ProblemAsync(response, HttpStatusCode.BadRequest, "the limit is 2000");
        await ProblemAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/messages", new { text = "   " }), HttpStatusCode.BadRequest, "must not be empty");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task Malformed_JSON_is_400()
    {
        var (s, d) = await OpenAsync();
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/messages", Raw("{\"text\": ")), HttpStatusCode.BadRequest, "not valid JSON");
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/messages", Raw("{}")), HttpStatusCode.BadRequest, "text");
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/offers", Raw("{\"remedy\":\"FreeMoney\",\"amount\":1}")), HttpStatusCode.BadRequest, "not valid JSON");
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/offers", Raw("{\"remedy\":\"Repair\",\"amount\":\"lots\"}")), HttpStatusCode.BadRequest, "not valid JSON");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task A_huge_payload_is_413()
    {
        var (s, d) = await OpenAsync();
        var huge = JsonSerializer.Serialize(new { text = new string('x', 200_000) });
        await ProblemAsync(await s.Consumer.PostAsync($"/api/disputes/{d.DisputeId}/messages", Raw(huge)), HttpStatusCode.RequestEntityTooLarge, "too large");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task Missing_or_invalid_identity_is_401()
    {
        var (s, d) = await OpenAsync();
        using var anonymous = fixture.Factory.CreateClient();
        await ProblemAsync(await anonymous.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/messages", new { text = "hi" }), HttpStatusCode.Unauthorized, "Authorization: Bearer");
        var badRole = fixture.Factory.As(s.ConsumerId, "emperor");
        await ProblemAsync(await badRole.PostAsJsonAsync($"/api/disputes/{d.DisputeId}/messages", new { text = "hi" }), HttpStatusCode.Unauthorized, "role must be one of");
        await AssertUnchangedAsync(s, d.DisputeId);
    }

    [Fact]
    public async Task A_conflicting_order_is_refused_with_409_and_the_first_one_stands()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var response = await s.Ops.PostAsJsonAsync("/api/orders", s.OrderBody(total: 999m));
        await ProblemAsync(response, HttpStatusCode.Conflict, "immutable");
        var order = await s.Consumer.GetFromJsonAsync<Order>($"/api/orders/{s.OrderId}", Scenario.Json);
        Assert.Equal(199m, order!.Total);
    }

    [Fact]
    public async Task An_invalid_order_is_400_with_each_field_named()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var response = await s.Ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = "o bad id", consumerId = "c1", merchantId = "m1", storeName = "", city = "Hangzhou",
            items = Array.Empty<object>(), total = -1, currency = "yuan", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
        });
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "not valid");
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "orderId", "storeName", "items", "total", "currency" })
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}");
        var consumerPush = await s.Consumer.PostAsJsonAsync("/api/orders", s.OrderBody());
        await ProblemAsync(consumerPush, HttpStatusCode.Forbidden, "ops");
    }
}
