using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace Mediation.Web.Tests;

/// <summary>
/// The whole negotiation through the pages only: the consumer's page and the merchant's console in two browser
/// contexts of their own, and a regulator's dashboard in a third, each seeing the others' actions live.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class TwoPartiesTests(BrowserFixture fixture)
{
    private static ILocator Figure(IPage page, string name) => page.Locator($"[data-figure=\"{name}\"]");

    [Fact]
    public async Task Consumer_and_merchant_in_two_browsers_negotiate_to_a_settlement_live_and_the_dashboard_figures_move()
    {
        var app = fixture.App;
        // A city, consumer, merchant and order of this test's own, so the dashboard's figures start at zero.
        var id = Guid.NewGuid().ToString("N")[..10];
        var city = $"Twotown-{id}";
        var (consumerId, merchantId, orderId) = ($"c-{id}", $"m-{id}", $"o-{id}");

        // Context 3, opened before the dispute: the regulator's dashboard for that city.
        await using var regulator = await fixture.Browser.SignedInContextAsync(app.BaseAddress, "reg-zhejiang", "regulator", Viewport.Desktop);
        var dashboard = await regulator.NewPageAsync();
        await dashboard.GotoAsync($"/dashboard.html?city={city}");
        await Expect(dashboard.GetByRole(AriaRole.Status)).ToContainTextAsync("Updated");
        await Expect(Figure(dashboard, "opened")).ToHaveTextAsync("0");
        await Expect(Figure(dashboard, "settled")).ToHaveTextAsync("0");

        // The payment platform pushes the paid order.
        using var ops = app.As("ops-platform", "ops");
        var order = await ops.PostAsJsonAsync("/api/orders", new
        {
            orderId, consumerId, merchantId, storeName = "Twotown Teas", city,
            items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = 100m } }, total = 200m, currency = "CNY",
            paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
        });
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);

        // Context 2: the merchant's console, open before the dispute exists, with nothing to do.
        await using var merchantContext = await fixture.Browser.SignedInContextAsync(app.BaseAddress, merchantId, "merchant", Viewport.Desktop);
        var console = await merchantContext.NewPageAsync();
        await console.GotoAsync("/merchant.html");
        await Expect(console.GetByRole(AriaRole.Status)).ToHaveTextAsync("live");
        await Expect(console.Locator("#disputes > li")).ToHaveCountAsync(0);

        // Context 1: the consumer starts a resolution from the order and sends it.
        await using var consumerContext = await fixture.Browser.SignedInContextAsync(app.BaseAddress, consumerId, "consumer");
        var consumer = await consumerContext.NewPageAsync();
        await consumer.GotoAsync($"/consumer.html?order={orderId}");
        await consumer.GetByRole(AriaRole.Button, new() { Name = $"Start resolution for Twotown Teas order {orderId}" }).ClickAsync();
        await Expect(consumer.GetByLabel("Amount (CNY)")).ToHaveValueAsync("200.00");
        await consumer.GetByLabel("What went wrong").SelectOptionAsync("DamagedInTransport");
        await consumer.GetByLabel("Describe the problem").FillAsync("Both tins arrived crushed.");
        await consumer.GetByRole(AriaRole.Button, new() { Name = "Send to the store" }).ClickAsync();
        var chat = consumer.Locator("mediation-chat");
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("awaiting merchant");
        var disputeId = await chat.GetAttributeAsync("dispute-id");
        Assert.False(string.IsNullOrEmpty(disputeId));

        // The new dispute appears in the console's list without a reload; the dashboard counts it as opened.
        var row = console.Locator($"#disputes > li[data-dispute-id='{disputeId}']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row.Locator(".row-title")).ToHaveTextAsync($"Order {orderId}");
        await Expect(Figure(dashboard, "opened")).ToHaveTextAsync("1");
        await Expect(Figure(dashboard, "settled")).ToHaveTextAsync("0");

        // The merchant opens it and writes: the consumer's page shows the message.
        await row.GetByRole(AriaRole.Button).ClickAsync();
        var pane = console.Locator($"#pane-{disputeId}");
        await Expect(pane.Locator(".timeline")).ToContainTextAsync("Both tins arrived crushed.");
        await pane.GetByLabel("Reply", new() { Exact = true }).FillAsync("So sorry! We will make it right.");
        await pane.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        await Expect(chat.GetByText("So sorry! We will make it right.")).ToBeVisibleAsync();

        // The merchant offers 20 % from the store's policy: the consumer sees the store's offer card.
        await pane.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Partial refund 20 %") }).ClickAsync();
        await Expect(pane.Locator(".cards")).ToContainTextAsync("Your offer: Partial refund CN¥40.00");
        var storeOffer = chat.Locator("article.offer").Filter(new() { HasText = "Store's offer" });
        await Expect(storeOffer).ToContainTextAsync("40.00");
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("negotiating");

        // The consumer counters with 120: the console shows the counter with an Accept button.
        await storeOffer.GetByRole(AriaRole.Button, new() { Name = "Counter" }).ClickAsync();
        await chat.GetByLabel("Amount").FillAsync("120");
        await chat.GetByRole(AriaRole.Button, new() { Name = "Send offer" }).ClickAsync();
        var counter = pane.Locator(".cards .card.offer.theirs");
        await Expect(counter).ToContainTextAsync("The consumer asks for: Partial refund CN¥120.00");
        await Expect(storeOffer).ToContainTextAsync("no longer open");

        // The merchant accepts: both pages show the settlement and the state after it.
        await counter.GetByRole(AriaRole.Button, new() { Name = "Accept", Exact = true }).ClickAsync();
        await Expect(pane.Locator(".cards .card.outcome")).ToContainTextAsync("Settled: Partial refund CN¥120.00");
        await Expect(pane.Locator(".timeline .ev-OfferAccepted")).ToContainTextAsync("accepted");
        await Expect(chat.GetByText("Store accepted the offer")).ToBeVisibleAsync();
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("enforcing");
        await Expect(pane.Locator(".case-head .state")).ToHaveTextAsync("Being carried out");

        // The dashboard, never reloaded, counts it as settled by the parties.
        await Expect(Figure(dashboard, "settled")).ToHaveTextAsync("1");
        await Expect(Figure(dashboard, "rate")).ToHaveTextAsync("100%");
        await Expect(Figure(dashboard, "opened")).ToHaveTextAsync("1");
    }
}
