using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Mediation.Api.Tests;

/// <summary><c>GET /api/figures</c> against the real app: what a regulator reads, who may read it, and bad periods.</summary>
[Collection(ApiCollection.Name)]
public sealed class FiguresApiTests(ApiFixture fixture)
{
    private static readonly JsonSerializerOptions Json = MediationJson.Options;

    [Fact]
    public async Task A_dispute_settled_over_http_shows_in_the_regulators_figures_for_its_merchant_and_city()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var regulator = fixture.Factory.As("reg-hz", "regulator");
        var query = $"/api/figures?merchantId={s.MerchantId}&from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}";

        var before = (await regulator.GetFromJsonAsync<RegulatorFigures>(query, Json))!;
        Assert.Equal((0, 0), (before.Totals.Opened, before.Totals.SettledByParties));

        var dispute = await s.OpenDisputeAsync();
        var offer = await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/offers", new { remedy = "PartialRefund", amount = 60 }));
        await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{dispute.DisputeId}/offers/{offer.Seq}/accept", null));

        var after = (await regulator.GetFromJsonAsync<RegulatorFigures>(query, Json))!;
        Assert.Equal((1, 1, 0, 1.0), (after.Totals.Opened, after.Totals.SettledByParties, after.Totals.Escalated, after.Totals.ResolutionRateByParties));
        Assert.NotNull(after.Totals.MedianFirstResponse);
        Assert.Equal([("Hangzhou", 1)], after.Cities.Select(c => (c.City, c.Totals.Opened)));
        Assert.Equal([(DisputeCategory.Quality, 1)], after.TopCategories.Select(c => (c.Category, c.Disputes)));
        Assert.Equal(s.MerchantId, Assert.Single(after.Merchants).MerchantId);

        // The city filter: the same question about another city has nothing.
        var elsewhere = (await regulator.GetFromJsonAsync<RegulatorFigures>(query + "&city=Lanzhou", Json))!;
        Assert.Equal(0, elsewhere.Totals.Opened);

        // The platform's ops reads the same figures.
        var ops = (await s.Ops.GetFromJsonAsync<RegulatorFigures>(query, Json))!;
        Assert.Equal(1, ops.Totals.SettledByParties);
    }

    [Theory]
    [InlineData("consumer")]
    [InlineData("merchant")]
    [InlineData("mediator")]
    public async Task Parties_and_mediators_are_refused_the_figures(string role)
    {
        var response = await fixture.Factory.As("someone", role).GetAsync("/api/figures");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("from=2026-11-10&to=2026-11-01", "must start before it ends")]
    [InlineData("from=2026-11-01&to=2026-11-01", "must start before it ends")]
    [InlineData("from=2025-01-01&to=2026-11-01", "at most 366 days")]
    [InlineData("from=yesterday", "from is not an ISO 8601 date")]
    [InlineData("to=2026-13-45", "to is not an ISO 8601 date")]
    public async Task A_bad_period_is_a_problem_that_says_what_is_wrong(string parameters, string why)
    {
        var response = await fixture.Factory.As("reg-hz", "regulator").GetAsync("/api/figures?" + parameters);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(why, problem.RootElement.GetProperty("detail").GetString());
    }
}
