using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>The app with cities and mediators configured and a negotiation window of a second, so cases escalate at once.</summary>
public sealed class MediationFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();

    public Task InitializeAsync()
    {
        Factory.Settings["Mediation:Cities:Suzhou:Mediators:0"] = "med-s1";
        Factory.Settings["Mediation:Cities:Ningbo:Mediators:0"] = "med-n1";
        Factory.Settings["Mediation:Deadlines:NegotiationWindow"] = "00:00:01";
        Factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>The mediation routes and hub methods against the real app: who may do what, in our words, and what the case file shows whom.</summary>
public sealed class MediationApiTests(MediationFixture fixture) : IClassFixture<MediationFixture>
{
    private ApiFactory Factory => fixture.Factory;
    private static readonly JsonSerializerOptions Json = MediationJson.Options;

    private sealed record Case(string DisputeId, string OrderId, string MerchantId, HttpClient Consumer, HttpClient Merchant, HttpClient Ops);

    /// <summary>An order in <paramref name="city"/>, a dispute on it, the merchant's answer, and an escalation once the window is over.</summary>
    private async Task<Case> EscalatedAsync(string city, string description = "The tins arrived crushed.")
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var ops = Factory.As("platform", "ops");
        var consumer = Factory.As($"c-{id}", "consumer");
        var merchant = Factory.As($"m-{id}", "merchant");
        var order = await ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = $"o-{id}", consumerId = $"c-{id}", merchantId = $"m-{id}", storeName = "Canal Silk", city,
            items = new[] { new { name = "Silk scarf", spec = "90 cm", quantity = 2, price = 100m } }, total = 200m, currency = "CNY",
            paidAt = "2026-11-20T10:00:00Z", paymentChannel = "WeChat Pay",
        });
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        var opened = await consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = $"o-{id}", category = "NotAsDescribed", requestedRemedy = "FullRefund", claimedAmount = 200m, description,
        });
        var dispute = (await opened.Content.ReadFromJsonAsync<DisputeView>(Json))!;
        await Scenario.EventAsync(await merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "It is real silk." }));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await ViewAsync(consumer, dispute.DisputeId)).AllowedActions.Contains(DisputeAction.Escalate))
        {
            Assert.True(DateTime.UtcNow < deadline, "escalation never opened");
            await Task.Delay(100); // poll interval: the one-second window
        }
        await Scenario.EventAsync(await consumer.PostAsync($"/api/disputes/{dispute.DisputeId}/escalate", null));
        return new Case(dispute.DisputeId, $"o-{id}", $"m-{id}", consumer, merchant, ops);
    }

    private static async Task<DisputeView> ViewAsync(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Json))!;

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string words)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Contains(words, body);
    }

    [Fact]
    public async Task The_mediator_works_the_case_over_REST_and_the_hub_and_the_case_file_masks_phones_for_the_mediator()
    {
        var c = await EscalatedAsync("Suzhou", "Not silk at all. Call me on 138 0013 8000.");
        var mediator = Factory.As("med-s1", "mediator");
        var assigned = await ViewAsync(mediator, c.DisputeId);
        Assert.Equal((DisputeState.InMediation, "med-s1"), (assigned.State, assigned.MediatorId));
        Assert.Equal([DisputeAction.SendMessage, DisputeAction.AddEvidence, DisputeAction.RequestEvidence, DisputeAction.Propose, DisputeAction.Rule],
            assigned.AllowedActions);

        // The mediator's message is visible to both parties and marked as the mediator's.
        var note = await Scenario.EventAsync(await mediator.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/messages", new { text = "I have the case. Photos, please." }));
        Assert.Equal(("med-s1", "mediator"), (note.AuthorId, note.AuthorRole));
        Assert.Contains((await c.Merchant.GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{c.DisputeId}/events?afterSeq={note.Seq - 1}", Json))!,
            e => e.Seq == note.Seq && e.AuthorRole == "mediator");

        // Over the hub: an evidence request of the merchant with a deadline, and the parties' answers to a proposal.
        await using var hub = await PartyConnection.ConnectAsync(Factory.BaseAddress, "med-s1", "mediator");
        var dueBy = DateTimeOffset.UtcNow.AddDays(2);
        var requestSeq = await hub.Hub.InvokeAsync<long>("RequestEvidence", c.DisputeId, "merchant", "The fabric certificate, please.", dueBy);
        var request = (await c.Merchant.GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{c.DisputeId}/events?afterSeq={requestSeq - 1}", Json))![0];
        Assert.Equal((DisputeEventType.EvidenceRequested, "merchant"), (request.Type, request.RequestedOf));
        Assert.Equal(dueBy.ToUnixTimeSeconds(), request.DueBy!.Value.ToUnixTimeSeconds());
        var past = await Assert.ThrowsAsync<HubException>(() => hub.Hub.InvokeAsync<long>("RequestEvidence", c.DisputeId, "merchant", "again", DateTimeOffset.UtcNow.AddMinutes(-1)));
        Assert.Contains("deadline must be in the future", past.Message);

        var proposal = await Scenario.EventAsync(await mediator.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/proposals",
            new { remedy = "PartialRefund", amount = 120m, text = "A partial refund of 120." }));
        var blocked = await mediator.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/ruling",
            new { category = "NotAsDescribed", responsibility = "Merchant", remedy = "FullRefund", amount = 200m, reasons = "x" });
        await AssertProblemAsync(blocked, HttpStatusCode.Conflict, "not yet answered the open proposal");
        await using var merchantHub = await PartyConnection.ConnectAsync(Factory.BaseAddress, c.MerchantId, "merchant");
        await merchantHub.Hub.InvokeAsync<long>("RejectProposal", c.DisputeId, proposal.Seq);

        // Refusals in our words, changing nothing.
        var before = (await ViewAsync(c.Consumer, c.DisputeId)).LastSeq;
        await AssertProblemAsync(await c.Consumer.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/ruling",
            new { category = "NotAsDescribed", responsibility = "Merchant", remedy = "FullRefund", amount = 200m, reasons = "I win" }),
            HttpStatusCode.Forbidden, "only the assigned mediator can rule");
        await AssertProblemAsync(await mediator.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/ruling",
            new { category = "NotAsDescribed", responsibility = "Merchant", remedy = "FullRefund", amount = -5m, reasons = "x" }),
            HttpStatusCode.BadRequest, "must not be negative");
        await AssertProblemAsync(await mediator.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/ruling",
            new { category = "NotAsDescribed", responsibility = "Martians", remedy = "FullRefund", amount = 5m, reasons = "x" }),
            HttpStatusCode.BadRequest, "must be one of Merchant, Logistics, Consumer, Shared");
        var stranger = Factory.As("med-n1", "mediator");
        await AssertProblemAsync(await stranger.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/proposals",
            new { remedy = "PartialRefund", amount = 1m, text = "mine" }), HttpStatusCode.Forbidden, "not a party");
        Assert.Equal(before, (await ViewAsync(c.Consumer, c.DisputeId)).LastSeq);

        var ruled = await Scenario.EventAsync(await mediator.PostAsJsonAsync($"/api/disputes/{c.DisputeId}/ruling", new
        {
            category = "Counterfeit", responsibility = "Merchant", remedy = "FullRefund", amount = 200m,
            reasons = "The scarf is polyester <script>alert(1)</script>, not silk.",
        }));
        Assert.Equal((DisputeCategory.Counterfeit, Responsibility.Merchant), (ruled.Category, ruled.Responsibility));
        var after = await ViewAsync(c.Consumer, c.DisputeId);
        Assert.Equal(DisputeState.Enforcing, after.State);
        Assert.True(after.EvidenceSealed);

        // The case file: the parties read it whole; the mediator reads it with the phone number masked.
        var forConsumer = (await c.Consumer.GetFromJsonAsync<CaseFile>($"/api/disputes/{c.DisputeId}/case-file", Json))!;
        Assert.Contains("138 0013 8000", forConsumer.Dispute.Description);
        Assert.Equal(ruled.Seq, forConsumer.Ruling!.Seq);
        Assert.Equal([proposal.Seq], forConsumer.Offers.Select(o => o.Seq));
        Assert.Contains(forConsumer.Timeline, e => e.Type == DisputeEventType.EvidenceSealed);
        Assert.Equal((1, true), (forConsumer.MerchantStanding!.RulingsAgainst, forConsumer.MerchantStanding.Score < 100));
        var forMediator = (await mediator.GetFromJsonAsync<CaseFile>($"/api/disputes/{c.DisputeId}/case-file", Json))!;
        Assert.DoesNotContain("138 0013 8000", forMediator.Dispute.Description);
        Assert.EndsWith("00.", forMediator.Dispute.Description);
        Assert.DoesNotContain(forMediator.Timeline, e => e.Text?.Contains("0013") == true);

        // The printable page, HTML-encoded.
        var request2 = new HttpRequestMessage(HttpMethod.Get, $"/api/disputes/{c.DisputeId}/case-file");
        request2.Headers.Accept.Clear();
        request2.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        var page = await c.Consumer.SendAsync(request2);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Case file", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Equal(html, await c.Consumer.GetStringAsync($"/api/disputes/{c.DisputeId}/case-file?format=html"));

        // Nobody else reads it.
        await AssertProblemAsync(await stranger.GetAsync($"/api/disputes/{c.DisputeId}/case-file"), HttpStatusCode.Forbidden, "may not read the case file");
        await AssertProblemAsync(await c.Consumer.GetAsync($"/api/disputes/{c.DisputeId}/case-file?format=pdf"), HttpStatusCode.BadRequest, "format must be json or html");
    }

    [Fact]
    public async Task Hostile_input_to_the_mediation_routes_and_hub_methods_is_refused_in_our_words_and_changes_nothing()
    {
        var c = await EscalatedAsync("Suzhou");
        var mediator = Factory.As("med-s1", "mediator");
        var before = await c.Consumer.GetStringAsync($"/api/disputes/{c.DisputeId}/events?afterSeq=0");
        var d = $"/api/disputes/{c.DisputeId}";
        const string ruling = "\"category\":\"Counterfeit\",\"responsibility\":\"Merchant\",\"remedy\":\"FullRefund\"";
        (HttpClient Who, string Path, string Body, HttpStatusCode Status, string Words)[] cases =
        [
            (mediator, $"{d}/ruling", "{" + ruling + ",\"amount\":10,\"amount\":200,\"reasons\":\"x\"}", HttpStatusCode.BadRequest, "amount"),
            (mediator, $"{d}/ruling", "{\"category\":\"Counterfeit\",\"responsibility\":\"Merchant,Shared\",\"remedy\":\"FullRefund\",\"amount\":10,\"reasons\":\"x\"}", HttpStatusCode.BadRequest, "must be one of"),
            (mediator, $"{d}/ruling", "{" + ruling + ",\"amount\":10.001,\"reasons\":\"x\"}", HttpStatusCode.BadRequest, "decimals"),
            (mediator, $"{d}/ruling", "{" + ruling + ",\"amount\":10,\"reasons\":\"\u200b \u200b\"}", HttpStatusCode.BadRequest, "visible character"),
            (mediator, $"{d}/ruling", "{" + ruling + ",\"amount\":10,\"reasons\":null}", HttpStatusCode.BadRequest, "reasons"),
            (mediator, $"{d}/ruling", "{" + ruling + ",\"amount\":1e30,\"reasons\":\"x\"}", HttpStatusCode.BadRequest, "amount"),
            (mediator, $"{d}/proposals", "{\"remedy\":3,\"amount\":10,\"text\":\"x\"}", HttpStatusCode.BadRequest, "must be one of"),
            (mediator, $"{d}/evidence-requests", "{\"of\":\"Consumer,Merchant\",\"text\":\"x\",\"dueBy\":\"2030-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "must be one of"),
            (mediator, $"{d}/evidence-requests", "{\"of\":\"mediator\",\"text\":\"x\",\"dueBy\":\"2030-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "consumer or the merchant"),
            (c.Consumer, $"{d}/feedback", "{\"rating\":4.5}", HttpStatusCode.BadRequest, "rating"),
            (c.Consumer, $"{d}/return-shipment", "{\"carrier\":\"SF\",\"trackingNumber\":\"../../etc\"}", HttpStatusCode.Conflict, "cannot be recorded"),
            (c.Consumer, $"/api/disputes/..%2F{c.DisputeId}/feedback", "{\"rating\":5}", HttpStatusCode.NotFound, "does not exist"),
        ];
        foreach (var (who, path, body, status, words) in cases)
        {
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            await AssertProblemAsync(await who.PostAsync(path, content), status, words);
        }
        using var latin1 = new StringContent("{\"rating\":5}", System.Text.Encoding.Latin1, "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await c.Consumer.PostAsync($"{d}/feedback", latin1)).StatusCode);

        // Nulls and wrong words on the hub: a HubException in our words, never a fault.
        await using var hub = await PartyConnection.ConnectAsync(Factory.BaseAddress, "med-s1", "mediator");
        var refusals = new List<HubException>
        {
            await Assert.ThrowsAsync<HubException>(() => hub.Hub.InvokeAsync<long>("Rule", c.DisputeId, null, null, null, 10m, false, null)),
            await Assert.ThrowsAsync<HubException>(() => hub.Hub.InvokeAsync<long>("RequestEvidence", c.DisputeId, "consumer", null, DateTimeOffset.UtcNow.AddDays(1))),
            await Assert.ThrowsAsync<HubException>(() => hub.Hub.InvokeAsync<long>("Propose", null, "FullRefund", 10m, false, "x")),
            await Assert.ThrowsAsync<HubException>(() => hub.Hub.InvokeAsync<long>("AcknowledgeReturn", c.DisputeId, "Broken,Empty", null)),
            await Assert.ThrowsAsync<HubException>(() => hub.Hub.InvokeAsync("FollowQueue", (string?)null)),
        };
        // Each carries the REST status of the refusal (a 4xx), never a fault's 500.
        Assert.All(refusals, e => Assert.Matches(@"^4\d\d ", e.Message));
        Assert.Contains("category must be one of", refusals[0].Message);
        Assert.Contains("request text", refusals[1].Message);
        Assert.Contains("does not exist", refusals[2].Message);
        Assert.Contains("condition must be one of", refusals[3].Message);

        Assert.Equal(before, await c.Consumer.GetStringAsync($"/api/disputes/{c.DisputeId}/events?afterSeq=0"));
    }

    [Fact]
    public async Task A_mediator_sets_their_availability_and_sees_their_queue_and_nobody_else_can()
    {
        var mediator = Factory.As("med-n1", "mediator");
        var away = await mediator.PutAsJsonAsync("/api/mediators/med-n1/availability", new { available = false });
        Assert.Equal(HttpStatusCode.OK, away.StatusCode);
        Assert.False((await away.Content.ReadFromJsonAsync<MediatorQueue>(Json))!.Available);

        // The desk over the hub: the city's whole queue each time it changes.
        await using var desk = await PartyConnection.ConnectAsync(Factory.BaseAddress, "med-n1", "mediator");
        var news = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        desk.Hub.On<JsonElement>("QueueChanged", q => news.Writer.TryWrite(q));
        await desk.Hub.InvokeAsync("FollowQueue", "Ningbo");
        var notMine = await Assert.ThrowsAsync<HubException>(() => desk.Hub.InvokeAsync("FollowQueue", "Suzhou"));
        Assert.Contains("not a mediator of Suzhou", notMine.Message);

        // Away: an escalated case of the city waits in the queue.
        var c = await EscalatedAsync("Ningbo");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            while (true)
            {
                var line = await news.Reader.ReadAsync(timeout.Token);
                if (line.GetProperty("cases").EnumerateArray().Any(q => q.GetProperty("disputeId").GetString() == c.DisputeId)) break;
            }
        }
        var queue = (await mediator.GetFromJsonAsync<MediatorQueue>("/api/mediators/med-n1/queue", Json))!;
        Assert.Contains(queue.Waiting, w => w.DisputeId == c.DisputeId);
        Assert.Equal(DisputeState.Escalated, (await ViewAsync(c.Consumer, c.DisputeId)).State);

        // Back: the waiting case is assigned at once.
        var back = (await (await mediator.PutAsJsonAsync("/api/mediators/med-n1/availability", new { available = true })).Content.ReadFromJsonAsync<MediatorQueue>(Json))!;
        Assert.Contains(back.MyCases, w => w.DisputeId == c.DisputeId);
        Assert.Equal(("med-n1", DisputeState.InMediation), ((await ViewAsync(c.Consumer, c.DisputeId)).MediatorId, (await ViewAsync(c.Consumer, c.DisputeId)).State));

        await AssertProblemAsync(await Factory.As("med-s1", "mediator").GetAsync("/api/mediators/med-n1/queue"), HttpStatusCode.Forbidden, "may not see the queue");
        await AssertProblemAsync(await c.Consumer.PutAsJsonAsync("/api/mediators/med-n1/availability", new { available = false }), HttpStatusCode.Forbidden, "may not set the availability");
        await AssertProblemAsync(await mediator.GetAsync("/api/mediators/med-nobody/queue"), HttpStatusCode.NotFound, "mediator med-nobody does not exist");
        await AssertProblemAsync(await mediator.PutAsJsonAsync("/api/mediators/med-n1/availability", new { available = "maybe" }), HttpStatusCode.BadRequest, "available");
    }

    [Fact]
    public async Task Ops_describes_a_merchant_and_its_standing_follows_its_record()
    {
        var c = await EscalatedAsync("Ningbo");
        var profile = await c.Ops.PutAsJsonAsync($"/api/merchants/{c.MerchantId}/profile", new { verified = true, city = "Ningbo", returnAddress = "1 Harbour Road" });
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        await AssertProblemAsync(await c.Merchant.PutAsJsonAsync($"/api/merchants/{c.MerchantId}/profile", new { verified = true }), HttpStatusCode.Forbidden, "ops");
        var standing = (await c.Consumer.GetFromJsonAsync<MerchantStanding>($"/api/merchants/{c.MerchantId}/standing", Json))!;
        Assert.Equal((true, 1, 0, 0), (standing.Verified, standing.Disputes, standing.RulingsAgainst, standing.UnpaidClaims));
        Assert.Null(standing.ResolutionRateByParties); // nothing finished yet
        var list = (await c.Merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{c.MerchantId}/disputes", Json))!;
        Assert.Equal(standing, list.Standing);
    }
}
