using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>
/// The one authorization policy, tried from outside: every role against every route and hub method that is not
/// theirs — strangers to a dispute, a mediator of another city, a regulator of another city, merchant staff of
/// another store, ops posing as a party. Each is refused 403 or 404 with nothing of the dispute in the answer, and
/// nothing changes.
/// </summary>
public sealed class AuthorizationMatrixTests(MediationFixture fixture) : IClassFixture<MediationFixture>
{
    private ApiFactory App => fixture.Factory;
    private static readonly JsonSerializerOptions Json = MediationJson.Options;

    private sealed record Setup(string Mediated, string Negotiating, long OfferSeq, string ConsumerId, string MerchantId, string OrderId, string Description);

    /// <summary>In Suzhou: one dispute assigned to med-s1, one negotiating with the store's open offer, both of one consumer and store.</summary>
    private async Task<Setup> SetUpAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var (consumerId, merchantId) = ($"c-{id}", $"m-{id}");
        var ops = App.As("platform", "ops");
        var consumer = App.As(consumerId, "consumer");
        var merchant = App.As(merchantId, "merchant");
        const string description = "Secret description Zanzibar: the silk is polyester.";
        async Task<string> OpenAsync(string orderId)
        {
            Assert.Equal(HttpStatusCode.Created, (await ops.PostAsJsonAsync("/api/orders", new
            {
                orderId, consumerId, merchantId, storeName = "Canal Silk", city = "Suzhou",
                items = new[] { new { name = "Silk scarf", spec = "90 cm", quantity = 1, price = 873.45m } }, total = 873.45m, currency = "CNY",
                paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
            })).StatusCode);
            var opened = await consumer.PostAsJsonAsync("/api/disputes", new
            {
                orderId, category = "NotAsDescribed", requestedRemedy = "FullRefund", claimedAmount = 873.45m, description,
            });
            Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
            return (await opened.Content.ReadFromJsonAsync<DisputeView>(Json))!.DisputeId;
        }
        var mediated = await OpenAsync($"o-{id}-a");
        var negotiating = await OpenAsync($"o-{id}-b");
        await Scenario.EventAsync(await merchant.PostAsJsonAsync($"/api/disputes/{mediated}/messages", new { text = "It is real silk." }));
        await Poll.UntilAsync(async () => (await View(consumer, mediated)).AllowedActions.Contains(DisputeAction.Escalate),
            TimeSpan.FromSeconds(15), "the escalation opening");
        await Scenario.EventAsync(await consumer.PostAsync($"/api/disputes/{mediated}/escalate", null));
        await Poll.UntilAsync(async () => (await View(consumer, mediated)).MediatorId == "med-s1", TimeSpan.FromSeconds(15), "med-s1 assigned");
        var offer = await Scenario.EventAsync(await merchant.PostAsJsonAsync($"/api/disputes/{negotiating}/offers", new { remedy = "PartialRefund", amount = 100m }));
        return new Setup(mediated, negotiating, offer.Seq, consumerId, merchantId, $"o-{id}-a", description);
    }

    private static async Task<DisputeView> View(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Json))!;

    /// <summary>Who tries: nobody here has any business with the setup's disputes.</summary>
    private static readonly (string Name, string UserId, string Role, Dictionary<string, object>? Claims)[] Outsiders =
    [
        ("another consumer", "c-outsider", "consumer", null),
        ("another merchant", "m-outsider", "merchant", null),
        ("staff of another merchant", "staff-outsider", "merchant-staff", new() { ["merchant"] = "m-outsider" }),
        ("a mediator of another city", "med-n1", "mediator", null),
        ("a regulator of another city", "reg-ningbo", "regulator", new() { ["city"] = "Ningbo" }),
        ("ops", "platform", "ops", null),
    ];

    private HttpClient Client(string userId, string role, Dictionary<string, object>? claims)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.For(userId, role, claims));
        return client;
    }

    [Fact]
    public async Task Every_role_is_refused_every_route_and_hub_method_that_is_not_theirs_and_nothing_changes()
    {
        var s = await SetUpAsync();
        var consumer = App.As(s.ConsumerId, "consumer");
        var merchant = App.As(s.MerchantId, "merchant");
        var before = await SnapshotAsync(s, consumer, merchant);
        var (m, n) = ($"/api/disputes/{s.Mediated}", $"/api/disputes/{s.Negotiating}");
        const string ruling = """{"category":"Counterfeit","responsibility":"Merchant","remedy":"FullRefund","amount":873.45,"returnFirst":false,"reasons":"x"}""";

        // Routes of a dispute's parties and its mediator: no outsider may use them.
        (string Method, string Path, string? Body)[] disputeRoutes =
        [
            ("GET", n, null), ("GET", $"{n}/events?afterSeq=0", null), ("GET", $"{m}/case-file", null),
            ("POST", $"{n}/messages", """{"text":"hello"}"""),
            ("POST", $"{n}/offers", """{"remedy":"FullRefund","amount":873.45}"""),
            ("POST", $"{n}/offers/{s.OfferSeq}/accept", "{}"), ("POST", $"{n}/offers/{s.OfferSeq}/reject", "{}"),
            ("POST", $"{n}/withdraw", "{}"), ("POST", $"{n}/escalate", "{}"), ("POST", $"{n}/confirm", "{}"),
            ("POST", $"{m}/evidence-requests", """{"of":"merchant","text":"x","dueBy":"2030-01-01T00:00:00Z"}"""),
            ("POST", $"{m}/proposals", """{"remedy":"PartialRefund","amount":10,"text":"x"}"""),
            ("POST", $"{m}/proposals/1/accept", "{}"), ("POST", $"{m}/ruling", ruling),
            ("POST", $"{m}/return-shipment", """{"carrier":"SF","trackingNumber":"SF123"}"""),
            ("POST", $"{m}/return-receipt", """{"condition":"AsExpected"}"""),
            ("POST", $"{m}/feedback", """{"rating":5}"""),
            ("GET", $"{m}/evidence/e-1", null),
            ("GET", $"/api/consumers/{s.ConsumerId}/disputes", null), ("GET", $"/api/merchants/{s.MerchantId}/disputes", null),
            ("GET", $"/api/orders/{s.OrderId}", null), ("GET", $"/api/orders/{s.OrderId}/ledger", null),
            ("GET", "/api/mediators/med-s1/queue", null), ("PUT", "/api/mediators/med-s1/availability", """{"available":false}"""),
        ];
        var failures = new List<string>();
        var tried = 0;
        foreach (var who in Outsiders)
        {
            using var client = Client(who.UserId, who.Role, who.Claims);
            foreach (var (method, path, body) in disputeRoutes)
            {
                // Ops reads orders and ledgers and regulators' case files are tried by city below: not outsiders there.
                if (who.Role == "ops" && path.StartsWith("/api/orders/", StringComparison.Ordinal)) continue;
                tried++;
                await ExpectRefusedAsync(client, method, path, body, who.Name, s, failures);
            }
        }

        // Routes of other roles, tried by the parties themselves and by the mediator of the case.
        using var mediator = Client("med-s1", "mediator", null);
        (HttpClient Who, string Name, string Method, string Path, string? Body)[] roleRoutes =
        [
            (consumer, "the consumer", "POST", $"{m}/ruling", ruling),
            (merchant, "the merchant", "POST", $"{m}/proposals", """{"remedy":"PartialRefund","amount":10,"text":"x"}"""),
            (merchant, "the merchant", "POST", $"{m}/evidence-requests", """{"of":"consumer","text":"x","dueBy":"2030-01-01T00:00:00Z"}"""),
            (merchant, "the merchant", "POST", $"{n}/withdraw", "{}"),
            (merchant, "the merchant", "POST", $"{n}/confirm", "{}"),
            (mediator, "the mediator", "POST", $"{m}/withdraw", "{}"),
            (mediator, "the mediator", "POST", $"{m}/offers", """{"remedy":"FullRefund","amount":873.45}"""),
            (consumer, "the consumer", "POST", "/api/orders", """{"orderId":"o-forged","consumerId":"c-x","merchantId":"m-x","storeName":"x","city":"Suzhou","items":[{"name":"x","spec":"x","quantity":1,"price":1}],"total":1,"currency":"CNY","paidAt":"2026-11-20T10:00:00Z","paymentChannel":"Alipay"}"""),
            (merchant, "the merchant", "PUT", $"/api/merchants/{s.MerchantId}/profile", """{"verified":true,"city":"Suzhou"}"""),
            (merchant, "the merchant", "POST", "/api/instructions/i-1/result", """{"outcome":"Done"}"""),
            (mediator, "the mediator", "POST", "/api/instructions/i-1/result", """{"outcome":"Done"}"""),
            (consumer, "the consumer", "GET", "/api/figures", null),
            (merchant, "the merchant", "GET", "/api/figures", null),
            (mediator, "the mediator", "GET", "/api/figures", null),
            (Client("reg-ningbo", "regulator", new() { ["city"] = "Ningbo" }), "a regulator of Ningbo", "GET", "/api/figures?city=Suzhou", null),
            (Client("reg-ningbo", "regulator", new() { ["city"] = "Ningbo" }), "a regulator of Ningbo", "POST", $"{m}/messages", """{"text":"x"}"""),
            (Client("reg-suzhou", "regulator", new() { ["city"] = "Suzhou" }), "a regulator of Suzhou", "POST", $"{m}/messages", """{"text":"as a party"}"""),
            (Client("platform", "ops", null), "ops", "POST", $"{m}/ruling", ruling),
        ];
        foreach (var (who, name, method, path, body) in roleRoutes)
        {
            tried++;
            // A party's refusal may name the party itself: it is the one asking.
            var self = name == "the consumer" ? s.ConsumerId : name == "the merchant" ? s.MerchantId : "";
            await ExpectRefusedAsync(who, method, path, body, name, s, failures, self);
        }

        // Hub methods, for each outsider.
        foreach (var who in Outsiders)
        {
            await using var hub = await PartyConnection.ConnectAsync(App.BaseAddress, who.UserId, who.Role, who.Claims);
            (string Method, object?[] Args)[] calls =
            [
                ("JoinDispute", [s.Negotiating, 0L]), ("SendMessage", [s.Negotiating, "hello"]),
                ("MakeOffer", [s.Negotiating, "FullRefund", 873.45m]), ("AcceptOffer", [s.Negotiating, s.OfferSeq]),
                ("RejectOffer", [s.Negotiating, s.OfferSeq]), ("Escalate", [s.Negotiating]), ("Withdraw", [s.Negotiating]),
                ("ConfirmRemedy", [s.Negotiating]), ("Typing", [s.Negotiating]), ("MarkRead", [s.Negotiating, 1L]),
                ("RequestEvidence", [s.Mediated, "merchant", "x", DateTimeOffset.UtcNow.AddDays(1)]),
                ("Propose", [s.Mediated, "PartialRefund", 10m, false, "x"]), ("AcceptProposal", [s.Mediated, 1L]),
                ("Rule", [s.Mediated, "Counterfeit", "Merchant", "FullRefund", 731m, false, "x"]),
                ("ShipReturn", [s.Mediated, "SF", "SF1"]), ("AcknowledgeReturn", [s.Mediated, "AsExpected", null]),
                ("GiveFeedback", [s.Mediated, 5, null]), ("FollowQueue", ["Suzhou"]),
                ("FollowMerchant", [s.MerchantId]), ("FollowConsumer", [s.ConsumerId]),
            ];
            foreach (var (method, args) in calls)
            {
                tried++;
                try
                {
                    await hub.Hub.InvokeCoreAsync(method, typeof(object), args);
                    failures.Add($"{who.Name}: hub {method} was allowed");
                }
                catch (HubException e)
                {
                    // The message is ours alone, from the status on (the hub protocol removes SignalR's prefix).
                    if (!(e.Message.StartsWith("403 ", StringComparison.Ordinal) || e.Message.StartsWith("404 ", StringComparison.Ordinal)))
                        failures.Add($"{who.Name}: hub {method} → {e.Message}");
                    else if (Leaks(e.Message, s, string.Join(",", args)) is { } leak) failures.Add($"{who.Name}: hub {method} leaks {leak}: {e.Message}");
                }
            }
            // Joined nothing: the other disputes' events never reach the outsider.
            Assert.Empty(hub.ReceivedEvents);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {tried} were not refused as they should be:\n{string.Join("\n", failures)}");
        Assert.True(tried >= 200, $"only {tried} tried");
        Assert.Equal(before, await SnapshotAsync(s, consumer, merchant));
    }

    [Fact]
    public async Task A_regulator_reads_the_case_files_and_figures_of_its_city_masked_and_never_acts()
    {
        var s = await SetUpAsync();
        using var regulator = Client("reg-suzhou", "regulator", new() { ["city"] = "Suzhou" });
        var file = await regulator.GetAsync($"/api/disputes/{s.Mediated}/case-file");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        var figures = (await regulator.GetFromJsonAsync<RegulatorFigures>("/api/figures", Json))!;
        Assert.Equal("Suzhou", figures.Query.City); // its own city, unasked
        using var national = Client("reg-national", "regulator", null);
        Assert.Equal(HttpStatusCode.OK, (await national.GetAsync($"/api/disputes/{s.Mediated}/case-file")).StatusCode);
        using var elsewhere = Client("reg-ningbo", "regulator", new() { ["city"] = "Ningbo" });
        Assert.Equal(HttpStatusCode.Forbidden, (await elsewhere.GetAsync($"/api/disputes/{s.Mediated}/case-file")).StatusCode);
    }

    private static async Task ExpectRefusedAsync(HttpClient client, string method, string path, string? body, string who, Setup s, List<string> failures, string self = "")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.NotFound))
            failures.Add($"{who}: {method} {path} → {(int)response.StatusCode} {text}");
        else if (Leaks(text, s, path + " " + self) is { } leak)
            failures.Add($"{who}: {method} {path} leaks {leak}: {text}");
    }

    /// <summary>What a refusal must never tell an outsider: who the parties are (unless asked by name), what was claimed, what was said.</summary>
    private static string? Leaks(string answer, Setup s, string asked) =>
        answer.Contains(s.ConsumerId) && !asked.Contains(s.ConsumerId) ? "the consumer's id"
        : answer.Contains(s.MerchantId) && !asked.Contains(s.MerchantId) ? "the merchant's id"
        : answer.Contains("Zanzibar") ? "the description"
        : answer.Contains("873.45") || answer.Contains("873,45") ? "the amount"
        : answer.Contains("polyester") ? "the description"
        : answer.Contains("   at ") || answer.Contains("Exception") ? "a stack trace"
        : null;

    private static async Task<string> SnapshotAsync(Setup s, HttpClient consumer, HttpClient merchant)
    {
        var parts = new List<string>();
        foreach (var id in new[] { s.Mediated, s.Negotiating })
        {
            parts.Add(await consumer.GetStringAsync($"/api/disputes/{id}/events?afterSeq=0"));
            var view = await View(consumer, id);
            parts.Add($"{view.State} {view.LastSeq} {view.MediatorId}");
        }
        parts.Add(await consumer.GetStringAsync($"/api/consumers/{s.ConsumerId}/disputes"));
        parts.Add(await merchant.GetStringAsync($"/api/merchants/{s.MerchantId}/disputes"));
        return string.Join("\n", parts);
    }
}
