using Microsoft.AspNetCore.SignalR;
using Orleans.Streams;

namespace Mediation.Api.Realtime;

/// <summary>
/// Merchant and consumer consoles: one connection follows every dispute of its party through the party's summary
/// stream. One subscription per followed party on this node, forwarded to a SignalR group.
/// </summary>
public sealed class PartyFeeds(IClusterClient cluster, IHubContext<NegotiationHub> hub, ILogger<PartyFeeds> logger)
{
    private IClusterClient Cluster { get; } = cluster;
    private IHubContext<NegotiationHub> Hub { get; } = hub;
    private ILogger Logger { get; } = logger;

    public const string SummaryMethod = "DisputeSummary";

    private readonly FeedRegistry<Feed> _feeds = new();

    public static string Group(Role role, string partyId) => $"{role.ToString().ToLowerInvariant()}:{partyId}";

    public Task FollowAsync(Role role, string partyId, string connectionId) =>
        _feeds.FollowAsync(Group(role, partyId), connectionId, _ => new Feed(this, role, partyId), feed => feed.AddAsync(connectionId));

    public Task DisconnectedAsync(string connectionId) => _feeds.DisconnectedAsync(connectionId);

    private sealed class Feed(PartyFeeds owner, Role role, string partyId) : IAsyncObserver<DisputeSummaryEvent>, IConnectionFeed
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly HashSet<string> _connections = [];
        private StreamSubscriptionHandle<DisputeSummaryEvent>? _subscription;
        private bool _closed;
        private string GroupName => Group(role, partyId);

        public async Task<bool> AddAsync(string connectionId)
        {
            await _gate.WaitAsync();
            try
            {
                if (_closed) return false;
                _subscription ??= await owner.Cluster.GetStreamProvider(MediationStreams.Provider)
                    .GetStream<DisputeSummaryEvent>(StreamId.Create(role == Role.Merchant ? MediationStreams.Merchants : MediationStreams.Consumers, partyId))
                    .SubscribeAsync(this);
                await owner.Hub.Groups.AddToGroupAsync(connectionId, GroupName);
                _connections.Add(connectionId);
                return true;
            }
            finally
            {
                _gate.Release();
            }
        }

        public async Task RemoveAsync(string connectionId)
        {
            await _gate.WaitAsync();
            try
            {
                if (!_connections.Remove(connectionId) || _connections.Count > 0 || _closed) return;
                _closed = true;
                owner._feeds.Forget(GroupName, this);
                if (_subscription is not null) await _subscription.UnsubscribeAsync();
            }
            finally
            {
                _gate.Release();
            }
        }

        public Task OnNextAsync(DisputeSummaryEvent item, StreamSequenceToken? token = null) =>
            owner.Hub.Clients.Group(GroupName).SendAsync(SummaryMethod, WireFormat.ToWire(item));

        public Task OnCompletedAsync() => Task.CompletedTask;

        public Task OnErrorAsync(Exception ex)
        {
            owner.Logger.LogWarning(ex, "Summary stream of {Party} failed", GroupName);
            return Task.CompletedTask;
        }
    }
}
