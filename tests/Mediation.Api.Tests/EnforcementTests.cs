using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mediation.Api.Tests;

/// <summary>The real app with its webhook pointed at a real receiver on loopback, retrying fast.</summary>
public sealed class EnforcementFixture : ReceiverFixture
{
    public IGrainFactory Grains => Factory.Services.GetRequiredService<IGrainFactory>();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Mediation:Webhooks:Url"] = Receiver.Url;
        settings["Mediation:Webhooks:Secret"] = Receiver.Secret;
        settings["Mediation:Webhooks:AttemptTimeout"] = "00:00:05";
    }
}

/// <summary>
/// Instructions are issued straight to the instruction grain (the dispute's walk to them is the dispute's tests');
/// from there on everything is real: the outbox, the signed webhook over HTTP, the retries, the report over REST.
/// The tests share one receiver and run one at a time.
/// </summary>
[Collection(MetricsCollection.Name)] // it scrapes /metrics too
public sealed class EnforcementTests(EnforcementFixture fixture) : IClassFixture<EnforcementFixture>
{
    private WebhookReceiver Receiver => fixture.Receiver;
    private ApiFactory Factory => fixture.Factory;

    private static Instruction NewInstruction(decimal amount = 60m, bool guaranteed = false, string? orderId = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var now = DateTimeOffset.UtcNow;
        return new Instruction($"ins-d-{id}-1", $"d-{id}", orderId ?? $"o-{id}", $"c-{id}", $"m-{id}", Remedy.PartialRefund, amount, "CNY",
            ReturnFirst: false, guaranteed, now, now.AddDays(3), "settlement");
    }

    private async Task<Instruction> IssueAsync(Instruction? instruction = null)
    {
        instruction ??= NewInstruction();
        await fixture.Grains.GetGrain<IInstructionGrain>(instruction.InstructionId).IssueAsync(instruction);
        return instruction;
    }

