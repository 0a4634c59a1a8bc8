using System.Net;
using System.Net.Http.Json;

namespace Mediation.Web.Tests;

/// <summary>The regulator's dashboard: figures that move while disputes move, without a reload.</summary>
[Collection(WebCollection.Name)]
public sealed class DashboardPageTests(BrowserFixture fixture)
{
    private static ILocator Figure(IPage page, string name) => page.Locator($"[data-figure=\"{name}\"]");

    [Fact]
    public async Task The_dashboard_figures_move_live_as_a_dispute_is_opened_and_settled()
    {
        // A city of this test's own, so the figures start at zero whatever else the app holds.
        var city = $"Figtown-{Guid.NewGuid():N}"[..16];
        var page = await fixture.Browser.SignedInPageAsync(fixture.App.BaseAddress, "reg-zhejiang", "regulator", $"/dashboard.html?city={city}", Viewport.Desktop);
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Updated");
        await Expect(Figure(page, "opened")).ToHaveTextAsync("0");
        await Expect(Figure(page, "settled")).ToHaveTextAsync("0");

        var id = Guid.NewGuid().ToString("N")[..10];
        using var ops = fixture.App.As("ops-platform", "ops");
        using var consumer = fixture.App.As($"c-{id}", "consumer");
        using var merchant = fixture.App.As($"m-{id}", "merchant");
        var order = await ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = $"o-{id}", consumerId = $"c-{id}", merchantId = $"m-{id}", storeName = "Figtown Teas", city,
            items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = 50m } }, total = 100m, currency = "CNY",
            paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
        });
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        var opened = await consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = $"o-{id}", category = "DamagedInTransport", requestedRemedy = "FullRefund", claimedAmount = 100m, description = "The tins arrived crushed.",
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var dispute = (await opened.Content.ReadFromJsonAsync<DisputeView>(MediationJson.Options))!;

        // Opened: the page shows it without a reload, and the merchant appears in the table.
        await Expect(Figure(page, "opened")).ToHaveTextAsync("1");
        await Expect(Figure(page, "settled")).ToHaveTextAsync("0");
        await Expect(page.Locator($"tr[data-merchant=\"m-{id}\"]")).ToBeVisibleAsync();

        var offer = await merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/offers", new { remedy = "PartialRefund", amount = 60 });
        Assert.Equal(HttpStatusCode.Created, offer.StatusCode);
        var offerSeq = (await offer.Content.ReadFromJsonAsync<DisputeEvent>(MediationJson.Options))!.Seq;
        var accepted = await consumer.PostAsync($"/api/disputes/{dispute.DisputeId}/offers/{offerSeq}/accept", null);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);

        // Settled by the parties: the figure and the rate move, still without a reload.
        await Expect(Figure(page, "settled")).ToHaveTextAsync("1");
        await Expect(Figure(page, "rate")).ToHaveTextAsync("100%");
        await Expect(Figure(page, "opened")).ToHaveTextAsync("1");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_party_signed_in_sees_the_dashboard_refuse_them()
    {
        var page = await fixture.Browser.SignedInPageAsync(fixture.App.BaseAddress, "c-li", "consumer", "/dashboard.html");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("may not see the regulator's figures");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Dashboard_screenshots_at_phone_and_desktop_width()
    {
        foreach (var viewport in Viewport.Both)
        {
            var page = await fixture.Browser.SignedInPageAsync(fixture.App.BaseAddress, "reg-zhejiang", "regulator", "/dashboard.html", viewport);
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Updated");
            await Expect(Figure(page, "opened")).Not.ToHaveTextAsync("–");
            var path = await page.ScreenshotAsync("dashboard", viewport);
            Assert.True(new FileInfo(path).Length > 0, path);
            await page.Context.CloseAsync();
        }
    }
}
