using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mediation.Web.Tests;

/// <summary>
/// A payment app's page of another origin (a second Kestrel on another loopback port) embeds the chat with
/// docs/embed.html: the component loads from the service, talks to the API and the hub across origins (CORS for the
/// configured origin only) and works as on the service's own page.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class EmbedTests(BrowserFixture fixture)
{
    [Fact]
    public async Task The_chat_embedded_in_a_page_of_another_origin_works_live()
    {
        var html = await File.ReadAllTextAsync(Path.Combine(Screenshots.RepositoryRoot, "docs", "embed.html"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, fixture.HostPagePort));
        builder.Logging.ClearProviders();
        await using var host = builder.Build();
        host.MapGet("/embed.html", () => Results.Content(html, "text/html"));
        await host.StartAsync();

        var s = await Scenario.PaidOrderAsync(fixture.App.As);
        var dispute = await s.OpenDisputeAsync();
        var service = fixture.App.BaseAddress.ToString().TrimEnd('/');
        await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = Viewport.Phone.Width, Height = Viewport.Phone.Height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{fixture.HostOrigin}/embed.html?service={Uri.EscapeDataString(service)}&user={s.ConsumerId}&dispute={dispute.DisputeId}");

        var chat = page.Locator("mediation-chat");
        await Expect(chat.GetByTestId("state")).ToHaveTextAsync("awaiting merchant");
        await Expect(chat.GetByRole(AriaRole.Status).Filter(new() { HasText = "connect" })).ToBeHiddenAsync();

        await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "Hello from the store" });
        await Expect(chat.GetByText("Hello from the store")).ToBeVisibleAsync();

        await chat.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true }).FillAsync("Hello from the pay app");
        await chat.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        await Expect(chat.Locator("li.mine").Filter(new() { HasText = "Hello from the pay app" })).ToHaveCountAsync(1);
        await Expect(chat.Locator("li.pending")).ToHaveCountAsync(0);
        Assert.Single(await s.TimelineAsync(dispute.DisputeId), e => e.Text == "Hello from the pay app");
        await page.ScreenshotAsync("embed", Viewport.Phone);
    }

    [Fact]
    public async Task An_origin_not_configured_gets_no_CORS_answer()
    {
        using var client = fixture.App.CreateClient();
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/disputes/d-x/messages");
        preflight.Headers.Add("Origin", "http://127.0.0.1:1");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        var refused = await client.SendAsync(preflight);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));

        var allowed = new HttpRequestMessage(HttpMethod.Options, "/api/disputes/d-x/messages");
        allowed.Headers.Add("Origin", fixture.HostOrigin);
        allowed.Headers.Add("Access-Control-Request-Method", "POST");
        allowed.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        var answer = await client.SendAsync(allowed);
        Assert.Equal(fixture.HostOrigin, Assert.Single(answer.Headers.GetValues("Access-Control-Allow-Origin")));
    }
}
