using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Mediation.Api.Tests;

/// <summary>A closed case stays closed: an order's dispute that ended cannot be replaced by a new one.</summary>
[Collection(ApiCollection.Name)]
public sealed class ClosedDisputeTests(ApiFixture fixture)
{
    private static object Again(Scenario s) => new
    {
        orderId = s.OrderId, category = "Defect", requestedRemedy = "FullRefund", claimedAmount = 199, description = "Opening it again.",
    };

    [Fact]
    public async Task A_settled_dispute_cannot_be_opened_again_on_the_same_order()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var first = await s.OpenDisputeAsync();
        var offer = await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{first.DisputeId}/offers", new { remedy = "PartialRefund", amount = 80 }));
        await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{first.DisputeId}/offers/{offer.Seq}/accept", null));
        Assert.Equal(DisputeState.Enforcing, (await s.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{first.DisputeId}", Scenario.Json))!.State);

        await AssertRefusedAsync(s, first.DisputeId, "enforcing");
    }

    [Fact]
    public async Task A_withdrawn_dispute_cannot_be_opened_again_on_the_same_order()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var first = await s.OpenDisputeAsync();
        await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{first.DisputeId}/withdraw", null));

        await AssertRefusedAsync(s, first.DisputeId, "withdrawn");
    }

    [Fact]
    public async Task An_open_dispute_is_returned_instead_of_a_second_one()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var first = await s.OpenDisputeAsync();
        var again = await s.Consumer.PostAsJsonAsync("/api/disputes", Again(s));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.DisputeId, (await again.Content.ReadFromJsonAsync<DisputeView>(Scenario.Json))!.DisputeId);
    }

    private async Task AssertRefusedAsync(Scenario s, string firstId, string state)
    {
        var before = await s.TimelineAsync(firstId);
        var again = await s.Consumer.PostAsJsonAsync("/api/disputes", Again(s));
        var body = await again.Content.ReadAsStringAsync();
        Assert.True(again.StatusCode == HttpStatusCode.Conflict, $"{(int)again.StatusCode}: {body}");
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(firstId, detail);
        Assert.Contains(state, detail);

        var list = await s.Consumer.GetFromJsonAsync<PartyDisputes>($"/api/consumers/{s.ConsumerId}/disputes", Scenario.Json);
        Assert.Equal([firstId], list!.Disputes.Select(d => d.DisputeId));
        Assert.Equal(before.Count, (await s.TimelineAsync(firstId)).Count);
    }
}
