using System.Diagnostics;
using System.Runtime.Serialization;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Mediation.Bench;

/// <summary>
/// One dispute of the run and the bookkeeping that matches what one party sends to what the other receives.
/// A message is matched by its seq (the hub's SendMessage answers with it; the counterpart's DisputeEvent carries it),
/// whichever of the two arrives first. A typing signal carries no id, so each sender's typing sends are matched in
/// order with the typing signals of that sender that the counterpart receives (one dispute grain, one stream, one
/// feed: they arrive in the order they were sent).
/// </summary>
public sealed class DisputeRun(string disputeId, string consumerId, string merchantId)
{
    public string DisputeId { get; } = disputeId;
    public Party Consumer { get; } = new(disputeId, consumerId, "consumer");
    public Party Merchant { get; } = new(disputeId, merchantId, "merchant");

    private readonly object _lock = new();
    private readonly Dictionary<long, (long Timestamp, Phase Phase)> _answered = [];
    private readonly Dictionary<long, long> _receivedFirst = [];
    private readonly HashSet<long> _delivered = [];

    public void Wire()
    {
        Consumer.Attach(this, Merchant);
        Merchant.Attach(this, Consumer);
    }

    /// <summary>The sender's invoke answered with <paramref name="seq"/>.</summary>
    internal void MessageAnswered(long seq, long sentTimestamp, Phase phase)
    {
        lock (_lock)
        {
            if (_receivedFirst.Remove(seq, out var received))
            {
                _delivered.Add(seq);
                phase.Delivered(sentTimestamp, received);
            }
            else
            {
                _answered[seq] = (sentTimestamp, phase);
            }
        }
    }

    /// <summary>The counterpart received the message event <paramref name="seq"/>.</summary>
    internal void MessageReceived(long seq, long receivedTimestamp)
    {
        lock (_lock)
        {
            if (_answered.Remove(seq, out var sent))
            {
                _delivered.Add(seq);
                sent.Phase.Delivered(sent.Timestamp, receivedTimestamp);
            }
            else if (_delivered.Contains(seq) || _receivedFirst.ContainsKey(seq))
            {
                Counters.Increment(ref Counters.DuplicateEvents);
            }
            else
            {
                _receivedFirst[seq] = receivedTimestamp;
            }
        }
    }

    /// <summary>Answered sends of <paramref name="phase"/> that the counterpart has not received.</summary>
    public int Undelivered(Phase phase)
    {
        lock (_lock) return _answered.Values.Count(a => a.Phase == phase);
    }

    /// <summary>Messages received that no answered send accounts for (their invoke failed or timed out).</summary>
    public int ReceivedUnanswered()
    {
        lock (_lock) return _receivedFirst.Count;
    }

    internal object Lock => _lock;
}

/// <summary>One party's SignalR connection.</summary>
public sealed class Party(string disputeId, string userId, string role)
{
    public string DisputeId { get; } = disputeId;
    public string UserId { get; } = userId;
    public string Role { get; } = role;
    public HubConnection? Hub { get; private set; }
    public double ConnectMs { get; private set; }
    public double JoinMs { get; private set; }
    /// <summary>When the join completed (Stopwatch timestamp); 0 if it did not.</summary>
    public long JoinedAt { get; private set; }
    private string? _lastTypingAt;

