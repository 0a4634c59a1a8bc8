namespace Mediation.Web.Tests;

[Collection(WebCollection.Name)]
public sealed class MerchantCityPolicyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task The_consoles_one_click_offers_are_the_disputes_city_policy()
    {
        var app = fixture.App;
        // Lanzhou's seeded policy (appsettings.json): full refund, return and refund, partial refund 15 %.
        var store = new TestStore(app, "Lanzhou");
        var (disputeId, _) = await store.DisputeAsync(200m);

        await using var context = await fixture.Browser.SignedInContextAsync(app.BaseAddress, store.MerchantId, "merchant", Viewport.Desktop);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/merchant.html");
        await page.Locator($"#disputes > li[data-dispute-id='{disputeId}']").GetByRole(AriaRole.Button).ClickAsync();
        var pane = page.Locator($"#pane-{disputeId}");

        await Expect(pane.Locator(".offers")).ToContainTextAsync("Standard return policy (Lanzhou)");
        await Expect(pane.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Partial refund") }))
            .ToHaveTextAsync("Partial refund 15 % · CN¥30.00");
        await pane.GetByRole(AriaRole.Button, new() { Name = "Partial refund 15 % · CN¥30.00" }).ClickAsync();
        await Expect(pane.Locator(".timeline .ev-Offer")).ToContainTextAsync("Partial refund CN¥30.00");
    }
}
