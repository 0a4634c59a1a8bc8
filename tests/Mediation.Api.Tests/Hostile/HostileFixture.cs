using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mediation.Api.Realtime;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Mediation.Api.Tests.Hostile;

/// <summary>
/// One app for the whole catalogue, with two seeded disputes — one negotiating (the merchant's offer open, made with
/// an Idempotency-Key), one assigned to a mediator — and everything the parties can read about them taken as a
/// snapshot before any hostile request is sent.
/// </summary>
public sealed partial class HostileFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();

    private readonly Dictionary<string, string> _ids = new()
    {
        [HostileCatalogue.Consumer] = "c-hostile-n", [HostileCatalogue.Merchant] = "m-hostile-n", [HostileCatalogue.Order] = "o-hostile-n",
        [HostileCatalogue.Mediator] = "med-hostile", [HostileCatalogue.FreshOrder] = "o-hostile-fresh",
    };
    private const string MediationConsumer = "c-hostile-m", MediationMerchant = "m-hostile-m", MediationOrder = "o-hostile-m";

    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();
    private readonly ConcurrentDictionary<(string, string), HubConnection> _hubs = new();
    private readonly ConcurrentDictionary<string, bool> _ran = new();

    public string NegotiatingDispute => _ids[HostileCatalogue.Negotiating];
    public string MediationDispute => _ids[HostileCatalogue.InMediation];

    /// <summary>Everything readable about the seeded disputes, before the first hostile request.</summary>
    public IReadOnlyDictionary<string, string> Before { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        // What faces users: bearer tokens only, the development identity refused.
        Factory.EnvironmentName = "Production";
        Factory.Settings[$"Mediation:Cities:{HostileCatalogue.City}:Mediators:0"] = _ids[HostileCatalogue.Mediator];
        // The mediation dispute escalates once this window is over; a second keeps the seeding short.
        Factory.Settings["Mediation:Deadlines:NegotiationWindow"] = "00:00:01";
        // Thousands of refusals from one user and one address: the abuse limits would answer 429 before the input is
        // read. They have their own tests (AbuseLimitTests); here every request must reach its validation.
        Factory.Settings["Mediation:RateLimits:Enabled"] = "false";
        Factory.StartServer();

        var ops = Client(HostileCatalogue.AsOps);
        var pushed = await Send(ops, HttpMethod.Post, "/api/orders", Fill(HostileCatalogue.PushOrderBody(HostileCatalogue.Order)), HostileCatalogue.SeededOrderKey);
        Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        var negotiating = await OpenAsync(Client(HostileCatalogue.AsConsumer), _ids[HostileCatalogue.Order]);
        _ids[HostileCatalogue.Negotiating] = negotiating;
        await Scenario.EventAsync(await Send(Client(HostileCatalogue.AsMerchant), HttpMethod.Post, $"/api/disputes/{negotiating}/offers",
            HostileCatalogue.SeededOfferBody, HostileCatalogue.SeededOfferKey));

        var mediationOrder = HostileCatalogue.PushOrderBody(MediationOrder)
            .Replace(HostileCatalogue.Consumer, MediationConsumer).Replace(HostileCatalogue.Merchant, MediationMerchant);
        Assert.Equal(HttpStatusCode.Created, (await Send(ops, HttpMethod.Post, "/api/orders", mediationOrder)).StatusCode);
        var consumer = Client(HostileCatalogue.AsMediationConsumer);
        var inMediation = await OpenAsync(consumer, MediationOrder);
        _ids[HostileCatalogue.InMediation] = inMediation;
        await Scenario.EventAsync(await Client("m-hostile-m/merchant").PostAsJsonAsync($"/api/disputes/{inMediation}/messages", new { text = "It was fine when it left." }));
        await Poll.UntilAsync(async () => (await ViewAsync(consumer, inMediation)).AllowedActions.Contains(DisputeAction.Escalate), TimeSpan.FromSeconds(15), "escalation to open");
        await Scenario.EventAsync(await consumer.PostAsync($"/api/disputes/{inMediation}/escalate", null));
        await Poll.UntilAsync(async () => (await ViewAsync(consumer, inMediation)).State == DisputeState.InMediation, TimeSpan.FromSeconds(15), "the desk to assign the mediator");

        Before = await SnapshotAsync();
    }

    private static async Task<string> OpenAsync(HttpClient consumer, string orderId)
    {
        var opened = await consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 199m, description = "Both tins arrived crushed.",
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        return (await opened.Content.ReadFromJsonAsync<DisputeView>(Scenario.Json))!.DisputeId;
    }

    private static async Task<DisputeView> ViewAsync(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json))!;

    /// <summary>Timelines, states and open offers, both parties' lists, the orders and their ledgers, the queue, the standing, and that the fresh order id is still unknown.</summary>
    public async Task<IReadOnlyDictionary<string, string>> SnapshotAsync()
    {
        var consumer = Client(HostileCatalogue.AsConsumer);
        var merchant = Client(HostileCatalogue.AsMerchant);
        var mconsumer = Client(HostileCatalogue.AsMediationConsumer);
        var ops = Client(HostileCatalogue.AsOps);
        var n = NegotiatingDispute;
        var m = MediationDispute;
        var snapshot = new Dictionary<string, string>();
        async Task Read(string key, HttpClient client, string path, Func<string, string>? pick = null)
        {
            var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            snapshot[key] = $"{(int)response.StatusCode} {TraceId().Replace(pick is null || !response.IsSuccessStatusCode ? body : pick(body), "")}";
        }
        static string StateAndOffer(string body)
        {
            var view = JsonDocument.Parse(body).RootElement;
            return $"{view.GetProperty("state")} {(view.TryGetProperty("openOffer", out var offer) ? offer.GetRawText() : "none")}";
        }

        await Read("negotiating: timeline", consumer, $"/api/disputes/{n}/events?afterSeq=0&limit=1000");
        await Read("negotiating: state and open offer", consumer, $"/api/disputes/{n}", StateAndOffer);
        await Read("in mediation: timeline", mconsumer, $"/api/disputes/{m}/events?afterSeq=0&limit=1000");
        await Read("in mediation: state and open offer", mconsumer, $"/api/disputes/{m}", StateAndOffer);
        await Read("consumer's list", consumer, $"/api/consumers/{_ids[HostileCatalogue.Consumer]}/disputes");
        await Read("merchant's list", merchant, $"/api/merchants/{_ids[HostileCatalogue.Merchant]}/disputes");
        await Read("mediation consumer's list", mconsumer, $"/api/consumers/{MediationConsumer}/disputes");
        await Read("mediation merchant's list", Client("m-hostile-m/merchant"), $"/api/merchants/{MediationMerchant}/disputes");
        await Read("order", ops, $"/api/orders/{_ids[HostileCatalogue.Order]}");
        await Read("order's ledger", ops, $"/api/orders/{_ids[HostileCatalogue.Order]}/ledger");
        await Read("mediation order's ledger", ops, $"/api/orders/{MediationOrder}/ledger");
        await Read("merchant's standing", merchant, $"/api/merchants/{_ids[HostileCatalogue.Merchant]}/standing");
        await Read("fresh order", ops, $"/api/orders/{_ids[HostileCatalogue.FreshOrder]}", _ => "exists");
        await Read("mediator's queue", Client(HostileCatalogue.AsMediator), $"/api/mediators/{_ids[HostileCatalogue.Mediator]}/queue");
        return snapshot;
    }

    public bool Ran(string name) => _ran.ContainsKey(name);

    // ---- Running a case ----

    /// <summary>Words that would mean an answer passed on the runtime's text, a stack or a file path instead of ours.</summary>
    private static readonly string[] Leaks = ["Exception", "   at ", "System.", "Orleans.", "Microsoft.", "Mediation.", ".cs:line", "/tmp/", "/work/", "/home/", "/root/"];

    /// <summary>Sends the case; null when it was refused as it must be, else what was wrong with the answer.</summary>
    public async Task<string?> RunAsync(HostileCase c)
    {
        _ran[c.Name] = true;
        try
        {
            return c.IsHubConnection ? await RunHubConnectionAsync(c) : c.IsHub ? await RunHubAsync(c) : await RunRestAsync(c);
        }
        catch (Exception e)
        {
            return $"{c.Name}: the client failed: {e.GetType().Name}: {e.Message}";
        }
    }

    private async Task<string?> RunRestAsync(HostileCase c)
    {
        var client = c.Anonymous ? Anonymous : Client(c.As);
        using var request = new HttpRequestMessage(new HttpMethod(c.Method!), Fill(c.Path!));
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.Latin1.GetBytes(Fill(Encoding.Latin1.GetString(c.Body))));
            if (c.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        foreach (var (name, value) in c.Headers) request.Headers.TryAddWithoutValidation(name, value);
        if (c.BadToken is { } kind) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Mint(c, kind));
        using var response = await client.SendAsync(request);
        return await RefusedAsync(c, response);
    }

    private string Mint(HostileCase c, string kind)
    {
        var (user, role) = Identity(c.As);
        return BadTokens.Kinds[kind](user, role);
    }

    /// <summary>Negotiate and the WebSocket, each with the case's query and no other identity: both refused.</summary>
    private async Task<string?> RunHubConnectionAsync(HostileCase c)
    {
        var (user, role) = Identity(c.As);
        var query = c.HubQuery!.Replace("{token}", c.BadToken is { } kind ? Uri.EscapeDataString(Mint(c, kind)) : "")
            .Replace("{valid}", Uri.EscapeDataString(TestTokens.For(user, role)));
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, $"{NegotiationHub.Path}/negotiate?negotiateVersion=1&{query}");
        using var refused = await Anonymous.SendAsync(negotiate);
        if (await RefusedAsync(c, refused) is { } failure) return "negotiate: " + failure;

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{Factory.BaseAddress.Authority}{NegotiationHub.Path}?{query}"), CancellationToken.None);
            return $"{c.Name}: the WebSocket was accepted";
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode == HttpStatusCode.Unauthorized ? null : $"{c.Name}: the WebSocket was answered {(int)socket.HttpStatusCode}";
        }
    }

    /// <summary>A 4xx (the expected one, if known) with a ProblemDetails in our words; null when so.</summary>
    private async Task<string?> RefusedAsync(HostileCase c, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        var shown = body.Length > 400 ? body[..400] + "…" : body;
        if (status >= 500) return $"{c.Name}: answered {status}: {shown}; logged: {LastFault()}";
        if (status is < 400 or > 499) return $"{c.Name}: answered {status}: {shown}";
        // Kestrel refuses some request lines itself, before the app: a bare status, no text at all.
        if (c.ByKestrel) return body.Length == 0 ? null : $"{c.Name}: Kestrel's refusal has a body: {shown}";
        if (c.Status is { } expected && expected != status) return $"{c.Name}: expected {expected}, answered {status}: {shown}";
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            return $"{c.Name}: {status} as {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not a ProblemDetails: {shown}";
        string said;
        try
        {
            var problem = JsonDocument.Parse(body).RootElement;
            if (!problem.TryGetProperty("status", out var s) || s.GetInt32() != status) return $"{c.Name}: the ProblemDetails' status is not {status}: {shown}";
            if (!problem.TryGetProperty("title", out _)) return $"{c.Name}: the ProblemDetails has no title: {shown}";
            said = (problem.TryGetProperty("detail", out var detail) ? detail.GetString() : "")
                + (problem.TryGetProperty("errors", out var errors) ? " " + errors.GetRawText() : "");
        }
        catch (JsonException)
        {
            return $"{c.Name}: {status} with a body that is not JSON: {shown}";
        }
        if (c.Mentions is { } words && !said.Contains(words, StringComparison.Ordinal)) return $"{c.Name}: \"{words}\" not in {said}";
        return Leaked(c, body);
    }

    private async Task<string?> RunHubAsync(HostileCase c)
    {
        var hub = await HubAsync(c.As, c.Protocol);
        var args = c.Arguments!.Select(a => a is string s ? Fill(s) : a).ToArray();
        try
        {
            await hub.InvokeCoreAsync(c.HubMethod!, typeof(object), args);
            return $"{c.Name}: the call was accepted";
        }
        catch (HubException e) when (hub.State == HubConnectionState.Connected)
        {
            if (!HubStatus().IsMatch(e.Message)) return $"{c.Name}: not a 4xx in our words: {e.Message}";
            if (c.Status is { } expected && !e.Message.StartsWith($"{expected} ", StringComparison.Ordinal))
                return $"{c.Name}: expected {expected}: {e.Message}";
            if (c.Mentions is { } words && !e.Message.Contains(words, StringComparison.Ordinal)) return $"{c.Name}: \"{words}\" not in {e.Message}";
            return Leaked(c, e.Message);
        }
        catch (Exception e) when (hub.State != HubConnectionState.Connected)
        {
            return $"{c.Name}: the connection was closed instead of the call refused: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>"400 Malformed request: …": the REST status, its title, our message.</summary>
    [GeneratedRegex(@",?""traceId"":""[^""]*""")]
    private static partial Regex TraceId();

    [GeneratedRegex(@"^4\d\d [A-Z][^:]*: \S")]
    private static partial Regex HubStatus();

    private string LastFault() =>
        Factory.Logs.Entries.LastOrDefault(e => e.Exception is not null) is { } entry ? entry.Exception!.ToString()[..Math.Min(2000, entry.Exception.ToString().Length)] : "nothing";

    private static string? Leaked(HostileCase c, string text)
    {
        var leak = Leaks.FirstOrDefault(l => text.Contains(l, StringComparison.Ordinal));
        return leak is null ? null : $"{c.Name}: the answer carries \"{leak}\": {(text.Length > 400 ? text[..400] + "…" : text)}";
    }

    // ---- Callers ----

    /// <summary>Replaces the catalogue's placeholders with the seeded ids.</summary>
    public string Fill(string text)
    {
        foreach (var (placeholder, id) in _ids) text = text.Replace(placeholder, id);
        return text;
    }

    private (string User, string Role) Identity(string who) => who switch
    {
        HostileCatalogue.AsConsumer => (_ids[HostileCatalogue.Consumer], "consumer"),
        HostileCatalogue.AsMerchant => (_ids[HostileCatalogue.Merchant], "merchant"),
        HostileCatalogue.AsMediator => (_ids[HostileCatalogue.Mediator], "mediator"),
        HostileCatalogue.AsMediationConsumer => (MediationConsumer, "consumer"),
        HostileCatalogue.AsOps => ("platform", "ops"),
        HostileCatalogue.AsRegulator => ("reg-hostile", "regulator"),
        _ when who.Split('/') is [var user, var role] => (user, role),
        _ => throw new ArgumentException($"no caller {who}"),
    };

    public HttpClient Client(string who) => _clients.GetOrAdd(who, w =>
    {
        var (user, role) = Identity(w);
        return Factory.As(user, role);
    });

    private HttpClient Anonymous => _clients.GetOrAdd("(anonymous)", _ => Factory.CreateClient());

    private async Task<HubConnection> HubAsync(string who, string protocol)
    {
        if (_hubs.TryGetValue((who, protocol), out var open))
        {
            if (open.State == HubConnectionState.Connected) return open;
            _hubs.TryRemove((who, protocol), out _); // an earlier case closed it (and failed for that)
            await open.DisposeAsync();
        }
        var (user, role) = Identity(who);
        var builder = new HubConnectionBuilder().WithUrl(new Uri(Factory.BaseAddress, NegotiationHub.Path),
            o => o.AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For(user, role)));
        if (protocol == "messagepack") builder.AddMessagePackProtocol();
        else builder.AddJsonProtocol(o =>
        {
            MediationJson.Configure(o.PayloadSerializerOptions);
            o.PayloadSerializerOptions.MaxDepth = 1000; // this client sends what the server must refuse
        });
        var hub = builder.Build();
        await hub.StartAsync();
        _hubs[(who, protocol)] = hub;
        return hub;
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string json, string? key = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    public async Task DisposeAsync()
    {
        foreach (var hub in _hubs.Values) await hub.DisposeAsync();
        foreach (var client in _clients.Values) client.Dispose();
        await Factory.DisposeAsync();
    }
}
