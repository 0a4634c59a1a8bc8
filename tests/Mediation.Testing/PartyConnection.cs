using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Mediation.Testing;

/// <summary>A party's real SignalR client connection, recording everything the server pushes to it.</summary>
public sealed class PartyConnection : IAsyncDisposable
{
    private readonly Channel<DisputeEvent> _events = Channel.CreateUnbounded<DisputeEvent>();
    private readonly Channel<JsonElement> _summaries = Channel.CreateUnbounded<JsonElement>();
    private readonly Channel<JsonElement> _signals = Channel.CreateUnbounded<JsonElement>();

    private readonly List<DisputeEvent> _received = [];

    public HubConnection Hub { get; }

    /// <summary>Every event pushed to this connection so far, in arrival order (read or not).</summary>
    public IReadOnlyList<DisputeEvent> ReceivedEvents { get { lock (_received) return _received.ToArray(); } }

    public IReadOnlyList<long> ReceivedSeqs => ReceivedEvents.Select(e => e.Seq).ToArray();

    /// <summary>Whether an event at or past <paramref name="seq"/> has arrived.</summary>
    public bool HasReceived(long seq) { lock (_received) return _received.Count > 0 && _received.Max(e => e.Seq) >= seq; }
    public string UserId { get; }

    private PartyConnection(HubConnection hub, string userId)
    {
        Hub = hub;
        UserId = userId;
        hub.On<DisputeEvent>("DisputeEvent", e =>
        {
            lock (_received) _received.Add(e);
            _events.Writer.TryWrite(e);
        });
        hub.On<JsonElement>("DisputeSummary", e => _summaries.Writer.TryWrite(e));
        hub.On<JsonElement>("DisputeSignal", e => _signals.Writer.TryWrite(e));
    }

    public static async Task<PartyConnection> ConnectAsync(Uri baseAddress, string userId, string role, IDictionary<string, object>? claims = null)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, "/hubs/negotiation"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For(userId, role, claims)))
            .WithAutomaticReconnect()
            .AddJsonProtocol(o => MediationJson.Configure(o.PayloadSerializerOptions));
        var connection = new PartyConnection(builder.Build(), userId);
        await connection.Hub.StartAsync();
        return connection;
    }

    /// <summary>The next <paramref name="count"/> events pushed, waiting at most <paramref name="seconds"/>.</summary>
    public async Task<List<DisputeEvent>> NextEventsAsync(int count, int seconds = 15)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var received = new List<DisputeEvent>();
        try
        {
            while (received.Count < count) received.Add(await _events.Reader.ReadAsync(timeout.Token));
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{UserId} received {received.Count} of {count} events: [{string.Join(", ", received.Select(e => $"{e.Seq}:{e.Type}"))}]");
        }
        return received;
    }

    /// <summary>Events that arrived and were not read yet (nothing more should have come).</summary>
    public List<DisputeEvent> Pending()
    {
        var pending = new List<DisputeEvent>();
        while (_events.Reader.TryRead(out var e)) pending.Add(e);
        return pending;
    }

    public async Task<JsonElement> NextSummaryAsync(int seconds = 15)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await _summaries.Reader.ReadAsync(timeout.Token);
    }

    public List<JsonElement> PendingSummaries()
    {
        var pending = new List<JsonElement>();
        while (_summaries.Reader.TryRead(out var e)) pending.Add(e);
        return pending;
    }

    public async Task<JsonElement> NextSignalAsync(int seconds = 15)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await _signals.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync() => await Hub.DisposeAsync();
}
