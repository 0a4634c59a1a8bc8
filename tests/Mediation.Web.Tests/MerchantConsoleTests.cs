using System.Net;
using System.Net.Http.Json;

namespace Mediation.Web.Tests;

/// <summary>A store of its own with paid orders from several consumers, created through REST as the platform would.</summary>
public sealed class TestStore(ApiFactory app, string city = "Hangzhou")
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private int _orders;

    public string MerchantId => $"m-{_id}";
    public HttpClient Merchant => field ??= app.As(MerchantId, "merchant");

    private readonly Dictionary<string, string> _consumers = [];

    private string ConsumerOf(int order) => $"c-{_id}-{order}";

    /// <summary>The consumer who opened the dispute.</summary>
    public string ConsumerId(string disputeId) => _consumers[disputeId];

    /// <summary>A paid order from a new consumer and the dispute that consumer opens on it; answers (disputeId, consumer).</summary>
    public async Task<(string DisputeId, HttpClient Consumer)> DisputeAsync(decimal total = 200m)
    {
        var n = ++_orders;
        var consumerId = ConsumerOf(n);
        using var ops = app.As("platform", "ops");
        var order = await ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = $"o-{_id}-{n}", consumerId, merchantId = MerchantId, storeName = "Test Tea House", city,
            items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = total / 2 } },
            total, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
        });
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        var consumer = app.As(consumerId, "consumer");
        var opened = await consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = $"o-{_id}-{n}", category = "Quality", requestedRemedy = "FullRefund", claimedAmount = total,
            description = $"Tins of order {n} arrived crushed.",
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var view = (await opened.Content.ReadFromJsonAsync<DisputeView>(MediationJson.Options))!;
        _consumers[view.DisputeId] = consumerId;
        return (view.DisputeId, consumer);
    }
}

[Collection(WebCollection.Name)]
public sealed class MerchantConsoleTests(BrowserFixture fixture)
{
    private ApiFactory App => fixture.App;

    private static ILocator Row(IPage page, string disputeId) => page.Locator($"#disputes > li[data-dispute-id='{disputeId}']");

    private static async Task ExpectOrderAsync(IPage page, params string[] disputeIds)
    {
        var rows = page.Locator("#disputes > li");
        await Expect(rows).ToHaveCountAsync(disputeIds.Length);
        for (var i = 0; i < disputeIds.Length; i++) await Expect(rows.Nth(i)).ToHaveAttributeAsync("data-dispute-id", disputeIds[i]);
    }

    [Fact]
    public async Task Console_with_three_live_disputes_shows_a_message_in_the_right_row_with_its_unread_count_and_resorts_by_urgency()
    {
        var store = new TestStore(App);
        var (first, _) = await store.DisputeAsync();
        var (second, secondConsumer) = await store.DisputeAsync();
        var (third, _) = await store.DisputeAsync();

        await using var context = await fixture.Browser.SignedInContextAsync(App.BaseAddress, store.MerchantId, "merchant", Viewport.Desktop);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/merchant.html");

        // Three disputes awaiting the merchant: the first opened has the nearest first-answer deadline.
        await ExpectOrderAsync(page, first, second, third);
        await Expect(Row(page, first).Locator(".deadline-kind")).ToContainTextAsync("first answer due");
        await Expect(Row(page, first).Locator(".countdown")).ToContainTextAsync("left");
        var unread = async (string id) => int.Parse((await Row(page, id).Locator(".unread").GetAttributeAsync("data-unread"))!);
        var (firstUnread, secondUnread, thirdUnread) = (await unread(first), await unread(second), await unread(third));
        Assert.True(secondUnread > 0, "a new dispute is unread");
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("live");

        // A consumer writes in the second dispute: its row, and only its row, counts one more unread.
        Assert.Equal(HttpStatusCode.Created, (await secondConsumer.PostAsJsonAsync($"/api/disputes/{second}/messages", new { text = "Hello? Any news?" })).StatusCode);
        await Expect(Row(page, second).Locator(".unread")).ToHaveTextAsync((secondUnread + 1).ToString());
        await Expect(Row(page, second).Locator(".row-news")).ToHaveTextAsync("Message");
        await Expect(Row(page, first).Locator(".unread")).ToHaveAttributeAsync("data-unread", firstUnread.ToString());
        await Expect(Row(page, third).Locator(".unread")).ToHaveAttributeAsync("data-unread", thirdUnread.ToString());

        // The merchant answers the most urgent dispute from another device: it now runs against the negotiation
        // window (days away), so it drops to the end of the list.
        Assert.Equal(HttpStatusCode.Created, (await store.Merchant.PostAsJsonAsync($"/api/disputes/{first}/messages", new { text = "We are on it." })).StatusCode);
        await ExpectOrderAsync(page, second, third, first);
        await Expect(Row(page, first).Locator(".state")).ToHaveTextAsync("Negotiating");

        // Opening the second conversation shows the message and reads it; a typed draft survives switching away and back.
        await Row(page, second).GetByRole(AriaRole.Button).ClickAsync();
        var secondPane = page.Locator($"#pane-{second}");
        await Expect(secondPane.Locator(".timeline")).ToContainTextAsync("Hello? Any news?");
        await Expect(Row(page, second).Locator(".unread")).ToBeHiddenAsync();
        await secondPane.GetByLabel("Reply", new() { Exact = true }).FillAsync("Half-written answer");
        await Row(page, third).GetByRole(AriaRole.Button).ClickAsync();
        await Expect(page.Locator($"#pane-{third}")).ToBeVisibleAsync();
        await Expect(secondPane).ToBeHiddenAsync();
        await page.Locator($"#tab-{second}").ClickAsync();
        await Expect(secondPane.GetByLabel("Reply", new() { Exact = true })).ToHaveValueAsync("Half-written answer");

        // The store's policy as one click: a partial refund of 20 % of the 200.00 claim reaches the timeline.
        await secondPane.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Partial refund 20 %") }).ClickAsync();
        await Expect(secondPane.Locator(".timeline .ev-Offer")).ToContainTextAsync("Partial refund CN¥40.00");
        await Expect(secondPane.Locator(".cards")).ToContainTextAsync("Your offer: Partial refund CN¥40.00");
    }
}

