using Microsoft.AspNetCore.SignalR.Client;
using System.Net;
using System.Net.Http.Json;

namespace Mediation.Api.Tests;

/// <summary>
/// Stop the embedded service and start it again on the same database file: every order, dispute, message and
/// pending deadline is still there — after a graceful stop and after kill -9 right after the last acknowledged write.
/// </summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("mediation-restart-").FullName;

    // The merchant's first-response deadline is short so that the test sees it fire after the restart; its warning
    // (halfway) leaves the restart 30 s, and the test checks the restart was done before the warning was due.
    private static readonly Dictionary<string, string> ShortDeadline = new() { ["Mediation__Deadlines__FirstResponse"] = "00:01:00" };

    public void Dispose()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Everything_acknowledged_survives_a_restart_and_the_pending_deadline_still_fires(bool killed)
    {
        string disputeId;
        Scenario s;
        var sent = new List<DisputeEvent>();
        await using (var service = await MediationProcess.StartAsync(_dataDirectory, ShortDeadline))
        {
            s = await Scenario.PaidOrderAsync(service.As);
            var dispute = await s.OpenDisputeAsync();
            disputeId = dispute.DisputeId;
            for (var i = 1; i <= 10; i++)
                sent.Add(await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{disputeId}/messages", new { text = $"message {i}" })));

            if (killed) await service.KillAsync(); // right after the last acknowledged write
            else await service.StopGracefullyAsync();
            Assert.True(DateTimeOffset.UtcNow < dispute.Deadlines.MerchantRespondBy, "the deadline passed before the restart; the test proves nothing");
        }

        await using var restarted = await MediationProcess.StartAsync(_dataDirectory, ShortDeadline);
        var consumer = restarted.As(s.ConsumerId, "consumer");
        var warningAt = (await consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json))!.Deadlines.MerchantWarningAt;
        Assert.True(DateTimeOffset.UtcNow < warningAt, "the restart took past the warning's time; the test cannot tell a missed warning from a slow restart");
        var merchant = restarted.As(s.MerchantId, "merchant");

        var order = await consumer.GetFromJsonAsync<Order>($"/api/orders/{s.OrderId}", Scenario.Json);
        Assert.Equal(199m, order!.Total);
        var timeline = (await consumer.GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{disputeId}/events?afterSeq=0", Scenario.Json))!;
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), timeline.Take(11).Select(e => e.Seq));
        Assert.Equal(sent.Select(e => e.Text), timeline.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Text));
        var list = await merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{s.MerchantId}/disputes", Scenario.Json);
        Assert.Equal(disputeId, Assert.Single(list!.Disputes).DisputeId);

        // The merchant never answered: the first-response reminder fires in the restarted process.
        var deadline = DateTime.UtcNow.AddSeconds(90);
        DisputeView view;
        while ((view = (await consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json))!).State != DisputeState.Escalated)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still {view.State} after the deadline; output:\n{restarted.Output}");
            await Task.Delay(250); // poll interval
        }
        var last = (await consumer.GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{disputeId}/events?afterSeq=11", Scenario.Json))!;
        // The warning halfway to the deadline, then the escalation itself, each once.
        Assert.Equal([DisputeEventType.DeadlineWarning, DisputeEventType.StateChanged], last.Select(e => e.Type));
        Assert.All(last, e => Assert.Equal("system", e.AuthorId));

        Assert.Equal(13, view.LastSeq);
        // Escalated: the chat stays open, but the parties' own offers are over.
        var late = await merchant.PostAsJsonAsync($"/api/disputes/{disputeId}/offers", new { remedy = "PartialRefund", amount = 10 });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_party_list_reads_the_same_after_a_restart_as_before_it(bool killed)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var (merchantId, consumerId) = ($"m-{id}", $"c-{id}");
        string merchantBefore, consumerBefore;
        await using (var service = await MediationProcess.StartAsync(_dataDirectory))
        {
            var ops = service.As("platform", "ops");
            var consumer = service.As(consumerId, "consumer");
            var merchant = service.As(merchantId, "merchant");
            var disputes = new List<string>();
            for (var i = 1; i <= 3; i++)
            {
                var orderId = $"o-{id}-{i}";
                var pushed = await ops.PostAsJsonAsync("/api/orders", new
                {
                    orderId, consumerId, merchantId, storeName = "Lakeside Tea House", city = "Hangzhou",
                    items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = 99.5m } },
                    total = 199m, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
                });
                Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
                var opened = await consumer.PostAsJsonAsync("/api/disputes", new
                {
                    orderId, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 199m, description = $"dispute {i}",
                });
                Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
                disputes.Add((await opened.Content.ReadFromJsonAsync<DisputeView>(Scenario.Json))!.DisputeId);
            }

            // Dispute 1: negotiating, the consumer has read part of it. Dispute 2: the merchant has four unread.
            // Dispute 3: withdrawn. The latest seqs and read marks are what a write-behind used to lose.
            for (var i = 0; i < 3; i++) await Scenario.EventAsync(await merchant.PostAsJsonAsync($"/api/disputes/{disputes[0]}/messages", new { text = $"merchant {i}" }));
            await using (var hub = await PartyConnection.ConnectAsync(service.BaseAddress, consumerId, "consumer"))
                await hub.Hub.InvokeAsync("MarkRead", disputes[0], 3L);
            for (var i = 0; i < 4; i++) await Scenario.EventAsync(await consumer.PostAsJsonAsync($"/api/disputes/{disputes[1]}/messages", new { text = $"hello {i}" }));
            await Scenario.EventAsync(await consumer.PostAsync($"/api/disputes/{disputes[2]}/withdraw", null));

            merchantBefore = await merchant.GetStringAsync($"/api/merchants/{merchantId}/disputes");
            consumerBefore = await consumer.GetStringAsync($"/api/consumers/{consumerId}/disputes");
            var lines = (await merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{merchantId}/disputes", Scenario.Json))!.Disputes;
            Assert.Equal(5, lines.Single(l => l.DisputeId == disputes[0]).LastSeq); // opened, 3 messages, the state change
            Assert.Equal(5, lines.Single(l => l.DisputeId == disputes[1]).Unread);
            Assert.Equal(DisputeState.Withdrawn, lines.Single(l => l.DisputeId == disputes[2]).State);
            var consumerLines = (await consumer.GetFromJsonAsync<PartyDisputes>($"/api/consumers/{consumerId}/disputes", Scenario.Json))!.Disputes;
            Assert.Equal(2, consumerLines.Single(l => l.DisputeId == disputes[0]).Unread); // read up to 3 of 5

            if (killed) await service.KillAsync(); // right after the last acknowledged write
            else await service.StopGracefullyAsync();
        }

        await using var restarted = await MediationProcess.StartAsync(_dataDirectory);
        Assert.Equal(merchantBefore, await restarted.As(merchantId, "merchant").GetStringAsync($"/api/merchants/{merchantId}/disputes"));
        Assert.Equal(consumerBefore, await restarted.As(consumerId, "consumer").GetStringAsync($"/api/consumers/{consumerId}/disputes"));
    }
}
