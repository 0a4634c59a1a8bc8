using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace Mediation.Api.Tests;

/// <summary>
/// Ambiguous, malformed and hostile input, on REST and the hub: each is refused with the right status, in the API's
/// own words (the field and what is wrong with it, never a .NET type name), and changes nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class HostileInputTests(ApiFixture fixture)
{
    /// <summary>Words that would mean the answer passed on the runtime's text instead of ours.</summary>
    private static readonly string[] Leaks = ["Mediation.", "System.", "`1", "nullability", "Microsoft.", "   at "];

    private const string D = "@D"; // the negotiating dispute
    private const string O = "@O"; // its order (total 199.00 CNY)
    private const string N = "@N"; // a fresh order id that must stay unused

    /// <summary>A request and the refusal it must get. <c>@D</c>, <c>@O</c>, <c>@N</c> stand for ids made per case.</summary>
    public sealed record RestCase(string As, HttpMethod Method, string Path, string? Json, HttpStatusCode Status, string Mentions)
    {
        public string? ContentType { get; init; } = "application/json";
        public string? IdempotencyKey { get; init; }
    }

    private static string Order(string items = """[{"name":"Longjing tea","spec":"250 g tin","quantity":2,"price":99.5}]""",
        string total = "199", string currency = "\"CNY\"", string paidAt = "\"2026-11-20T10:00:00Z\"", string storeName = "\"Lakeside Tea House\"",
        string orderId = "\"@N\"") =>
        $$"""{"orderId":{{orderId}},"consumerId":"c-hostile","merchantId":"m-hostile","storeName":{{storeName}},"city":"Hangzhou","items":{{items}},"total":{{total}},"currency":{{currency}},"paidAt":{{paidAt}},"paymentChannel":"Alipay"}""";

    private static string Open(string category = "\"Quality\"", string remedy = "\"FullRefund\"", string claimed = "10", string description = "\"broken\"", string orderId = "\"@O\"") =>
        $$"""{"orderId":{{orderId}},"category":{{category}},"requestedRemedy":{{remedy}},"claimedAmount":{{claimed}},"description":{{description}}}""";

    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Get = HttpMethod.Get;
    private const string Offers = "/api/disputes/@D/offers";
    private const string Messages = "/api/disputes/@D/messages";

    private static readonly Dictionary<string, RestCase> RestCases = new()
    {
        // 3. Enum names combine as flags.
        ["category Defect,Counterfeit"] = new("consumer", Post, "/api/disputes", Open(category: "\"Defect,Counterfeit\""), HttpStatusCode.BadRequest, "\"category\" must be one of"),
        ["requestedRemedy FullRefund,Repair"] = new("consumer", Post, "/api/disputes", Open(remedy: "\"FullRefund,Repair\""), HttpStatusCode.BadRequest, "\"requestedRemedy\" must be one of"),
        ["offer remedy FullRefund,Repair"] = new("consumer", Post, Offers, """{"remedy":"FullRefund,Repair","amount":10}""", HttpStatusCode.BadRequest, "\"remedy\" must be one of"),
        ["offer remedy as a number"] = new("consumer", Post, Offers, """{"remedy":3,"amount":10}""", HttpStatusCode.BadRequest, "\"remedy\" must be one of"),
        ["offer remedy with a space"] = new("consumer", Post, Offers, """{"remedy":" Repair","amount":10}""", HttpStatusCode.BadRequest, "\"remedy\" must be one of"),
        // 4. Duplicate keys.
        ["offer with amount twice"] = new("consumer", Post, Offers, """{"remedy":"PartialRefund","amount":1,"amount":190}""", HttpStatusCode.BadRequest, "more than once"),
        ["message with text twice"] = new("consumer", Post, Messages, """{"text":"a","text":"b"}""", HttpStatusCode.BadRequest, "more than once"),
        ["order item with name twice"] = new("ops", Post, "/api/orders", Order(items: """[{"name":"a","name":"b","quantity":1,"price":199}]"""), HttpStatusCode.BadRequest, "more than once"),
        // 5. Money.
        ["amount -1e-400"] = new("consumer", Post, Offers, """{"remedy":"PartialRefund","amount":-1e-400}""", HttpStatusCode.BadRequest, "\"amount\" is not an amount this service can hold exactly"),
        ["amount 1e-400"] = new("consumer", Post, Offers, """{"remedy":"PartialRefund","amount":1e-400}""", HttpStatusCode.BadRequest, "\"amount\" is not an amount"),
        ["amount with 30 decimals"] = new("consumer", Post, Offers, """{"remedy":"PartialRefund","amount":0.000000000000000000000000000001}""", HttpStatusCode.BadRequest, "\"amount\" is not an amount"),
        ["amount with 3 decimals"] = new("consumer", Post, Offers, """{"remedy":"PartialRefund","amount":1.001}""", HttpStatusCode.BadRequest, "at most 2 decimals"),
        ["a refund of zero"] = new("consumer", Post, Offers, """{"remedy":"PartialRefund","amount":0}""", HttpStatusCode.BadRequest, "must be more than zero"),
        ["amount 1e30"] = new("consumer", Post, Offers, """{"remedy":"PartialRefund","amount":1e30}""", HttpStatusCode.BadRequest, "\"amount\" is not an amount"),
        ["claimed amount with 3 decimals"] = new("consumer", Post, "/api/disputes", Open(claimed: "1.005"), HttpStatusCode.BadRequest, "at most 2 decimals"),
        ["order total with 30 digits"] = new("ops", Post, "/api/orders", Order(total: "199.000000000000000000000000001"), HttpStatusCode.BadRequest, "\"total\" is not an amount"),
        ["order price with 3 decimals"] = new("ops", Post, "/api/orders", Order(items: """[{"name":"a","spec":null,"quantity":1,"price":199.001}]""", total: "199.001"), HttpStatusCode.BadRequest, "at most 2 decimals"),
        ["JPY with decimals"] = new("ops", Post, "/api/orders", Order(items: """[{"name":"a","spec":null,"quantity":1,"price":199.5}]""", total: "199.5", currency: "\"JPY\""), HttpStatusCode.BadRequest, "whole number"),
        // 6. Orders.
        ["order total not the items' sum"] = new("ops", Post, "/api/orders", Order(total: "1"), HttpStatusCode.BadRequest, "must equal the items' sum"),
        ["order total 10,000,000 for one 0.01 item"] = new("ops", Post, "/api/orders", Order(items: """[{"name":"a","spec":null,"quantity":1,"price":0.01}]""", total: "10000000"), HttpStatusCode.BadRequest, "must equal the items' sum"),
        ["quantity 100000"] = new("ops", Post, "/api/orders", Order(items: """[{"name":"a","spec":null,"quantity":100000,"price":0.01}]""", total: "1000"), HttpStatusCode.BadRequest, "between 1 and 1000"),
        ["price 0"] = new("ops", Post, "/api/orders", Order(items: """[{"name":"a","spec":null,"quantity":1,"price":0},{"name":"b","spec":null,"quantity":1,"price":199}]"""), HttpStatusCode.BadRequest, "must be more than zero"),
        ["currency XXX"] = new("ops", Post, "/api/orders", Order(currency: "\"XXX\""), HttpStatusCode.BadRequest, "ISO 4217"),
        ["currency ZZZ"] = new("ops", Post, "/api/orders", Order(currency: "\"ZZZ\""), HttpStatusCode.BadRequest, "ISO 4217"),
        ["paid in the future"] = new("ops", Post, "/api/orders", Order(paidAt: "\"2100-01-01T00:00:00Z\""), HttpStatusCode.BadRequest, "must not be in the future"),
        ["paid before 2000"] = new("ops", Post, "/api/orders", Order(paidAt: "\"1999-12-31T00:00:00Z\""), HttpStatusCode.BadRequest, "not before 2000-01-01"),
        // 7. Invisible text.
        ["message of zero-width characters"] = new("consumer", Post, Messages, """{"text":"\u200B\u200C\u200D"}""", HttpStatusCode.BadRequest, "must contain a visible character"),
        ["message of NUL"] = new("consumer", Post, Messages, """{"text":"\u0000"}""", HttpStatusCode.BadRequest, "must not be empty"),
        ["message of BOM and word joiner"] = new("consumer", Post, Messages, """{"text":"\uFEFF\u2060 \u200B"}""", HttpStatusCode.BadRequest, "must contain a visible character"),
        ["store name of a zero-width space"] = new("ops", Post, "/api/orders", Order(storeName: "\"\\u200B\""), HttpStatusCode.BadRequest, "storeName"),
        ["description of a zero-width joiner"] = new("consumer", Post, "/api/disputes", Open(description: "\"\\u200D\\u0000\""), HttpStatusCode.BadRequest, "description"),
        // 9. Charsets and media types.
        ["charset ibm037"] = new("consumer", Post, Messages, """{"text":"hi"}""", HttpStatusCode.UnsupportedMediaType, "UTF-8") { ContentType = "application/json; charset=ibm037" },
        ["charset utf-16"] = new("consumer", Post, Messages, """{"text":"hi"}""", HttpStatusCode.UnsupportedMediaType, "UTF-8") { ContentType = "application/json; charset=utf-16" },
        ["text/plain"] = new("consumer", Post, Messages, """{"text":"hi"}""", HttpStatusCode.UnsupportedMediaType, "must be JSON") { ContentType = "text/plain" },
        // 11. The API's own words.
        ["message without text"] = new("consumer", Post, Messages, "{}", HttpStatusCode.BadRequest, "\"text\" is required"),
        ["message text null"] = new("consumer", Post, Messages, """{"text":null}""", HttpStatusCode.BadRequest, "\"text\" must not be null"),
        ["message text a number"] = new("consumer", Post, Messages, """{"text":5}""", HttpStatusCode.BadRequest, "\"text\" must be a string"),
        ["offer amount a word"] = new("consumer", Post, Offers, """{"remedy":"Repair","amount":"lots"}""", HttpStatusCode.BadRequest, "\"amount\" must be a number"),
        ["offer without amount"] = new("consumer", Post, Offers, """{"remedy":"Repair"}""", HttpStatusCode.BadRequest, "\"amount\" is required"),
        ["offer amount null"] = new("consumer", Post, Offers, """{"remedy":"Repair","amount":null}""", HttpStatusCode.BadRequest, "\"amount\" must be a number"),
        ["not JSON"] = new("consumer", Post, Messages, """{"text": """, HttpStatusCode.BadRequest, "syntax error"),
        ["empty body"] = new("consumer", Post, Messages, "", HttpStatusCode.BadRequest, "JSON"),
        ["items not an array"] = new("ops", Post, "/api/orders", Order(items: "\"x\""), HttpStatusCode.BadRequest, "\"items\" must be an array"),
        ["an item that is null"] = new("ops", Post, "/api/orders", Order(items: "[null]"), HttpStatusCode.BadRequest, "items[0]"),
        ["quantity a word"] = new("ops", Post, "/api/orders", Order(items: """[{"name":"a","spec":null,"quantity":"many","price":199}]"""), HttpStatusCode.BadRequest, "\"items[0].quantity\" must be a number"),
        ["paidAt a word"] = new("ops", Post, "/api/orders", Order(paidAt: "\"yesterday\""), HttpStatusCode.BadRequest, "\"paidAt\" must be a date and time"),
        ["afterSeq a word"] = new("consumer", Get, "/api/disputes/@D/events?afterSeq=abc", null, HttpStatusCode.BadRequest, "\"afterSeq\" must be a whole number"),
        // 14. Ids with braces, quotes, slashes and unicode never reach a grain key.
        ["dispute id a{1}"] = new("consumer", Get, "/api/disputes/a%7B1%7D", null, HttpStatusCode.NotFound, "does not exist"),
        ["dispute id {0} for a message"] = new("consumer", Post, "/api/disputes/%7B0%7D/messages", """{"text":"hi"}""", HttpStatusCode.NotFound, "does not exist"),
        ["dispute id with a quote"] = new("consumer", Post, "/api/disputes/d%22x/offers", """{"remedy":"Repair","amount":1}""", HttpStatusCode.NotFound, "does not exist"),
        ["dispute id with unicode"] = new("consumer", Get, "/api/disputes/d-%C3%A9t%C3%A9/events", null, HttpStatusCode.NotFound, "does not exist"),
        ["dispute id with an encoded slash"] = new("consumer", Get, "/api/disputes/d%2F..%2Fx", null, HttpStatusCode.NotFound, "does not exist"),
        ["merchant id {0}"] = new("merchant", Get, "/api/merchants/m%7B0%7D/disputes", null, HttpStatusCode.NotFound, "does not exist"),
        ["order id {0} in a dispute"] = new("consumer", Post, "/api/disputes", Open(orderId: "\"{0}\""), HttpStatusCode.BadRequest, "orderId"),
        ["order id a{1} in an order"] = new("ops", Post, "/api/orders", Order(orderId: "\"a{1}\""), HttpStatusCode.BadRequest, "orderId"),
        ["Idempotency-Key of 256 characters"] = new("consumer", Post, Messages, """{"text":"hi"}""", HttpStatusCode.BadRequest, "Idempotency-Key must be") { IdempotencyKey = new string('k', 256) },
        ["empty Idempotency-Key"] = new("ops", Post, "/api/orders", Order(), HttpStatusCode.BadRequest, "Idempotency-Key must be") { IdempotencyKey = "" },
    };

    public static TheoryData<string> RestCaseNames => new(RestCases.Keys);

    [Theory]
    [MemberData(nameof(RestCaseNames))]
    public async Task A_hostile_request_is_refused_in_our_words_and_changes_nothing(string name)
    {
        var c = RestCases[name];
        var (s, disputeId) = await NegotiatingAsync();
        var fresh = $"o-{Guid.NewGuid():N}"[..20];
        string Fill(string text) => text.Replace(D, disputeId).Replace(O, s.OrderId).Replace(N, fresh);

        var client = c.As switch { "ops" => s.Ops, "merchant" => s.Merchant, _ => s.Consumer };
        var request = new HttpRequestMessage(c.Method, Fill(c.Path));
        if (c.Json is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Fill(c.Json)));
            if (c.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        if (c.IdempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", c.IdempotencyKey);
        var response = await client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(c.Status == response.StatusCode, $"{name}: expected {(int)c.Status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)c.Status, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
        Assert.True(ProblemText(body).Contains(c.Mentions, StringComparison.Ordinal), $"{name}: \"{c.Mentions}\" not in {ProblemText(body)}");
        AssertNoLeak(body);
        await AssertUnchangedAsync(s, disputeId, fresh);
    }

    public static TheoryData<string> HubCaseNames => new(HubCases.Keys);

    private static readonly Dictionary<string, (string Method, object?[] Args, int Status, string Mentions)> HubCases = new()
    {
        ["LeaveDispute(null)"] = ("LeaveDispute", [null], 404, "does not exist"),
        ["JoinDispute(null)"] = ("JoinDispute", [null, 0L], 404, "does not exist"),
        ["JoinDispute(a{1})"] = ("JoinDispute", ["a{1}", 0L], 404, "does not exist"),
        ["JoinDispute with a word for afterSeq"] = ("JoinDispute", [D, "x"], 400, "must be a number"),
        ["SendMessage(null, text)"] = ("SendMessage", [null, "hi"], 404, "does not exist"),
        ["SendMessage(d\"x, text)"] = ("SendMessage", ["d\"x", "hi"], 404, "does not exist"),
        ["SendMessage(id, null)"] = ("SendMessage", [D, null], 400, "must not be empty"),
        ["SendMessage of zero-width characters"] = ("SendMessage", [D, "\u200B\u2060\uFEFF"], 400, "must contain a visible character"),
        ["SendMessage of NUL"] = ("SendMessage", [D, "\0\0"], 400, "must not be empty"),
        ["MakeOffer FullRefund,Repair"] = ("MakeOffer", [D, "FullRefund,Repair", 10m], 400, "remedy must be one of"),
        ["MakeOffer remedy 3"] = ("MakeOffer", [D, "3", 10m], 400, "remedy must be one of"),
        ["MakeOffer remedy null"] = ("MakeOffer", [D, null, 10m], 400, "remedy must be one of"),
        ["MakeOffer with 3 decimals"] = ("MakeOffer", [D, "PartialRefund", 1.001m], 400, "at most 2 decimals"),
        ["MakeOffer refund of zero"] = ("MakeOffer", [D, "PartialRefund", 0m], 400, "must be more than zero"),
        ["MakeOffer amount a word"] = ("MakeOffer", [D, "PartialRefund", "lots"], 400, "must be a number"),
        ["MakeOffer with two arguments"] = ("MakeOffer", [D, "PartialRefund"], 400, "takes 3 arguments"),
        ["AcceptOffer seq a word"] = ("AcceptOffer", [D, "x"], 400, "must be a number"),
        ["Typing(null)"] = ("Typing", [null], 404, "does not exist"),
        ["MarkRead(null)"] = ("MarkRead", [null, 1L], 404, "does not exist"),
        ["FollowMerchant(null)"] = ("FollowMerchant", [null], 404, "does not exist"),
        ["FollowConsumer({0})"] = ("FollowConsumer", ["{0}"], 404, "does not exist"),
        ["a method that does not exist"] = ("Refund", [D], 404, "no hub method Refund"),
    };

    [Theory]
    [MemberData(nameof(HubCaseNames))]
    public async Task A_hostile_hub_call_is_refused_in_our_words_and_changes_nothing(string name)
    {
        var (method, args, status, mentions) = HubCases[name];
        var (s, disputeId) = await NegotiatingAsync();
        await using var consumer = await PartyConnection.ConnectAsync(fixture.Factory.BaseAddress, s.ConsumerId, "consumer");

        var filled = args.Select(a => a is D ? disputeId : a).ToArray();
        var refused = await Assert.ThrowsAsync<HubException>(() => consumer.Hub.InvokeCoreAsync(method, typeof(object), filled));
        Assert.Contains($"{status} ", refused.Message);
        Assert.True(refused.Message.Contains(mentions, StringComparison.Ordinal), $"{name}: \"{mentions}\" not in {refused.Message}");
        AssertNoLeak(refused.Message);
        await AssertUnchangedAsync(s, disputeId, fresh: null);
        // The connection survives a refused call.
        Assert.Equal(4L, await consumer.Hub.InvokeAsync<long>("SendMessage", disputeId, "still here"));
    }

    [Fact]
    public async Task A_hub_frame_with_two_targets_is_refused_and_runs_neither()
    {
        var (s, disputeId) = await NegotiatingAsync();
        var address = fixture.Factory.BaseAddress;
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-User-Id", s.ConsumerId);
        socket.Options.SetRequestHeader("X-Role", "consumer");
        await socket.ConnectAsync(new Uri($"ws://{address.Authority}/hubs/negotiation"), CancellationToken.None);
        await SendFrameAsync(socket, """{"protocol":"json","version":1}""");
        Assert.Equal("{}", await ReceiveFrameAsync(socket, _ => true));

        await SendFrameAsync(socket, $$"""{"type":1,"invocationId":"1","target":"Withdraw","target":"SendMessage","arguments":["{{disputeId}}","second target"]}""");
        var completion = await ReceiveFrameAsync(socket, f => f.Contains("\"type\":3"));
        var error = JsonDocument.Parse(completion).RootElement.GetProperty("error").GetString()!;
        Assert.Contains("400 Malformed request", error);
        Assert.Contains("\"target\" more than once", error);
        await AssertUnchangedAsync(s, disputeId, fresh: null);

        await SendFrameAsync(socket, $$"""{"type":1,"invocationId":"2","target":"SendMessage","arguments":["{{disputeId}}","one target"]}""");
        var ok = JsonDocument.Parse(await ReceiveFrameAsync(socket, f => f.Contains("\"type\":3"))).RootElement;
        Assert.Equal(4L, ok.GetProperty("result").GetInt64());
    }

    [Fact]
    public async Task Refused_hub_calls_are_not_logged_as_errors()
    {
        var (_, disputeId) = await NegotiatingAsync();
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        await using var stranger = await PartyConnection.ConnectAsync(fixture.Factory.BaseAddress, s.ConsumerId, "consumer");
        var before = fixture.Factory.Logs.Entries.Count;

        for (var i = 0; i < 100; i++)
        {
            Task call = (i % 5) switch
            {
                0 => stranger.Hub.InvokeAsync<long>("SendMessage", disputeId, "let me in"), // 403
                1 => stranger.Hub.InvokeAsync("LeaveDispute", (string?)null), // 404
                2 => stranger.Hub.InvokeAsync<long>("MakeOffer", disputeId, "FullRefund,Repair", 1m), // 400
                3 => stranger.Hub.InvokeAsync<long>("MakeOffer", disputeId, "Repair", "lots"), // 400, from binding
                _ => stranger.Hub.InvokeAsync("JoinDispute", "a{1}", 0L), // 404
            };
            await Assert.ThrowsAsync<HubException>(() => call);
        }

        var logged = fixture.Factory.Logs.Entries.Skip(before).ToList();
        // Errors are for faults; a refusal is at most a Debug line, without its stack.
        var errors = logged.Where(e => e.Level >= LogLevel.Error
            || (e.Level >= LogLevel.Information && e.Exception is HubException or MediationException or InvalidDataException)).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} entries, first: {errors.FirstOrDefault()}");
    }

    [Theory]
    [InlineData("a{1}")]
    [InlineData("{0}")]
    [InlineData("}{")]
    [InlineData("a\"b'c")]
    [InlineData("../../etc/passwd")]
    [InlineData("a/b\\c?d#e")]
    [InlineData("%7B0%7D")]
    [InlineData("\\u00e9t\\u00e9")]
    public async Task An_Idempotency_Key_of_any_printable_characters_works_and_replays(string key)
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var fresh = $"o-{Guid.NewGuid():N}"[..20];
        async Task<HttpResponseMessage> Push()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent(Order().Replace(N, fresh), Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            return await s.Ops.SendAsync(request);
        }

        var first = await Push();
        Assert.True(first.StatusCode == HttpStatusCode.Created, await first.Content.ReadAsStringAsync());
        var again = await Push();
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task Ids_with_colons_dots_and_underscores_are_stored_and_read_back()
    {
        var ops = fixture.Factory.As("platform", "ops");
        var orderId = $"o:2026.11_{Guid.NewGuid():N}"[..40];
        var pushed = await ops.PostAsync("/api/orders", new StringContent(Order().Replace(N, orderId), Encoding.UTF8, "application/json"));
        Assert.True(pushed.StatusCode == HttpStatusCode.Created, await pushed.Content.ReadAsStringAsync());
        var read = await ops.GetFromJsonAsync<Order>($"/api/orders/{orderId}", Scenario.Json);
        Assert.Equal(orderId, read!.OrderId);
        Assert.Equal(199.00m, read.Total);
    }

    [Fact]
    public async Task Control_characters_are_stripped_from_text_and_newlines_and_tabs_kept()
    {
        var (s, disputeId) = await NegotiatingAsync();
        var sent = await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{disputeId}/messages", new { text = "hi\u0007 there\0\nline\ttab\u001b" }));
        Assert.Equal("hi there\nline\ttab", sent.Text);
        Assert.Equal("hi there\nline\ttab", (await s.TimelineAsync(disputeId))[^1].Text);
    }

    [Fact]
    public async Task An_amount_with_trailing_zeros_is_the_same_amount_at_the_minor_unit()
    {
        var (s, disputeId) = await NegotiatingAsync();
        var offer = await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{disputeId}/offers", Raw("""{"remedy":"PartialRefund","amount":12.3000}""")));
        Assert.Equal(12.30m, offer.Amount);
        Assert.Contains("\"amount\":12.30", await (await s.Consumer.GetAsync($"/api/disputes/{disputeId}/events?afterSeq=3")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_exchange_may_be_offered_for_nothing()
    {
        var (s, disputeId) = await NegotiatingAsync();
        var offer = await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{disputeId}/offers", Raw("""{"remedy":"Exchange","amount":0}""")));
        Assert.Equal(Remedy.Exchange, offer.Remedy);
        Assert.Equal(0m, offer.Amount);
    }

    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A dispute in negotiation (seq 1..3: opened, the merchant's offer of 50, the state change) on a 199.00 CNY order.</summary>
    private async Task<(Scenario S, string DisputeId)> NegotiatingAsync()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/offers", new { remedy = "PartialRefund", amount = 50 }));
        return (s, dispute.DisputeId);
    }

    private async Task AssertUnchangedAsync(Scenario s, string disputeId, string? fresh)
    {
        var timeline = await s.TimelineAsync(disputeId);
        Assert.Equal(new[] { 1L, 2L, 3L }, timeline.Select(e => e.Seq));
        Assert.Equal(50m, timeline.Single(e => e.Type == DisputeEventType.Offer).Amount);
        var view = await s.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json);
        Assert.Equal(DisputeState.Negotiating, view!.State);
        Assert.Equal(Remedy.PartialRefund, view.OpenOffer?.Remedy);
        var order = await s.Consumer.GetFromJsonAsync<Order>($"/api/orders/{s.OrderId}", Scenario.Json);
        Assert.Equal(199m, order!.Total);
        var disputes = await s.Consumer.GetFromJsonAsync<PartyDisputes>($"/api/consumers/{s.ConsumerId}/disputes", Scenario.Json);
        Assert.Single(disputes!.Disputes);
        if (fresh is not null) Assert.Equal(HttpStatusCode.NotFound, (await s.Ops.GetAsync($"/api/orders/{fresh}")).StatusCode);
    }

    private static void AssertNoLeak(string text)
    {
        foreach (var leak in Leaks) Assert.DoesNotContain(leak, text, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The problem's detail and every field error, as the caller reads them.</summary>
    private static string ProblemText(string body)
    {
        var problem = JsonDocument.Parse(body).RootElement;
        var text = new StringBuilder(problem.TryGetProperty("detail", out var detail) ? detail.GetString() : "");
        if (problem.TryGetProperty("errors", out var errors))
            foreach (var field in errors.EnumerateObject())
                text.Append($" | {field.Name}: ").AppendJoin("; ", field.Value.EnumerateArray().Select(e => e.GetString()));
        return text.ToString();
    }

    private static async Task SendFrameAsync(ClientWebSocket socket, string json) =>
        await socket.SendAsync(Encoding.UTF8.GetBytes(json + "\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next frame that <paramref name="wanted"/> accepts (pings and pushed events skipped), within 15 s.</summary>
    private static async Task<string> ReceiveFrameAsync(ClientWebSocket socket, Func<string, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        var pending = new StringBuilder();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            pending.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            var text = pending.ToString();
            var frames = text.Split('\u001e');
            pending.Clear().Append(frames[^1]);
            foreach (var frame in frames[..^1])
                if (wanted(frame)) return frame;
        }
    }
}
