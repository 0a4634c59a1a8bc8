using System.Net;
using System.Net.Http.Json;

namespace Mediation.Web.Tests;

/// <summary>
/// The mediator desk against an app of its own: a city (Wuxi) with one mediator and a one-second negotiation window,
/// so that a dispute can be escalated at once.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class MediatorDeskTests(BrowserFixture fixture) : IAsyncLifetime
{
    private const string Mediator = "med-wuxi";
    private readonly ApiFactory _app = new();

    public Task InitializeAsync()
    {
        _app.Settings["Mediation:Cities:Wuxi:Mediators:0"] = Mediator;
        _app.Settings["Mediation:Deadlines:NegotiationWindow"] = "00:00:01";
        _app.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static byte[] Photo()
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(96, 64);
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++)
                image[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(x * 2), (byte)(y * 3), 140);
        using var stream = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(image, stream);
        return stream.ToArray();
    }

    private static async Task<DisputeView> ViewAsync(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", MediationJson.Options))!;

    [Fact]
    public async Task Escalated_dispute_waits_in_the_queue_is_taken_and_ruled_and_both_parties_see_the_ruling_live()
    {
        using var mediator = _app.As(Mediator, "mediator");
        // The mediator is away, so the escalated case waits in the city's queue.
        Assert.Equal(HttpStatusCode.OK, (await mediator.PutAsJsonAsync($"/api/mediators/{Mediator}/availability", new { available = false })).StatusCode);

        var store = new TestStore(_app, "Wuxi");
        var (disputeId, consumer) = await store.DisputeAsync(200m);
        Assert.Equal(HttpStatusCode.Created, (await store.Merchant.PostAsJsonAsync($"/api/disputes/{disputeId}/offers", new { remedy = "PartialRefund", amount = 30m })).StatusCode);

        // The merchant watches the conversation in its console.
        await using var merchantContext = await fixture.Browser.SignedInContextAsync(_app.BaseAddress, store.MerchantId, "merchant", Viewport.Desktop);
        var merchantPage = await merchantContext.NewPageAsync();
        await merchantPage.GotoAsync("/merchant.html");
        await merchantPage.Locator($"#disputes > li[data-dispute-id='{disputeId}']").GetByRole(AriaRole.Button).ClickAsync();
        var merchantPane = merchantPage.Locator($"#pane-{disputeId}");
        await Expect(merchantPane.Locator(".timeline .ev-Offer")).ToContainTextAsync("Partial refund");

        // The consumer watches it in the consumer's page.
        await using var consumerContext = await fixture.Browser.SignedInContextAsync(_app.BaseAddress, store.ConsumerId(disputeId), "consumer", Viewport.Phone);
        var consumerPage = await consumerContext.NewPageAsync();
        await consumerPage.GotoAsync($"/consumer.html#dispute={disputeId}");
        var chat = consumerPage.Locator("mediation-chat");
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("negotiating");

        // The desk: nothing mine, the queue empty, away.
        await using var deskContext = await fixture.Browser.SignedInContextAsync(_app.BaseAddress, Mediator, "mediator", Viewport.Desktop);
        var desk = await deskContext.NewPageAsync();
        await desk.GotoAsync("/mediator.html");
        await Expect(desk.GetByRole(AriaRole.Status)).ToHaveTextAsync("live");
        await Expect(desk.GetByLabel("available for new cases")).Not.ToBeCheckedAsync();
        await Expect(desk.Locator("#no-cases")).ToBeVisibleAsync();

        // The consumer escalates once the (one-second) negotiation window is over: the case appears in the queue live.
        await Poll.UntilAsync(async () => (await ViewAsync(consumer, disputeId)).AllowedActions.Contains(DisputeAction.Escalate),
            TimeSpan.FromSeconds(20), "the escalation opening");
        Assert.Equal(HttpStatusCode.Created, (await consumer.PostAsync($"/api/disputes/{disputeId}/escalate", null)).StatusCode);
        await Expect(desk.Locator($"#waiting > li[data-dispute-id='{disputeId}']")).ToBeVisibleAsync();

        // Available again: the desk hands the waiting case over, and it moves to "my cases".
        await desk.GetByLabel("available for new cases").CheckAsync();
        var mine = desk.Locator($"#my-cases > li[data-dispute-id='{disputeId}']");
        await Expect(mine).ToBeVisibleAsync();
        await Expect(desk.Locator($"#waiting > li[data-dispute-id='{disputeId}']")).ToHaveCountAsync(0);

        // The case on one page: order, claim, both parties' last offers, the merchant's standing, the timeline.
        await mine.GetByRole(AriaRole.Button).ClickAsync();
        var caseView = desk.Locator("#case");
        await Expect(caseView.GetByRole(AriaRole.Heading, new() { Name = $"Case {disputeId}" })).ToBeVisibleAsync();
        await Expect(caseView.Locator(".state")).ToHaveTextAsync("In mediation");
        await Expect(caseView.Locator(".case-order")).ToContainTextAsync("2 × Longjing tea (250 g tin)");
        await Expect(caseView.Locator(".last-offer.by-consumer")).ToContainTextAsync("Full refund CN¥200.00");
        await Expect(caseView.Locator(".last-offer.by-merchant")).ToContainTextAsync("Partial refund CN¥30.00");
        await Expect(caseView.Locator(".standing")).ToContainTextAsync("/ 100");
        await Expect(caseView.Locator(".timeline .ev-MediatorAssigned")).ToContainTextAsync(Mediator);
        await Expect(caseView.GetByRole(AriaRole.Link, new() { Name = "Printable case file" }))
            .ToHaveAttributeAsync("href", $"/api/disputes/{disputeId}/case-file?format=html");

        // The consumer sends a photo: it appears among the evidence as a thumbnail the browser loads with the
        // mediator's sign-in token cookie.
        await Expect(caseView.GetByText("No evidence yet.")).ToBeVisibleAsync();
        using (var upload = new MultipartFormDataContent())
        {
            upload.Add(new ByteArrayContent(Photo()) { Headers = { ContentType = new("image/jpeg") } }, "file", "crushed-tins.jpg");
            Assert.Equal(HttpStatusCode.Created, (await consumer.PostAsync($"/api/disputes/{disputeId}/evidence", upload)).StatusCode);
        }
        var thumbnail = caseView.Locator(".evidence img");
        await Expect(thumbnail).ToHaveAttributeAsync("alt", new System.Text.RegularExpressions.Regex("^Photo from the consumer"));
        await Expect(thumbnail).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await thumbnail.EvaluateAsync<int>("img => img.naturalWidth") > 0, "the thumbnail loaded");
        await Expect(caseView.GetByText("No evidence yet.")).ToBeHiddenAsync();

        // A message to both parties reaches the merchant's console live, marked as the mediator's.
        await caseView.GetByLabel("Message", new() { Exact = true }).FillAsync("I will look at the photos and rule today.");
        await caseView.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(merchantPane.Locator(".timeline .by-mediator")).ToContainTextAsync("I will look at the photos and rule today.");

        // The ruling, from the page.
        await caseView.GetByText("Rule", new() { Exact = true }).ClickAsync();
        await caseView.GetByLabel("Responsible").SelectOptionAsync("Merchant");
        await caseView.GetByLabel("Remedy").Last.SelectOptionAsync("PartialRefund");
        await caseView.GetByLabel("Amount (CNY)").Last.FillAsync("120");
        await caseView.GetByLabel("Reasons").FillAsync("The photos show crushed tins; the merchant packed them badly.");
        await caseView.GetByRole(AriaRole.Button, new() { Name = "Issue ruling" }).ClickAsync();
        await Expect(caseView.Locator(".timeline .ev-Ruled")).ToContainTextAsync("Ruling: Partial refund CN¥120.00; responsible: the merchant");

        // Both parties see it live: the merchant's console in its open conversation, the consumer in its timeline.
        await Expect(merchantPane.Locator(".timeline .ev-Ruled")).ToContainTextAsync("Ruling: Partial refund CN¥120.00");
        await Expect(merchantPane.Locator(".cards")).ToContainTextAsync("Ruling: Partial refund CN¥120.00; responsible: the merchant");
        await Expect(chat.Locator("li.mediator").Filter(new() { HasText = "Ruling" })).ToContainTextAsync("CN¥120.00");

        foreach (var viewport in new[] { Viewport.Desktop, Viewport.Phone })
        {
            await desk.SetViewportSizeAsync(viewport.Width, viewport.Height);
            await desk.ScreenshotAsync("mediator", viewport);
            await merchantPage.SetViewportSizeAsync(viewport.Width, viewport.Height);
            await merchantPage.ScreenshotAsync("merchant", viewport);
        }
    }
}
