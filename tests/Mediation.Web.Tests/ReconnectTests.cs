using System.Net.Http.Json;

namespace Mediation.Web.Tests;

/// <summary>
/// The consumer's page through a dropped connection: the service process is killed and started again on the same
/// data folder and port. The page says it is reconnecting, keeps what was typed meanwhile as pending, then shows
/// every message sent while it was away once, and delivers its own pending message once.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class ReconnectTests(BrowserFixture fixture) : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("mediation-web-restart-").FullName;
    private static readonly Dictionary<string, string> Settings = new() { ["Mediation__HeartbeatPeriod"] = "00:00:01" };

    [Fact]
    public async Task Consumer_page_survives_a_service_restart_without_losing_or_doubling_a_message()
    {
        var port = FreePort.Next();
        var service = await MediationProcess.StartAsync(_dataDirectory, Settings, port);
        try
        {
            var s = await Scenario.PaidOrderAsync(service.As);
            var dispute = await s.OpenDisputeAsync();
            await using var context = await fixture.Browser.SignedInContextAsync(service.BaseAddress, s.ConsumerId, "consumer");
            var page = await context.NewPageAsync();
            await page.GotoAsync($"/consumer.html#dispute={dispute.DisputeId}");
            var chat = page.Locator("mediation-chat");
            var banner = chat.GetByRole(AriaRole.Status).Filter(new() { HasText = "reconnecting" });
            await Expect(chat.GetByTestId("state")).ToHaveTextAsync("awaiting merchant");
            await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "Before the outage" });
            await Expect(chat.GetByText("Before the outage")).ToBeVisibleAsync();

            await service.KillAsync(); // the connection drops at once, as when a node dies
            await service.DisposeAsync();
            await Expect(banner).ToBeVisibleAsync();

            // Typed while the service is down: on screen as pending.
            await chat.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true }).FillAsync("Typed during the outage");
            await chat.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
            await Expect(chat.Locator("li.pending").Filter(new() { HasText = "Typed during the outage" })).ToBeVisibleAsync();

            service = await MediationProcess.StartAsync(_dataDirectory, Settings, port);
            using var merchant = service.As(s.MerchantId, "merchant");
            foreach (var text in new[] { "Sent while you were away 1", "Sent while you were away 2" })
                await Scenario.EventAsync(await merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text }));

            await Expect(banner).ToBeHiddenAsync(new() { Timeout = 30_000 });
            foreach (var text in new[] { "Before the outage", "Sent while you were away 1", "Sent while you were away 2", "Typed during the outage" })
            {
                await Expect(chat.Locator("li").Filter(new() { HasText = text })).ToHaveCountAsync(1, new() { Timeout = 20_000 });
            }
            await Expect(chat.Locator("li.pending")).ToHaveCountAsync(0);

            using var consumer = service.As(s.ConsumerId, "consumer");
            var timeline = (await consumer.GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{dispute.DisputeId}/events?afterSeq=0", Scenario.Json))!;
            Assert.Single(timeline, e => e.Text == "Typed during the outage");
            // The page's seqs are the timeline's, each once.
            var shown = await chat.Locator("li[data-seq]").EvaluateAllAsync<long[]>("items => items.map(i => Number(i.dataset.seq))");
            Assert.Equal(shown.Distinct().Count(), shown.Length);
            Assert.Equal(timeline.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Seq).Order(),
                shown.Where(seq => timeline.Any(e => e.Seq == seq && e.Type == DisputeEventType.Message)).Order());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var output = service.Output;
            await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "mediation-reconnect-service.log"), output);
            throw new InvalidOperationException($"{e.Message}\n--- service output (last 4000 characters) ---\n{output[Math.Max(0, output.Length - 4000)..]}", e);
        }
        finally
        {
            await service.DisposeAsync();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}
