using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Mediation.Testing;

/// <summary>A paid order with its consumer and merchant, the way the README's walk-through makes one.</summary>
public sealed class Scenario
{
    public static readonly JsonSerializerOptions Json = MediationJson.Options;

    public required string OrderId { get; init; }
    public required string ConsumerId { get; init; }
    public required string MerchantId { get; init; }
    public required HttpClient Ops { get; init; }
    public required HttpClient Consumer { get; init; }
    public required HttpClient Merchant { get; init; }

    public static async Task<Scenario> PaidOrderAsync(Func<string, string, HttpClient> clientFor, decimal total = 199m)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var scenario = new Scenario
        {
            OrderId = $"o-{id}", ConsumerId = $"c-{id}", MerchantId = $"m-{id}",
            Ops = clientFor("platform", "ops"),
            Consumer = clientFor($"c-{id}", "consumer"),
            Merchant = clientFor($"m-{id}", "merchant"),
        };
        var response = await scenario.Ops.PostAsJsonAsync("/api/orders", scenario.OrderBody(total));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return scenario;
    }

    public object OrderBody(decimal total = 199m) => new
    {
        orderId = OrderId, consumerId = ConsumerId, merchantId = MerchantId,
        storeName = "Lakeside Tea House", city = "Hangzhou",
        items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = total / 2 } },
        total, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
    };

    public async Task<DisputeView> OpenDisputeAsync(decimal claimed = 199m)
    {
        var response = await Consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = OrderId, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = claimed,
            description = "The tea tins arrived crushed and damp.",
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DisputeView>(Json))!;
    }

    public static async Task<DisputeEvent> EventAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<DisputeEvent>(Json))!;
    }

    public async Task<IReadOnlyList<DisputeEvent>> TimelineAsync(string disputeId, HttpClient? client = null, long afterSeq = 0) =>
        (await (client ?? Consumer).GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{disputeId}/events?afterSeq={afterSeq}", Json))!;
}
