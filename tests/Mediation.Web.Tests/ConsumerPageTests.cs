using Microsoft.AspNetCore.SignalR.Client;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mediation.Web.Tests;

/// <summary>
/// The consumer's page (phone layout) and its chat, live against a merchant. The merchant side is driven over REST
/// and the hub from the test (the merchant console is its own page and has its own tests).
/// </summary>
[Collection(WebCollection.Name)]
public sealed class ConsumerPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Consumer_starts_a_resolution_from_an_order_and_both_sides_see_each_other_live()
    {
        var s = await Scenario.PaidOrderAsync(fixture.App.As);
        await using var context = await fixture.Browser.SignedInContextAsync(fixture.App.BaseAddress, s.ConsumerId, "consumer");
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/consumer.html?order={s.OrderId}");

        // The order, then the form filled in from it.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Start resolution for Lakeside Tea House order {s.OrderId}" }).ClickAsync();
        await Expect(page.GetByLabel("Amount (CNY)")).ToHaveValueAsync("199.00");
        await page.GetByLabel("What went wrong").SelectOptionAsync("DamagedInTransport");
        await page.GetByLabel("Describe the problem").FillAsync("Both tins arrived crushed.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send to the store" }).ClickAsync();

        var chat = page.Locator("mediation-chat");
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("awaiting merchant");
        await Expect(chat.GetByTestId("countdown")).ToContainTextAsync("Merchant answers within");
        var disputeId = await chat.GetAttributeAsync("dispute-id");
        Assert.NotNull(disputeId);

        await using var merchant = await PartyConnection.ConnectAsync(fixture.App.BaseAddress, s.MerchantId, "merchant");
        await merchant.Hub.InvokeAsync("JoinDispute", disputeId, 0L);

        // The store's message and offer appear on the consumer's page as they happen.
        await s.Merchant.PostAsJsonAsync($"/api/disputes/{disputeId}/messages", new { text = "So sorry! Could you send a photo?" });
        await Expect(chat.GetByText("So sorry! Could you send a photo?")).ToBeVisibleAsync();
        var offer = await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{disputeId}/offers", new { remedy = "PartialRefund", amount = 60m }));
        var card = chat.Locator("article.offer").Filter(new() { HasText = "Store's offer" });
        await Expect(card).ToContainTextAsync("partial refund");
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("negotiating");

        // The consumer counters; the store hears it live.
        await card.GetByRole(AriaRole.Button, new() { Name = "Counter" }).ClickAsync();
        await chat.GetByLabel("Amount").FillAsync("120");
        await chat.GetByRole(AriaRole.Button, new() { Name = "Send offer" }).ClickAsync();
        await Poll.UntilAsync(() => Task.FromResult(merchant.ReceivedEvents.Any(e => e.Type == DisputeEventType.Offer && e.Amount == 120m && e.AuthorId == s.ConsumerId)),
            TimeSpan.FromSeconds(15), "the counter-offer at the store");
        var counter = merchant.ReceivedEvents.Single(e => e.Type == DisputeEventType.Offer && e.AuthorId == s.ConsumerId);
        Assert.True(counter.Seq > offer.Seq);

        // The store accepts; the consumer's page shows it and the new state.
        await Scenario.EventAsync(await s.Merchant.PostAsync($"/api/disputes/{disputeId}/offers/{counter.Seq}/accept", null));
        await Expect(chat.GetByText("Store accepted the offer")).ToBeVisibleAsync();
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("enforcing");

        // A message from the consumer reaches the store, once; the store reading it shows two ticks.
        await chat.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true }).FillAsync("Thank you, that works.");
        await chat.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        await Poll.UntilAsync(() => Task.FromResult(merchant.ReceivedEvents.Any(e => e.Text == "Thank you, that works.")), TimeSpan.FromSeconds(15), "the consumer's message at the store");
        var thanks = merchant.ReceivedEvents.Single(e => e.Text == "Thank you, that works.");
        await merchant.Hub.InvokeAsync("MarkRead", disputeId, thanks.Seq);
        await Expect(chat.Locator($"li[data-seq='{thanks.Seq}'] .ticks")).ToHaveAttributeAsync("aria-label", "read");
        Assert.Single(await s.TimelineAsync(disputeId!), e => e.Text == "Thank you, that works.");
    }

    [Fact]
    public async Task Consumer_page_screenshots_at_phone_and_desktop_width()
    {
        foreach (var viewport in Viewport.Both)
        {
            await using var context = await fixture.Browser.SignedInContextAsync(fixture.App.BaseAddress, "c-zhang", "consumer", viewport);
            var page = await context.NewPageAsync();
            await page.GotoAsync("/consumer.html");
            await Expect(page.Locator("li[data-order='o-demo-2001']")).ToContainTextAsync("negotiating");
            await page.ScreenshotAsync("consumer-orders", viewport);

            await page.GetByRole(AriaRole.Button, new() { Name = "Open the chat about West Lake Silk order o-demo-2001" }).ClickAsync();
            var chat = page.Locator("mediation-chat");
            await Expect(chat.Locator("article.offer").Filter(new() { HasText = "Store's offer" })).ToContainTextAsync("120.00");
            await Expect(chat.GetByRole(AriaRole.Status).First).ToBeHiddenAsync();
            await page.ScreenshotAsync("consumer-chat", viewport);
        }
    }
}