    private Task<InstructionStatus> StatusAsync(Instruction instruction) =>
        fixture.Grains.GetGrain<IInstructionGrain>(instruction.InstructionId).GetAsync(new Caller("platform", Role.Ops));

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within {seconds} s");
            await Task.Delay(25); // poll interval
        }
    }

    private Task DeliveredAsync(Instruction instruction) =>
        EventuallyAsync(async () => Receiver.Applied(instruction.InstructionId) is not null && (await StatusAsync(instruction)).Delivered,
            $"delivery of {instruction.InstructionId}");

    [Fact]
    public async Task An_issued_instruction_reaches_the_platform_signed_and_keyed_by_its_id()
    {
        var instruction = await IssueAsync();
        await DeliveredAsync(instruction);

        var delivery = Assert.Single(Receiver.DeliveriesOf(instruction.InstructionId));
        Assert.Equal(WebhookSignatureCheck.Valid, delivery.Check);
        Assert.Equal(200, delivery.AnsweredStatus);
        Assert.Equal(instruction.InstructionId, delivery.IdempotencyKey);
        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", delivery.Signature);
        Assert.Contains("\"type\":\"instruction\"", delivery.Body);
        Assert.Contains("\"remedy\":\"PartialRefund\"", delivery.Body);
        Assert.Equal(InstructionWebhook.From(instruction), Receiver.Applied(instruction.InstructionId));

        var status = await StatusAsync(instruction);
        Assert.Equal(1, status.DeliveryAttempts);
        Assert.Null(status.Outcome);

        // Issuing it again (the dispute retrying) changes nothing; other details under the same id are refused.
        await IssueAsync(instruction);
        Assert.Equal(1, (await StatusAsync(instruction)).DeliveryAttempts);
        var conflict = await Assert.ThrowsAsync<MediationException>(() => IssueAsync(instruction with { Amount = 61m }));
        Assert.Equal(ErrorCode.Conflict, conflict.Code);
    }

    [Fact]
    public async Task Receiver_down_for_a_while_gets_the_instruction_when_it_comes_back_and_applies_it_once()
    {
        await Receiver.StopAsync();
        Instruction instruction;
        try
        {
            instruction = await IssueAsync();
            await EventuallyAsync(async () => (await StatusAsync(instruction)).DeliveryAttempts >= 3, "three refused attempts");
            Assert.False((await StatusAsync(instruction)).Delivered);
            Assert.Empty(Receiver.DeliveriesOf(instruction.InstructionId));
        }
        finally
        {
            // Back up, but answering 503 for a while first.
            Receiver.Unavailable = true;
            await Receiver.StartAsync();
        }
        try
        {
            await EventuallyAsync(() => Task.FromResult(Receiver.DeliveriesOf(instruction.InstructionId).Count >= 2), "two deliveries answered 503");
        }
        finally
        {
            Receiver.Unavailable = false;
        }
        await DeliveredAsync(instruction);

        Assert.Equal(1, Receiver.Applications(instruction.InstructionId));
        var deliveries = Receiver.DeliveriesOf(instruction.InstructionId);
        Assert.All(deliveries, d => Assert.Equal(WebhookSignatureCheck.Valid, d.Check));
        Assert.Equal(200, deliveries[^1].AnsweredStatus);
        Assert.All(deliveries.SkipLast(1), d => Assert.Equal(503, d.AnsweredStatus));
        Assert.True((await StatusAsync(instruction)).DeliveryAttempts >= 5);
    }

    [Fact]
    public async Task Ops_sees_failed_deliveries_and_their_retries_in_the_metrics()
    {
        Receiver.FailNext(2);
        var instruction = await IssueAsync();
        await DeliveredAsync(instruction);

        using var prometheus = Factory.CreateClient();
        var expected = new[]
        {
            "mediation_webhook_deliveries_total{otel_scope_name=\"Mediation\",outcome=\"failed\"}",
            "mediation_webhook_deliveries_total{otel_scope_name=\"Mediation\",outcome=\"delivered\"}",
            "mediation_webhook_retries_total{otel_scope_name=\"Mediation\"}",
        };
        var scraped = "";
        await Poll.UntilAsync(async () => expected.All((scraped = await prometheus.GetStringAsync("/metrics")).Contains), TimeSpan.FromSeconds(20),
            "webhook deliveries and retries scraped", () => string.Join('\n', scraped.Split('\n').Where(l => l.StartsWith("mediation_webhook"))));
    }

    [Fact]
    public async Task Answers_of_500_are_retried_with_growing_waits_until_a_2xx()
    {
        Receiver.FailNext(3);
        var instruction = await IssueAsync();
        await DeliveredAsync(instruction);

        var deliveries = Receiver.DeliveriesOf(instruction.InstructionId);
        Assert.Equal([500, 500, 500, 200], deliveries.Select(d => d.AnsweredStatus));
        Assert.Equal(4, (await StatusAsync(instruction)).DeliveryAttempts);
        Assert.Equal(1, Receiver.Applications(instruction.InstructionId));
        // Base 100 ms doubling, each wait at least half of its step: 50 + 100 + 200 ms at the least.
        Assert.True(deliveries[^1].At - deliveries[0].At >= TimeSpan.FromMilliseconds(350),
            $"the retries came within {(deliveries[^1].At - deliveries[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task An_answer_lost_after_the_platform_applied_it_brings_a_duplicate_that_is_not_applied_again()
    {
        var instruction = NewInstruction();
        Receiver.LoseAnswerOnce(instruction.InstructionId);
        await IssueAsync(instruction);
        await DeliveredAsync(instruction);

        var deliveries = Receiver.DeliveriesOf(instruction.InstructionId);
        Assert.Equal([500, 200], deliveries.Select(d => d.AnsweredStatus));
        Assert.Equal(deliveries[0].Body, deliveries[1].Body);
        Assert.Equal(1, Receiver.Applications(instruction.InstructionId));
    }

    [Fact]
    public async Task Receiver_detects_a_tampered_body_another_secret_and_an_old_timestamp()
    {
        var instruction = await IssueAsync();
        await DeliveredAsync(instruction);
        var delivery = Receiver.DeliveriesOf(instruction.InstructionId)[0];
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(WebhookSignatureCheck.Valid, WebhookSignature.Verify(Receiver.Secret, delivery.Signature, delivery.Body, now));
        Assert.Equal(WebhookSignatureCheck.BadSignature,
            WebhookSignature.Verify(Receiver.Secret, delivery.Signature, delivery.Body.Replace("\"amount\":60", "\"amount\":600"), now));
        Assert.Equal(WebhookSignatureCheck.BadSignature, WebhookSignature.Verify("whsec-wrong", delivery.Signature, delivery.Body, now));
        Assert.Equal(WebhookSignatureCheck.TooOld, WebhookSignature.Verify(Receiver.Secret, delivery.Signature, delivery.Body, now.AddMinutes(6)));

        // Sent to the receiver as they are: refused, nothing applied.
        using var http = new HttpClient();
        async Task<HttpStatusCode> SendAsync(string body, string signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Receiver.Url) { Content = new StringContent(body) };
            request.Headers.Add(WebhookSignature.HeaderName, signature);
            request.Headers.Add(WebhookSignature.IdempotencyHeaderName, "ins-forged-1");
            return (await http.SendAsync(request)).StatusCode;
        }
        var forged = delivery.Body.Replace(instruction.InstructionId, "ins-forged-1");
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(forged, delivery.Signature!));
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(forged, WebhookSignature.Sign("whsec-wrong", now, forged)));
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(forged, WebhookSignature.Sign(Receiver.Secret, now.AddMinutes(-6), forged)));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(forged, WebhookSignature.Sign(Receiver.Secret, now, forged))); // the control
        Assert.Equal(1, Receiver.Applications("ins-forged-1"));
    }

    [Fact]
    public async Task Ops_reports_an_instruction_done_and_its_status_shows_it()
    {
        var instruction = await IssueAsync();
        await DeliveredAsync(instruction);
        using var ops = Factory.As("platform", "ops");
        var path = $"/api/instructions/{instruction.InstructionId}/result";

        var response = await ops.PostAsJsonAsync(path, new { outcome = "done" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await response.Content.ReadFromJsonAsync<InstructionStatus>(Scenario.Json);
        Assert.Equal(InstructionOutcome.Done, status!.Outcome);
        Assert.NotNull(status.ReportedAt);
        Assert.Equal(instruction, status.Instruction);

        // The same report again answers the same; contradicting it is refused.
        var again = await ops.PostAsJsonAsync(path, new { outcome = "Done" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(status.ReportedAt, (await again.Content.ReadFromJsonAsync<InstructionStatus>(Scenario.Json))!.ReportedAt);
        var contradiction = await ops.PostAsJsonAsync(path, new { outcome = "Failed", reason = "no balance" });
        Assert.Equal(HttpStatusCode.Conflict, contradiction.StatusCode);

        using var consumer = Factory.As(instruction.ConsumerId, "consumer");
        var seen = await consumer.GetFromJsonAsync<InstructionStatus>($"/api/instructions/{instruction.InstructionId}", Scenario.Json);
        Assert.Equal(InstructionOutcome.Done, seen!.Outcome);

        // The dispute is told; until it takes the report the grain keeps trying, logging a warning, and the report stands.
        await EventuallyAsync(() => Task.FromResult(Factory.Logs.Entries.Any(e =>
            e.Level == LogLevel.Warning && e.Message.Contains(instruction.InstructionId) && e.Message.Contains(instruction.DisputeId))),
            "the warning about the dispute not taking the report yet");
    }

    [Fact]
    public async Task A_failure_needs_a_reason_and_a_late_done_follows_it()
    {
        var instruction = await IssueAsync();
        using var ops = Factory.As("platform", "ops");
        var path = $"/api/instructions/{instruction.InstructionId}/result";

        var noReason = await ops.PostAsJsonAsync(path, new { outcome = "Failed" });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("reason", await noReason.Content.ReadAsStringAsync());
        var blank = await ops.PostAsJsonAsync(path, new { outcome = "Failed", reason = "  \u0007 " });
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        var unknownOutcome = await ops.PostAsJsonAsync(path, new { outcome = "Done,Failed" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownOutcome.StatusCode);
        Assert.Null((await StatusAsync(instruction)).Outcome);

        var failed = await ops.PostAsJsonAsync(path, new { outcome = "Failed", reason = "merchant account has no balance" });
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        var failedStatus = (await failed.Content.ReadFromJsonAsync<InstructionStatus>(Scenario.Json))!;
        Assert.Equal(InstructionOutcome.Failed, failedStatus.Outcome);
        Assert.Equal("merchant account has no balance", failedStatus.Reason);

        var late = await ops.PostAsJsonAsync(path, new { outcome = "Done" });
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal(InstructionOutcome.Done, (await late.Content.ReadFromJsonAsync<InstructionStatus>(Scenario.Json))!.Outcome);
    }

    [Fact]
    public async Task Only_ops_report_and_an_unknown_instruction_is_404()
    {
        var instruction = await IssueAsync();
        var path = $"/api/instructions/{instruction.InstructionId}/result";
        using var merchant = Factory.As(instruction.MerchantId, "merchant");
        using var mediator = Factory.As("med-1", "mediator");
        using var ops = Factory.As("platform", "ops");

        Assert.Equal(HttpStatusCode.Forbidden, (await merchant.PostAsJsonAsync(path, new { outcome = "Done" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mediator.PostAsJsonAsync(path, new { outcome = "Done" })).StatusCode);
        Assert.Null((await StatusAsync(instruction)).Outcome);
        Assert.Equal(HttpStatusCode.NotFound, (await ops.PostAsJsonAsync("/api/instructions/ins-nobody-1/result", new { outcome = "Done" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ops.GetAsync("/api/instructions/ins-nobody-1")).StatusCode);
        using var stranger = Factory.As("c-stranger", "consumer");
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync($"/api/instructions/{instruction.InstructionId}")).StatusCode);
    }

    [Fact]
    public async Task An_orders_ledger_is_read_by_its_parties_and_ops_and_balances()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        using var ops = Factory.As("platform", "ops");
        var pushed = await ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = $"o-{id}", consumerId = $"c-{id}", merchantId = $"m-{id}", storeName = "Lakeside Tea House", city = "Hangzhou",
            items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = 100m } },
            total = 200m, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay", guaranteed = true,
        });
        Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        var order = (await pushed.Content.ReadFromJsonAsync<Order>(Scenario.Json))!;
        Assert.True(order.Guaranteed);
        var ledger = fixture.Grains.GetGrain<ILedgerGrain>(order.OrderId);
        await ledger.HoldAsync(order, $"d-{id}");
        await ledger.SettleAsync(NewInstruction(60m, guaranteed: true, orderId: order.OrderId) with { ConsumerId = order.ConsumerId, MerchantId = order.MerchantId });

        foreach (var (user, role) in new[] { (order.ConsumerId, "consumer"), (order.MerchantId, "merchant"), ("platform", "ops") })
        {
            using var reader = Factory.As(user, role);
            var view = await reader.GetFromJsonAsync<LedgerView>($"/api/orders/{order.OrderId}/ledger", Scenario.Json);
            Assert.True(view!.Balanced);
            Assert.Equal(["hold", "refund", "release"], view.Entries.Select(e => e.Kind));
            Assert.Equal(0m, view.Balances[LedgerAccount.Escrow]);
            Assert.Equal(-140m, view.Balances[LedgerAccount.Consumer]);
            Assert.Equal(140m, view.Balances[LedgerAccount.Merchant]);
            Assert.Equal(0m, view.OpenClaims);
        }
        using var stranger = Factory.As("c-stranger", "consumer");
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync($"/api/orders/{order.OrderId}/ledger")).StatusCode);
        using var regulator = Factory.As("reg-1", "regulator");
        Assert.Equal(HttpStatusCode.Forbidden, (await regulator.GetAsync($"/api/orders/{order.OrderId}/ledger")).StatusCode);
        using var mediator = Factory.As("med-1", "mediator"); // reads it in its case's case file only
        Assert.Equal(HttpStatusCode.Forbidden, (await mediator.GetAsync($"/api/orders/{order.OrderId}/ledger")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ops.GetAsync("/api/orders/o-nowhere/ledger")).StatusCode);
    }

    private async Task<Scenario> GuaranteedOrderAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var s = new Scenario
        {
            OrderId = $"o-{id}", ConsumerId = $"c-{id}", MerchantId = $"m-{id}",
            Ops = Factory.As("platform", "ops"), Consumer = Factory.As($"c-{id}", "consumer"), Merchant = Factory.As($"m-{id}", "merchant"),
        };
        var pushed = await s.Ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = s.OrderId, consumerId = s.ConsumerId, merchantId = s.MerchantId, storeName = "Lakeside Tea House", city = "Hangzhou",
            items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = 100m } },
            total = 200m, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay", guaranteed = true,
        });
        Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        return s;
    }

    private static async Task<string> SettleAsync(Scenario s, decimal amount)
    {
        var disputeId = (await s.OpenDisputeAsync(amount)).DisputeId;
        var offer = await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{disputeId}/offers", new { remedy = "PartialRefund", amount }));
        await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{disputeId}/offers/{offer.Seq}/accept", null));
        return (await s.TimelineAsync(disputeId)).Single(e => e.Type == DisputeEventType.InstructionIssued).InstructionId!;
    }

    private static async Task<LedgerView> LedgerWhenAsync(Scenario s, Func<LedgerView, bool> condition, string what)
    {
        LedgerView? view = null;
        await EventuallyAsync(async () => condition(view = (await s.Consumer.GetFromJsonAsync<LedgerView>($"/api/orders/{s.OrderId}/ledger", Scenario.Json))!), what);
        Assert.True(view!.Balanced);
        Assert.Equal(0m, view.Balances.Values.Sum());
        return view;
    }

    [Fact]
    public async Task A_settlement_is_delivered_reported_done_and_refunded_in_the_ledger()
    {
        var s = await Scenario.PaidOrderAsync(Factory.As);
        var instructionId = await SettleAsync(s, 60m);
        await EventuallyAsync(() => Task.FromResult(Receiver.Applied(instructionId) is not null), "delivery of the settlement's instruction");
        Assert.Equal(60m, Receiver.Applied(instructionId)!.Amount);

        var reported = await s.Ops.PostAsJsonAsync($"/api/instructions/{instructionId}/result", new { outcome = "Done" });
        Assert.Equal(HttpStatusCode.OK, reported.StatusCode);

        var view = await LedgerWhenAsync(s, v => v.Entries.Count > 0, "the refund in the ledger");
        Assert.Equal(["refund"], view.Entries.Select(e => e.Kind));
        Assert.Equal(60m, view.Balances[LedgerAccount.Consumer]);
        Assert.Equal(-60m, view.Balances[LedgerAccount.Merchant]);
    }

    [Fact]
    public async Task A_failed_instruction_on_a_guaranteed_order_is_compensated_and_a_late_done_closes_the_claim()
    {
        var s = await GuaranteedOrderAsync();
        var instructionId = await SettleAsync(s, 60m);
        var held = await LedgerWhenAsync(s, v => v.Entries.Count > 0, "the hold");
        Assert.Equal(200m, held.Balances[LedgerAccount.Escrow]);
        await EventuallyAsync(() => Task.FromResult(Receiver.Applied(instructionId) is not null), "delivery of the settlement's instruction");

        var failed = await s.Ops.PostAsJsonAsync($"/api/instructions/{instructionId}/result", new { outcome = "Failed", reason = "the merchant's account has no balance" });
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        var compensated = await LedgerWhenAsync(s, v => v.Entries.Any(e => e.Kind == "release") && v.OpenClaims > 0, "compensation, claim and release");
        Assert.Equal(0m, compensated.Balances[LedgerAccount.Escrow]);
        Assert.Equal(-140m, compensated.Balances[LedgerAccount.Consumer]);
        Assert.Equal(-60m, compensated.Balances[LedgerAccount.CompensationFund]);
        Assert.Equal(60m, compensated.OpenClaims);

        var late = await s.Ops.PostAsJsonAsync($"/api/instructions/{instructionId}/result", new { outcome = "Done" });
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        var recovered = await LedgerWhenAsync(s, v => v.Entries.Any(e => e.Kind == "recovery"), "the recovery");
        Assert.Equal(0m, recovered.OpenClaims);
        Assert.Equal(0m, recovered.Balances[LedgerAccount.CompensationFund]);
        Assert.Equal(-140m, recovered.Balances[LedgerAccount.Consumer]);
        Assert.Equal(140m, recovered.Balances[LedgerAccount.Merchant]);
        Assert.Equal(["hold", "compensation", "claim", "release", "recovery"], recovered.Entries.Select(e => e.Kind));
    }
}
