namespace Mediation.Web.Tests;

/// <summary>The demo's older disputes, opened days ago on the demo clock: one in mediation with evidence, one ruled and carried out.</summary>
[Collection(WebCollection.Name)]
public sealed class DemoDataTests(BrowserFixture fixture)
{
    [Fact]
    public async Task The_demo_has_a_dispute_in_mediation_with_evidence_and_one_ruled_and_carried_out()
    {
        using var li = fixture.App.As("c-li", "consumer");
        var inMediation = await DisputeOfOrderAsync(li, "c-li", "o-demo-1004");
        Assert.Equal(DisputeState.InMediation, inMediation.State);
        var qipao = await li.GetJsonAsync<DisputeView>($"/api/disputes/{inMediation.DisputeId}");
        Assert.Contains(qipao!.MediatorId, DemoPeopleIn("Hangzhou"));
        var qipaoTimeline = await li.GetJsonAsync<List<DisputeEvent>>($"/api/disputes/{inMediation.DisputeId}/events");
        Assert.Contains(qipaoTimeline!, e => e.Type == DisputeEventType.EvidenceAdded && e.AuthorId == "c-li");
        // Opened before the 72 h negotiation window that escalation waits for.
        Assert.True(qipao.OpenedAt < DateTimeOffset.UtcNow.AddHours(-72), $"opened at {qipao.OpenedAt:u}");

        using var zhang = fixture.App.As("c-zhang", "consumer");
        var ruled = await DisputeOfOrderAsync(zhang, "c-zhang", "o-demo-2003");
        Assert.Contains(ruled.State, new[] { DisputeState.Enforcing, DisputeState.Closed });
        var cakeTimeline = await zhang.GetJsonAsync<List<DisputeEvent>>($"/api/disputes/{ruled.DisputeId}/events");
        Assert.Contains(cakeTimeline!, e => e.Type == DisputeEventType.Ruled && e.AuthorId == "med-chen");
        // The demo clock is back at the system's time: nothing on the timeline is in the future.
        Assert.All(cakeTimeline!, e => Assert.True(e.At <= DateTimeOffset.UtcNow.AddMinutes(1), $"{e.Type} at {e.At:u}"));
    }

    private static string[] DemoPeopleIn(string city) => Mediation.Api.Demo.DemoPeople.Mediators[city];

    private static async Task<DisputeSummary> DisputeOfOrderAsync(HttpClient consumer, string consumerId, string orderId)
    {
        var list = await consumer.GetJsonAsync<PartyDisputes>($"/api/consumers/{consumerId}/disputes");
        return Assert.Single(list!.Disputes, d => d.OrderId == orderId);
    }
}
