using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>The real app with one of the 17 seeded partner platforms (jd) pointed at a real receiver on loopback, retrying fast.</summary>
public sealed class PartnerFixture : ReceiverFixture
{
    /// <summary>The partner platform's after-sales endpoint.</summary>
    public WebhookReceiver Platform => Receiver;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Mediation:Partners:Platforms:jd:AfterSalesUrl"] = Receiver.Url;
        settings["Mediation:Partners:Platforms:jd:Secret"] = Receiver.Secret;
        settings["Mediation:Partners:Platforms:taobao:Secret"] = "taobao-secret";
    }
}

/// <summary>
/// A consumers' association forwards a complaint to a partner platform: it arrives there signed (and again after a
/// 500), prioritised; the platform's signed answers appear on the consumer's timeline, live; forgeries change nothing.
/// </summary>
public sealed class PartnerComplaintTests(PartnerFixture fixture) : IClassFixture<PartnerFixture>
{
    private ApiFactory Factory => fixture.Factory;
    private WebhookReceiver Platform => fixture.Platform;
    private HttpClient Association => Factory.As("cca-zhejiang", "regulator");

    private static object Complaint(string platform, string id) => new
    {
        platform,
        order = new
        {
            orderId = $"JD{id}", consumerId = $"c-{id}", merchantId = $"seller-{id}", storeName = "Bright Appliances Flagship", city = "Hangzhou",
            items = new[] { new { name = "Air fryer", spec = "5 l", quantity = 1, price = 459m } }, total = 459m, currency = "CNY",
            paidAt = "2026-11-11T00:10:00Z", paymentChannel = "JD Pay",
        },
        category = "NotAsDescribed", requestedRemedy = "ReturnAndRefund", claimedAmount = 459m,
        description = "Advertised as 5 l with a steel basket; it is 3.5 l and the basket is plastic.",
    };

