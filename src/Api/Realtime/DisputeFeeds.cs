using Mediation.Api.Operations;
using Microsoft.AspNetCore.SignalR;
using Orleans.Streams;

namespace Mediation.Api.Realtime;

/// <summary>
/// The stream-to-SignalR bridge of this API node. For each dispute that has a party connected here, it holds one
/// Orleans stream subscription and the highest seq it has delivered in order; everything for that dispute (live
/// events, joins, heartbeats) is handled one at a time, so a joining client gets the history up to that point and
/// then the live events — no gap, no duplicate — and a gap in the stream is backfilled from the log.
/// </summary>
public sealed class DisputeFeeds(IClusterClient cluster, IHubContext<NegotiationHub> hub, IFeedProbe probe, EdgeTelemetry telemetry, ILogger<DisputeFeeds> logger)
{
    private IClusterClient Cluster { get; } = cluster;
    private IHubContext<NegotiationHub> Hub { get; } = hub;
    private ILogger Logger { get; } = logger;
    private IFeedProbe Probe { get; } = probe;
    private EdgeTelemetry Telemetry { get; } = telemetry;

    public const string EventMethod = "DisputeEvent";
    public const string SignalMethod = "DisputeSignal";
    public const string HeartbeatMethod = "DisputeHeartbeat";

    private readonly FeedRegistry<Feed> _feeds = new();

    public static string Group(string disputeId) => $"dispute:{disputeId}";

    /// <summary>Replays what the connection lacks after <paramref name="afterSeq"/>, then adds it to the dispute's group.</summary>
    public Task JoinAsync(string disputeId, Caller caller, string connectionId, long afterSeq) =>
        _feeds.FollowAsync(disputeId, connectionId, id => new Feed(this, id), feed => feed.JoinAsync(caller, connectionId, afterSeq));

    public Task LeaveAsync(string disputeId, string connectionId) => _feeds.UnfollowAsync(disputeId, connectionId);

    public Task DisconnectedAsync(string connectionId) => _feeds.DisconnectedAsync(connectionId);