    private DisputeRun _run = null!;
    private Party _counterpart = null!;
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>This party's typing sends not yet matched with a signal at the counterpart (guarded by the run's lock).</summary>
    private readonly LinkedList<TypingSend> _typingInFlight = new();

    internal void Attach(DisputeRun run, Party counterpart)
    {
        _run = run;
        _counterpart = counterpart;
    }

    public async Task ConnectAndJoinAsync(Uri baseAddress, TimeSpan timeout, HubProtocol protocol = HubProtocol.Json)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, "/hubs/negotiation"), HttpTransportType.WebSockets, o =>
            {
                o.Headers["X-User-Id"] = UserId;
                o.Headers["X-Role"] = Role;
                o.Headers["Authorization"] = $"Bearer {BenchTokens.For(UserId, Role)}";
                // Straight to the WebSocket, as a phone app would: a negotiate request leaves a pooled HTTP connection
                // open beside each WebSocket, and 10,000 parties would then hold 20,000 sockets on a 20,000-file node.
                o.SkipNegotiation = true;
            });
        if (protocol == HubProtocol.MessagePack) builder.AddMessagePackProtocol();
        else builder.AddJsonProtocol();
        var hub = builder.Build();
        hub.On<WireEvent>("DisputeEvent", OnEvent);
        hub.On<WireSignal>("DisputeSignal", OnSignal);
        hub.On<object?>("DisputeHeartbeat", _ => Counters.Increment(ref Counters.Heartbeats));
        hub.Closed += e =>
        {
            Counters.Increment(ref Counters.ConnectionsClosed);
            Counters.Note($"connection closed: {e?.GetType().Name}: {e?.Message}");
            return Task.CompletedTask;
        };
        Hub = hub;

        using var cancel = new CancellationTokenSource(timeout);
        var start = Stopwatch.GetTimestamp();
        await hub.StartAsync(cancel.Token);
        var connected = Stopwatch.GetTimestamp();
        ConnectMs = Stopwatch.GetElapsedTime(start, connected).TotalMilliseconds;
        await hub.InvokeAsync("JoinDispute", DisputeId, 0L, cancel.Token);
        // The join replays the history (the Opened event, seq 1) before it answers; wait for it all the same.
        await _opened.Task.WaitAsync(cancel.Token);
        JoinedAt = Stopwatch.GetTimestamp();
        JoinMs = Stopwatch.GetElapsedTime(connected, JoinedAt).TotalMilliseconds;
    }

    private void OnEvent(WireEvent e)
    {
        var now = Stopwatch.GetTimestamp();
        var seq = e.Seq;
        if (seq <= 0) return;
        if (seq == 1) _opened.TrySetResult();
        if (e.Type != "Message") return;
        if (e.AuthorId == UserId) return; // our own message, echoed to the group
        Counters.Increment(ref Counters.MessageEventsReceived);
        _run.MessageReceived(seq, now);
    }

    private void OnSignal(WireSignal s)
    {
        var now = Stopwatch.GetTimestamp();
        if (s.Kind != "typing" || s.UserId != _counterpart.UserId) return; // typingStopped, read receipts, our own echo
        Counters.Increment(ref Counters.TypingSignalsReceived);
        var at = s.At;
        lock (_run.Lock)
        {
            // The grain stamps each signal with its own time: the same stamp twice is the same signal delivered twice.
            if (at is not null && at == _lastTypingAt)
            {
                Counters.Increment(ref Counters.DuplicateTypingSignals);
                return;
            }
            _lastTypingAt = at;
            var first = _counterpart._typingInFlight.First;
            if (first is null)
            {
                Counters.Increment(ref Counters.TypingSignalsUnmatched);
                return;
            }
            _counterpart._typingInFlight.RemoveFirst();
            first.Value.Phase.Delivered(first.Value.Timestamp, now);
        }
    }

    public async Task SendMessageAsync(Phase phase, string text, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        phase.SendStarted();
        var start = Stopwatch.GetTimestamp();
        try
        {
            var seq = await Hub!.InvokeAsync<long>("SendMessage", DisputeId, text, cancel.Token);
            phase.SendAcked();
            _run.MessageAnswered(seq, start, phase);
        }
        catch (Exception e)
        {
            phase.SendFailed(e);
        }
    }

    public async Task TypingAsync(Phase phase, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        phase.SendStarted();
        var send = new TypingSend(Stopwatch.GetTimestamp(), phase);
        LinkedListNode<TypingSend> node;
        lock (_run.Lock) node = _typingInFlight.AddLast(send);
        try
        {
            await Hub!.InvokeAsync("Typing", DisputeId, cancel.Token);
            phase.SendAcked();
        }
        catch (Exception e)
        {
            phase.SendFailed(e);
            // A failed typing publishes nothing (most likely): stop expecting it, unless it was already matched.
            lock (_run.Lock)
                if (node.List is not null) _typingInFlight.Remove(node);
        }
    }

    /// <summary>Typing sends of <paramref name="phase"/> still waiting for their signal; forgets them.</summary>
    public int TakeUndeliveredTyping(Phase phase)
    {
        lock (_run.Lock)
        {
            var count = 0;
            for (var node = _typingInFlight.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Phase == phase)
                {
                    _typingInFlight.Remove(node);
                    count++;
                }
                node = next;
            }
            return count;
        }
    }

    private sealed record TypingSend(long Timestamp, Phase Phase);
}

/// <summary>The SignalR hub protocol the clients speak; the service and the relay accept both.</summary>
public enum HubProtocol { MessagePack, Json }

/// <summary>
/// The fields of a pushed <c>DisputeEvent</c> the bench reads. The service sends a map with camelCase keys under both
/// protocols: MessagePack matches the <see cref="DataMemberAttribute"/> names, JSON the camelCase property names.
/// </summary>
[DataContract]
public sealed class WireEvent
{
    [DataMember(Name = "disputeId")] public string? DisputeId { get; set; }
    [DataMember(Name = "seq")] public long Seq { get; set; }
    [DataMember(Name = "type")] public string? Type { get; set; }
    [DataMember(Name = "authorId")] public string? AuthorId { get; set; }
}

/// <summary>The fields of a pushed <c>DisputeSignal</c> the bench reads.</summary>
[DataContract]
public sealed class WireSignal
{
    [DataMember(Name = "disputeId")] public string? DisputeId { get; set; }
    [DataMember(Name = "kind")] public string? Kind { get; set; }
    [DataMember(Name = "userId")] public string? UserId { get; set; }
    [DataMember(Name = "at")] public string? At { get; set; }
}

/// <summary>Run-wide counters, mostly for spotting trouble.</summary>
public static class Counters
{
    public static long Heartbeats;
    public static long ConnectionsClosed;
    public static long DuplicateEvents;
    public static long MessageEventsReceived;
    public static long TypingSignalsReceived;
    public static long TypingSignalsUnmatched;
    public static long DuplicateTypingSignals;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Notes = new();

    public static void Increment(ref long counter) => Interlocked.Increment(ref counter);

    /// <summary>Zeroes everything: a --compare invocation runs the scenario twice in one process.</summary>
    public static void Reset()
    {
        Interlocked.Exchange(ref Heartbeats, 0);
        Interlocked.Exchange(ref ConnectionsClosed, 0);
        Interlocked.Exchange(ref DuplicateEvents, 0);
        Interlocked.Exchange(ref MessageEventsReceived, 0);
        Interlocked.Exchange(ref TypingSignalsReceived, 0);
        Interlocked.Exchange(ref TypingSignalsUnmatched, 0);
        Interlocked.Exchange(ref DuplicateTypingSignals, 0);
        Notes.Clear();
    }

    public static void Note(string note)
    {
        if (note.Length > 200) note = note[..200] + "…";
        Notes.AddOrUpdate(note, 1, (_, n) => n + 1);
    }

    public static IReadOnlyDictionary<string, int> NotesByCount() => Notes.OrderByDescending(n => n.Value).ToDictionary(n => n.Key, n => n.Value);
}
