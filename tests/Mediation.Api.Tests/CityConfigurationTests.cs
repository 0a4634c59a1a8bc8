using System.Net;
using System.Net.Http.Json;

namespace Mediation.Api.Tests;

/// <summary>
/// The real app with one more city than appsettings.json seeds, added purely through configuration: its own first
/// response deadline, a one-second negotiation window, its own mediator and its own standard return policy.
/// </summary>
public sealed class CityConfigurationFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();

    public Task InitializeAsync()
    {
        foreach (var (key, value) in CityConfigurationTests.Zhuhai(firstResponse: "06:00:00")) Factory.Settings[key] = value;
        // Cities nobody configured escalate to Zhuhai's desk, after a one-second window.
        Factory.Settings["Mediation:FallbackDesk"] = "Zhuhai";
        Factory.Settings["Mediation:Deadlines:NegotiationWindow"] = "00:00:01";
        Factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

public sealed class CityConfigurationTests(CityConfigurationFixture fixture) : IClassFixture<CityConfigurationFixture>
{
    private ApiFactory Factory => fixture.Factory;

    public static Dictionary<string, string?> Zhuhai(string firstResponse) => new()
    {
        ["Mediation:Cities:Zhuhai:Mediators:0"] = "med-zh1",
        ["Mediation:Cities:Zhuhai:Deadlines:FirstResponse"] = firstResponse,
        ["Mediation:Cities:Zhuhai:Deadlines:NegotiationWindow"] = "00:00:01",
        ["Mediation:Cities:Zhuhai:ReturnPolicy:NoReasonReturnDays"] = "10",
        ["Mediation:Cities:Zhuhai:ReturnPolicy:Offers:0:Remedy"] = "Exchange",
        ["Mediation:Cities:Zhuhai:ReturnPolicy:Offers:0:Share"] = "0",
        ["Mediation:Cities:Zhuhai:ReturnPolicy:Offers:1:Remedy"] = "PartialRefund",
        ["Mediation:Cities:Zhuhai:ReturnPolicy:Offers:1:Share"] = "0.5",
    };

    private static async Task<(DisputeView Dispute, HttpClient Consumer, HttpClient Merchant)> OpenAsync(ApiFactory factory, string city)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var consumer = factory.As($"c-{id}", "consumer");
        var merchant = factory.As($"m-{id}", "merchant");
        var order = await factory.As("platform", "ops").PostAsJsonAsync("/api/orders", new
        {
            orderId = $"o-{id}", consumerId = $"c-{id}", merchantId = $"m-{id}", storeName = "Harbour Optics", city,
            items = new[] { new { name = "Sunglasses", spec = "polarised", quantity = 1, price = 300m } }, total = 300m, currency = "CNY",
            paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
        });
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        var opened = await consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = $"o-{id}", category = "Defect", requestedRemedy = "FullRefund", claimedAmount = 300m, description = "One lens is scratched.",
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        return ((await opened.Content.ReadFromJsonAsync<DisputeView>(Scenario.Json))!, consumer, merchant);
    }

    private static async Task<DisputeView> ViewAsync(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json))!;

    [Fact]
    public async Task A_city_added_by_configuration_sets_its_deadlines_return_policy_and_mediator_pool()
    {
        var (dispute, consumer, merchant) = await OpenAsync(Factory, "zhuhai");

        // Its deadlines: the merchant has the city's 6 hours, not the default 24.
        Assert.Equal(dispute.OpenedAt + TimeSpan.FromHours(6), dispute.Deadlines.MerchantRespondBy);
        Assert.Equal(dispute.OpenedAt + TimeSpan.FromSeconds(1), dispute.Deadlines.NegotiationEndsAt);
        Assert.Equal(dispute.OpenedAt + TimeSpan.FromDays(14), dispute.Deadlines.ExpiresAt); // not set by the city: the default

        // Its return policy, on the dispute the merchant sees and in the public API.
        var seen = await ViewAsync(merchant, dispute.DisputeId);
        Assert.Equal("Zhuhai", seen.Terms!.City);
        Assert.True(seen.Terms.Configured);
        Assert.Equal([new StandardOffer(Remedy.Exchange, 0m), new StandardOffer(Remedy.PartialRefund, 0.5m)], seen.Terms.ReturnPolicy.Offers);
        var city = (await merchant.GetFromJsonAsync<CityTerms>("/api/cities/Zhuhai", Scenario.Json))!;
        Assert.Equal(10, city.ReturnPolicy.NoReasonReturnDays);
        Assert.Equal(seen.Terms.ReturnPolicy.Offers, city.ReturnPolicy.Offers);
        Assert.Equal(TimeSpan.FromHours(6), city.Deadlines.FirstResponse);

        // Its mediator pool takes the escalated case.
        await Scenario.EventAsync(await merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "Please send a photo." }));
        await Poll.UntilAsync(async () => (await ViewAsync(consumer, dispute.DisputeId)).AllowedActions.Contains(DisputeAction.Escalate),
            TimeSpan.FromSeconds(15), "escalation allowed after the city's one-second window");
        await Scenario.EventAsync(await consumer.PostAsync($"/api/disputes/{dispute.DisputeId}/escalate", null));
        await Poll.UntilAsync(async () => (await ViewAsync(consumer, dispute.DisputeId)).MediatorId == "med-zh1",
            TimeSpan.FromSeconds(15), "the Zhuhai mediator taking the case");
        var queue = (await Factory.As("med-zh1", "mediator").GetFromJsonAsync<MediatorQueue>("/api/mediators/med-zh1/queue", Scenario.Json))!;
        Assert.Equal("Zhuhai", queue.City);
        Assert.Contains(queue.MyCases, c => c.DisputeId == dispute.DisputeId);
    }

    [Fact]
    public async Task The_five_pilot_cities_are_seeded_each_with_its_own_terms_and_an_unknown_city_gets_the_defaults()
    {
        var regulator = Factory.As("reg-1", "regulator");
        var cities = (await regulator.GetFromJsonAsync<CityTerms[]>("/api/cities", Scenario.Json))!.ToDictionary(c => c.City);
        Assert.Superset(new HashSet<string> { "Hangzhou", "Xiamen", "Nanning", "Taiyuan", "Lanzhou", "Zhuhai" }, cities.Keys.ToHashSet());
        Assert.Equal(TimeSpan.FromHours(24), cities["Hangzhou"].Deadlines.FirstResponse);
        Assert.Equal(ReturnPolicy.BuiltIn, cities["Hangzhou"].ReturnPolicy.Offers);
        Assert.Equal(TimeSpan.FromHours(12), cities["Xiamen"].Deadlines.FirstResponse);
        Assert.Equal(TimeSpan.FromDays(2), cities["Lanzhou"].Deadlines.FirstResponse);
        Assert.Contains(new StandardOffer(Remedy.PartialRefund, 0.15m), cities["Lanzhou"].ReturnPolicy.Offers);
        Assert.Equal(15, cities["Taiyuan"].ReturnPolicy.NoReasonReturnDays);
        Assert.Equal(TimeSpan.FromDays(2), cities["Nanning"].Deadlines.NegotiationWindow);
        Assert.Equal(TimeSpan.FromDays(14), cities["Nanning"].Deadlines.Expiry);

        // A city nobody configured is served on the national defaults rather than refused.
        var unknown = (await regulator.GetFromJsonAsync<CityTerms>("/api/cities/Kashgar", Scenario.Json))!;
        Assert.False(unknown.Configured);
        Assert.Equal(TimeSpan.FromHours(24), unknown.Deadlines.FirstResponse);
        var (dispute, consumer, merchant) = await OpenAsync(Factory, "Kashgar");
        Assert.Equal(dispute.OpenedAt + TimeSpan.FromHours(24), dispute.Deadlines.MerchantRespondBy);
        Assert.False(dispute.Terms!.Configured);
        Assert.Equal(ReturnPolicy.BuiltIn, dispute.Terms.ReturnPolicy.Offers);

        // Escalated, it goes to the fallback desk's mediators.
        await Scenario.EventAsync(await merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "Which lens?" }));
        await Poll.UntilAsync(async () => (await ViewAsync(consumer, dispute.DisputeId)).AllowedActions.Contains(DisputeAction.Escalate),
            TimeSpan.FromSeconds(15), "escalation allowed after the one-second window");
        await Scenario.EventAsync(await consumer.PostAsync($"/api/disputes/{dispute.DisputeId}/escalate", null));
        await Poll.UntilAsync(async () => (await ViewAsync(consumer, dispute.DisputeId)).MediatorId == "med-zh1",
            TimeSpan.FromSeconds(15), "the fallback desk's mediator taking the Kashgar case");

        var bad = await regulator.GetAsync("/api/cities/..%2Fetc");
        Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Changing_a_citys_deadline_moves_no_deadline_already_set()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("mediation-city-").FullName;
        try
        {
            string disputeId, consumerId;
            DateTimeOffset respondBy;
            await using (var before = new ApiFactory(dataDirectory))
            {
                foreach (var (key, value) in Zhuhai(firstResponse: "06:00:00")) before.Settings[key] = value;
                before.StartServer();
                var (dispute, _, _) = await OpenAsync(before, "Zhuhai");
                (disputeId, consumerId, respondBy) = (dispute.DisputeId, dispute.ConsumerId, dispute.Deadlines.MerchantRespondBy!.Value);
                Assert.Equal(dispute.OpenedAt + TimeSpan.FromHours(6), respondBy);
            }

            // The city now gives merchants 2 hours: the open dispute keeps its 6, a new one gets 2.
            await using var after = new ApiFactory(dataDirectory);
            foreach (var (key, value) in Zhuhai(firstResponse: "02:00:00")) after.Settings[key] = value;
            after.StartServer();
            var kept = (await after.As("med-zh1", "mediator").GetFromJsonAsync<CityTerms>("/api/cities/Zhuhai", Scenario.Json))!;
            Assert.Equal(TimeSpan.FromHours(2), kept.Deadlines.FirstResponse);
            var (fresh, _, _) = await OpenAsync(after, "Zhuhai");
            Assert.Equal(fresh.OpenedAt + TimeSpan.FromHours(2), fresh.Deadlines.MerchantRespondBy);
            var old = await ViewAsync(after.As(consumerId, "consumer"), disputeId);
            Assert.Equal(respondBy, old.Deadlines.MerchantRespondBy);
            Assert.Equal(TimeSpan.FromHours(6), old.Terms!.Deadlines.FirstResponse);
        }
        finally
        {
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