    /// <summary>
    /// One question for every followed dispute's latest seq, then a backfill only where this node is behind (a lost
    /// last event, say) and the heartbeat to each group: the cost in grain calls does not grow with the disputes followed.
    /// </summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        var feeds = _feeds.Feeds.ToArray();
        if (feeds.Length == 0) return;
        var latest = new Dictionary<string, long>(feeds.Length);
        foreach (var chunk in feeds.Chunk(5_000))
        {
            var seqs = await Cluster.GetGrain<IDisputeDirectory>(0).LatestSeqsAsync(chunk.Select(f => f.DisputeId).ToArray());
            foreach (var (id, seq) in seqs) latest[id] = seq;
        }
        // Feeds are independent; a bounded fan-out keeps a node with thousands of them on its period.
        await Parallel.ForEachAsync(feeds, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (feed, _) =>
        {
            try
            {
                await feed.HeartbeatAsync(latest.GetValueOrDefault(feed.DisputeId));
            }
            catch (Exception e)
            {
                Logger.LogDebug(e, "Heartbeat for dispute {DisputeId} failed", feed.DisputeId);
            }
        });
    }

    public int FeedCount => _feeds.Feeds.Count;

    private sealed class Feed(DisputeFeeds owner, string disputeId) : StreamFeed<DisputeStreamItem>(owner.Hub, Group(disputeId))
    {
        /// <summary>
        /// Who reads the timeline, by audience (consumer, merchant, others): each sees the other party's phones and
        /// addresses as the dispute allows it (masked by the grain), so each audience has its own group and reader.
        /// </summary>
        private readonly Dictionary<Audience, Caller> _readers = [];
        private readonly Dictionary<string, Audience> _audienceOf = [];
        private long _delivered;

        public string DisputeId => disputeId;
        private IDisputeGrain Dispute => owner.Cluster.GetGrain<IDisputeGrain>(disputeId);

        private enum Audience { Consumer, Merchant, Others }

        private static Audience AudienceOf(Caller caller) =>
            caller.Role switch { Role.Consumer => Audience.Consumer, Role.Merchant => Audience.Merchant, _ => Audience.Others };

        private string AudienceGroup(Audience audience) => $"{Group(disputeId)}:{audience}";

        public Task<bool> JoinAsync(Caller caller, string connectionId, long afterSeq) => AddAsync(connectionId, async () =>
        {
            if (Subscription is null)
            {
                // Subscribe first, then read where the dispute is: anything published after this is live.
                var subscription = await owner.Cluster.GetStreamProvider(MediationStreams.Provider)
                    .GetStream<DisputeStreamItem>(StreamId.Create(MediationStreams.Disputes, disputeId))
                    .SubscribeAsync(this);
                try
                {
                    _delivered = (await Dispute.GetAsync(caller)).LastSeq;
                }
                catch
                {
                    await subscription.UnsubscribeAsync();
                    throw;
                }
                Subscription = subscription;
            }

            // The history this client lacks (as this caller sees it), up to what this node has delivered; the group follows.
            var client = Hub.Clients.Client(connectionId);
            var from = Math.Max(0, afterSeq);
            while (from < _delivered)
            {
                var page = await Dispute.GetEventsAsync(caller, from, 500);
                if (page.Count == 0) break;
                foreach (var e in page.TakeWhile(e => e.Seq <= _delivered))
                    await client.SendAsync(EventMethod, WireFormat.ToWire(e));
                from = page[^1].Seq;
                await owner.Probe.HistoryPageSentAsync(disputeId, Math.Min(from, _delivered));
            }
            var audience = AudienceOf(caller);
            _readers.TryAdd(audience, caller);
            _audienceOf[connectionId] = audience;
            await Hub.Groups.AddToGroupAsync(connectionId, AudienceGroup(audience));
        });

        protected override async Task OnRemovedAsync(string connectionId)
        {
            if (_audienceOf.Remove(connectionId, out var audience)) await Hub.Groups.RemoveFromGroupAsync(connectionId, AudienceGroup(audience));
        }

        protected override void Forget() => owner._feeds.Forget(disputeId, this);

        public override async Task OnNextAsync(DisputeStreamItem item, StreamSequenceToken? token = null)
        {
            if (item.Signal is { } signal)
            {
                await GroupClients.SendAsync(SignalMethod, WireFormat.ToWire(signal));
                return;
            }
            if (item.Event is not { } e || owner.Probe.ShouldDrop(e)) return;

            // The end of the trace of the call that made the event (a chat message from the hub, say).
            using var push = EdgeTelemetry.StartPush(disputeId, item);
            await UnderGateAsync(async () =>
            {
                if (Closed || e.Seq <= _delivered) return false; // already delivered (replayed or backfilled)
                if (e.Seq > _delivered + 1) await BackfillAsync(e.Seq - 1);
                if (item.ForConsumer is null && item.ForMerchant is null && item.ForOthers is null)
                    await GroupClients.SendAsync(EventMethod, WireFormat.ToWire(e));
                else
                {
                    // Personal data in it: each audience its own copy.
                    await Hub.Clients.Group(AudienceGroup(Audience.Consumer)).SendAsync(EventMethod, WireFormat.ToWire(item.ForConsumer ?? e));
                    await Hub.Clients.Group(AudienceGroup(Audience.Merchant)).SendAsync(EventMethod, WireFormat.ToWire(item.ForMerchant ?? e));
                    await Hub.Clients.Group(AudienceGroup(Audience.Others)).SendAsync(EventMethod, WireFormat.ToWire(item.ForOthers ?? e));
                }
                _delivered = e.Seq;
                owner.Telemetry.Delivered(e, live: true);
                return true;
            });
        }

        public Task HeartbeatAsync(long latestSeq) => UnderGateAsync(async () =>
        {
            if (Closed || _readers.Count == 0) return false;
            if (latestSeq > _delivered)
            {
                await BackfillAsync(latestSeq);
                // Behind on two beats in a row: the stream has stopped delivering here (Orleans drops a consumer it
                // once failed to reach, as a co-hosted client can be just after a restart). Subscribe afresh.
                if (++_behind >= 2) await ResubscribeAsync();
            }
            else _behind = 0;
            await GroupClients.SendAsync(HeartbeatMethod, new Dictionary<string, object?> { ["disputeId"] = disputeId, ["latestSeq"] = _delivered });
            return true;
        });

        private int _behind;

        private async Task ResubscribeAsync()
        {
            _behind = 0;
            owner.Logger.LogInformation("Stream of dispute {DisputeId} fell silent; subscribing again", disputeId);
            try { if (Subscription is not null) await Subscription.UnsubscribeAsync(); }
            catch (Exception e) { owner.Logger.LogDebug(e, "Dropping the silent subscription of dispute {DisputeId} failed", disputeId); }
            Subscription = await owner.Cluster.GetStreamProvider(MediationStreams.Provider)
                .GetStream<DisputeStreamItem>(StreamId.Create(MediationStreams.Disputes, disputeId))
                .SubscribeAsync(this);
        }

        /// <summary>Sends each audience what the log holds after <see cref="_delivered"/>, up to <paramref name="upTo"/>, as it sees it.</summary>
        private async Task BackfillAsync(long upTo)
        {
            var reached = _delivered;
            foreach (var (audience, reader) in _readers)
            {
                var at = _delivered;
                while (at < upTo)
                {
                    var page = await Dispute.GetEventsAsync(reader, at, 500);
                    if (page.Count == 0) break;
                    foreach (var missed in page.TakeWhile(m => m.Seq <= upTo))
                    {
                        await Hub.Clients.Group(AudienceGroup(audience)).SendAsync(EventMethod, WireFormat.ToWire(missed));
                        at = missed.Seq;
                        if (audience == _readers.Keys.First()) owner.Telemetry.Delivered(missed, live: false);
                    }
                    if (page.Count < 500) break;
                }
                reached = Math.Max(reached, at);
            }
            _delivered = reached;
        }

        public override Task OnErrorAsync(Exception ex)
        {
            owner.Logger.LogWarning(ex, "Stream of dispute {DisputeId} failed; the heartbeat keeps clients current", disputeId);
            return Task.CompletedTask;
        }
    }
}