[Collection(WebCollection.Name)]
public sealed class MerchantReturnTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Return_and_refund_from_the_policy_then_the_returned_parcel_is_acknowledged_from_the_console()
    {
        var app = fixture.App;
        var store = new TestStore(app);
        using var ops = app.As("platform", "ops");
        Assert.Equal(HttpStatusCode.OK, (await ops.PutAsJsonAsync($"/api/merchants/{store.MerchantId}/profile",
            new { verified = true, city = "Hangzhou", returnAddress = "1 Tea Street, Hangzhou" })).StatusCode);
        var (disputeId, consumer) = await store.DisputeAsync(200m);

        await using var context = await fixture.Browser.SignedInContextAsync(app.BaseAddress, store.MerchantId, "merchant", Viewport.Desktop);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/merchant.html");
        await page.Locator($"#disputes > li[data-dispute-id='{disputeId}']").GetByRole(AriaRole.Button).ClickAsync();
        var pane = page.Locator($"#pane-{disputeId}");

        // One click on the store's policy offers a return and refund of the whole claim; the consumer accepts it.
        await pane.GetByRole(AriaRole.Button, new() { Name = "Return and refund · CN¥200.00" }).ClickAsync();
        var offer = pane.Locator(".timeline .ev-Offer");
        await Expect(offer).ToContainTextAsync("Return and refund CN¥200.00");
        var offerSeq = await offer.GetAttributeAsync("data-seq");
        Assert.Equal(HttpStatusCode.Created, (await consumer.PostAsync($"/api/disputes/{disputeId}/offers/{offerSeq}/accept", null)).StatusCode);
        await Expect(pane.Locator(".case-head .state")).ToHaveTextAsync("Awaiting return");

        // The consumer ships the goods back: the console asks the merchant to acknowledge them.
        Assert.Equal(HttpStatusCode.Created, (await consumer.PostAsJsonAsync($"/api/disputes/{disputeId}/return-shipment",
            new { carrier = "SF Express", trackingNumber = "SF123456789" })).StatusCode);
        var card = pane.Locator(".card.return");
        await Expect(card).ToContainTextAsync("with SF Express, tracking SF123456789");
        await card.GetByLabel("Condition").SelectOptionAsync("AsExpected");
        await card.GetByRole(AriaRole.Button, new() { Name = "Acknowledge return" }).ClickAsync();

        await Expect(pane.Locator(".timeline .ev-ReturnReceived")).ToContainTextAsync("Return received: as expected");
        await Expect(pane.Locator(".card.return")).ToHaveCountAsync(0);
    }
}