    private async Task<DisputeView> ForwardAsync(string platform = "jd")
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var response = await Association.PostAsJsonAsync("/api/partner-complaints", Complaint(platform, id));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<DisputeView>(Scenario.Json))!;
    }

    private HttpRequestMessage Answer(string platform, string body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/partners/{platform}/answers") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.Add(WebhookSignature.HeaderName, signature);
        return request;
    }

    private static string AnswerBody(string complaintId, string answerId, string status, string text) =>
        JsonSerializer.Serialize(new { complaintId, answerId, status, text });

    private async Task<IReadOnlyList<DisputeEvent>> TimelineAsync(DisputeView dispute) =>
        (await Factory.As(dispute.ConsumerId, "consumer").GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{dispute.DisputeId}/events", Scenario.Json))!;

    [Fact]
    public async Task A_forwarded_complaint_reaches_the_partner_platform_signed_and_prioritised_and_again_after_a_500()
    {
        Platform.FailNext(1);
        var dispute = await ForwardAsync();
        Assert.True(dispute.Priority);
        Assert.Equal("partner:jd", dispute.Origin);
        Assert.Equal("cca-zhejiang", dispute.ForwardedBy);

        await Poll.UntilAsync(() => Task.FromResult(Platform.Complaint(dispute.DisputeId) is not null), TimeSpan.FromSeconds(20), "the complaint taken by the platform");
        var deliveries = Platform.DeliveriesOf(dispute.DisputeId);
        Assert.Equal([500, 200], deliveries.Select(d => d.AnsweredStatus));
        Assert.All(deliveries, d =>
        {
            Assert.Equal(WebhookSignatureCheck.Valid, WebhookSignature.Verify(Platform.Secret, d.Signature, d.Body, DateTimeOffset.UtcNow));
            Assert.Equal(dispute.DisputeId, d.IdempotencyKey);
        });
        var taken = Platform.Complaint(dispute.DisputeId)!;
        Assert.True(taken.Priority);
        Assert.Equal("jd", taken.Platform);
        Assert.Equal("/api/partners/jd/answers", taken.AnswerPath);
        Assert.Equal(dispute.Order.OrderId, "jd:" + taken.Order.OrderId); // the platform gets its own order number back
        Assert.Equal(dispute.Deadlines.MerchantRespondBy, taken.AnswerBy);
        Assert.Equal(1, Platform.Applications(dispute.DisputeId));

        // The consumer has the dispute, opened by the association, marked prioritised.
        var consumerView = (await Factory.As(dispute.ConsumerId, "consumer").GetFromJsonAsync<DisputeView>($"/api/disputes/{dispute.DisputeId}", Scenario.Json))!;
        Assert.True(consumerView.Priority);
        var opened = (await TimelineAsync(dispute))[0];
        Assert.Equal(("cca-zhejiang", "regulator"), (opened.AuthorId, opened.AuthorRole));
    }

    [Fact]
    public async Task The_platforms_signed_answer_appears_on_the_consumers_timeline_live_once()
    {
        var dispute = await ForwardAsync();
        await using var consumer = await PartyConnection.ConnectAsync(Factory.BaseAddress, dispute.ConsumerId, "consumer");
        await consumer.Hub.InvokeAsync("JoinDispute", dispute.DisputeId, dispute.LastSeq);

        var body = AnswerBody(dispute.DisputeId, "jd-ans-1", "Handling", "The seller will collect the fryer tomorrow and refund on receipt.");
        var answered = await Factory.CreateClient().SendAsync(Answer("jd", body, WebhookSignature.Sign(Platform.Secret, DateTimeOffset.UtcNow, body)));
        var recorded = await Scenario.EventAsync(answered);
        Assert.Equal(DisputeEventType.PartnerAnswered, recorded.Type);

        var pushed = Assert.Single(await consumer.NextEventsAsync(1));
        Assert.Equal((DisputeEventType.PartnerAnswered, "jd", PartnerAnswerStatus.Handling), (pushed.Type, pushed.Platform, pushed.PartnerStatus));
        Assert.Equal("The seller will collect the fryer tomorrow and refund on receipt.", pushed.Text);
        Assert.Equal(("partner:jd", "partner"), (pushed.AuthorId, pushed.AuthorRole));

        // The same answer again (the platform retrying) is the same event, recorded once.
        var again = await Factory.CreateClient().SendAsync(Answer("jd", body, WebhookSignature.Sign(Platform.Secret, DateTimeOffset.UtcNow, body)));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(recorded.Seq, (await again.Content.ReadFromJsonAsync<DisputeEvent>(Scenario.Json))!.Seq);
        Assert.Single(await TimelineAsync(dispute), e => e.Type == DisputeEventType.PartnerAnswered);
    }

    [Fact]
    public async Task Forged_or_misdirected_answers_are_refused_and_change_nothing()
    {
        var dispute = await ForwardAsync();
        var before = await TimelineAsync(dispute);
        var body = AnswerBody(dispute.DisputeId, "jd-ans-9", "Resolved", "Refunded in full.");
        var now = DateTimeOffset.UtcNow;

        async Task RefusedAsync(HttpRequestMessage request, HttpStatusCode status, string words)
        {
            var response = await Factory.CreateClient().SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(words, text);
        }

        await RefusedAsync(Answer("jd", body, WebhookSignature.Sign("whsec-wrong", now, body)), HttpStatusCode.Unauthorized, "does not match");
        await RefusedAsync(Answer("jd", body, null), HttpStatusCode.Unauthorized, "missing or malformed");
        await RefusedAsync(Answer("jd", body.Replace("Refunded in full.", "Refunded nothing."), WebhookSignature.Sign(Platform.Secret, now, body)),
            HttpStatusCode.Unauthorized, "does not match");
        await RefusedAsync(Answer("jd", body, WebhookSignature.Sign(Platform.Secret, now.AddMinutes(-30), body)), HttpStatusCode.Unauthorized, "minutes off");
        // Another partner, validly signed with its own secret, cannot answer a complaint that was not sent to it.
        await RefusedAsync(Answer("taobao", body, WebhookSignature.Sign("taobao-secret", now, body)), HttpStatusCode.NotFound, "was not forwarded to taobao");
        // A seeded partner whose secret is not configured yet cannot answer at all.
        await RefusedAsync(Answer("tmall", body, WebhookSignature.Sign("", now, body)), HttpStatusCode.Unauthorized, "tmall");
        await RefusedAsync(Answer("nosuch", body, WebhookSignature.Sign(Platform.Secret, now, body)), HttpStatusCode.NotFound, "partner platform nosuch does not exist");

        // Signed by the right platform but not a valid answer: 400 in our words.
        var unknownStatus = AnswerBody(dispute.DisputeId, "jd-ans-10", "Maybe", "Perhaps.");
        await RefusedAsync(Answer("jd", unknownStatus, WebhookSignature.Sign(Platform.Secret, now, unknownStatus)), HttpStatusCode.BadRequest, "must be one of Received");
        var blank = AnswerBody(dispute.DisputeId, "jd-ans-11", "Resolved", " \u200b ");
        await RefusedAsync(Answer("jd", blank, WebhookSignature.Sign(Platform.Secret, now, blank)), HttpStatusCode.BadRequest, "answer");

        Assert.Equal(before.Select(e => e.Seq), (await TimelineAsync(dispute)).Select(e => e.Seq));
    }

    [Fact]
    public async Task Only_an_association_or_regulator_forwards_and_only_to_a_configured_platform()
    {
        var partners = (await Association.GetFromJsonAsync<JsonElement[]>("/api/partners", Scenario.Json))!;
        Assert.Equal(17, partners.Length);

        var id = Guid.NewGuid().ToString("N")[..10];
        var unknown = await Association.PostAsJsonAsync("/api/partner-complaints", Complaint("nosuch", id));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("partner platform nosuch does not exist", await unknown.Content.ReadAsStringAsync());

        var byConsumer = await Factory.As($"c-{id}", "consumer").PostAsJsonAsync("/api/partner-complaints", Complaint("jd", id));
        Assert.Equal(HttpStatusCode.Forbidden, byConsumer.StatusCode);

        var orderCheck = await Factory.As("platform", "ops").GetAsync($"/api/orders/jd:JD{id}");
        Assert.Equal(HttpStatusCode.NotFound, orderCheck.StatusCode); // nothing was stored by the refused attempts
        Assert.Empty(Platform.DeliveriesOf($"JD{id}"));
    }
}
