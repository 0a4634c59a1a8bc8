using System.Net;
using System.Net.Http.Json;

namespace Mediation.Api.Tests;

/// <summary>
/// The embedded service as a real process, killed (SIGKILL) while a settlement's instruction sits undelivered in its
/// outbox; started again on the same database, it delivers the instruction once and takes the platform's report.
/// </summary>
public sealed class InstructionKillTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("mediation-outbox-kill-").FullName;
    private readonly WebhookReceiver _receiver = new();

    private Dictionary<string, string> Settings => new()
    {
        ["Mediation__Webhooks__Url"] = _receiver.Url,
        ["Mediation__Webhooks__Secret"] = _receiver.Secret,
        ["Mediation__Webhooks__RetryBaseDelay"] = "00:00:00.200",
        ["Mediation__Webhooks__RetryMaxDelay"] = "00:00:01",
        ["Mediation__Webhooks__ReminderPeriod"] = "00:00:05",
        ["Mediation__MinimumReminderPeriod"] = "00:00:01",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_service_killed_with_an_undelivered_instruction_delivers_it_once_after_the_restart()
    {
        string instructionId, disputeId;
        Scenario s;
        await using (var service = await MediationProcess.StartAsync(_dataDirectory, Settings))
        {
            // The receiver is down (nothing listens on its port): the settlement's instruction stays in the outbox.
            s = await Scenario.PaidOrderAsync(service.As);
            disputeId = (await s.OpenDisputeAsync()).DisputeId;
            var offer = await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{disputeId}/offers", new { remedy = "PartialRefund", amount = 60m }));
            await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{disputeId}/offers/{offer.Seq}/accept", null));
            var issued = (await s.TimelineAsync(disputeId)).Single(e => e.Type == DisputeEventType.InstructionIssued);
            instructionId = issued.InstructionId!;

            await UntilAsync(async () =>
            {
                var response = await s.Ops.GetAsync($"/api/instructions/{instructionId}");
                return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<InstructionStatus>(Scenario.Json))!.DeliveryAttempts >= 2;
            }, "two refused delivery attempts");
            Assert.Empty(_receiver.Deliveries);

            await service.KillAsync();
        }

        await _receiver.StartAsync();
        await using (var service = await MediationProcess.StartAsync(_dataDirectory, Settings))
        {
            // Nothing asks for the instruction: the stored outbox and its reminder bring the delivery about.
            await UntilAsync(() => Task.FromResult(_receiver.Applied(instructionId) is not null), "delivery after the restart", seconds: 90);
            var applied = _receiver.Applied(instructionId)!;
            Assert.Equal((disputeId, s.OrderId, 60m, Remedy.PartialRefund), (applied.DisputeId, applied.OrderId, applied.Amount, applied.Remedy));
            Assert.All(_receiver.DeliveriesOf(instructionId), d => Assert.Equal(WebhookSignatureCheck.Valid, d.Check));
            Assert.Equal(1, _receiver.Applications(instructionId));

            var ops = service.As("platform", "ops");
            var reported = await ops.PostAsJsonAsync($"/api/instructions/{instructionId}/result", new { outcome = "Done" });
            Assert.Equal(HttpStatusCode.OK, reported.StatusCode);
            var status = (await reported.Content.ReadFromJsonAsync<InstructionStatus>(Scenario.Json))!;
            Assert.True(status.Delivered);
            Assert.True(status.DeliveryAttempts >= 3);

            // The restarted dispute hears of the report: its timeline records it, and the ledger has the refund, balanced.
            var client = service.As(s.ConsumerId, "consumer");
            await UntilAsync(async () => (await client.GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{disputeId}/events?afterSeq=0", Scenario.Json))!
                .Any(e => e.Type == DisputeEventType.InstructionDone && e.InstructionId == instructionId), "the dispute hearing of the report");
            await UntilAsync(async () => (await client.GetFromJsonAsync<LedgerView>($"/api/orders/{s.OrderId}/ledger", Scenario.Json))!
                .Entries.Any(e => e.InstructionId == instructionId), "the refund in the ledger");
            var ledger = (await client.GetFromJsonAsync<LedgerView>($"/api/orders/{s.OrderId}/ledger", Scenario.Json))!;
            Assert.True(ledger.Balanced);
            Assert.Equal(60m, ledger.Balances.GetValueOrDefault(LedgerAccount.Consumer));
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 30, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException) { }
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within {seconds} s" + (diagnostics is null ? "" : ":\n" + diagnostics()));
            await Task.Delay(100); // poll interval
        }
    }
}
