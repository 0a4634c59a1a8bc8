using Microsoft.AspNetCore.SignalR;
using Orleans.Streams;

namespace Mediation.Api.Realtime;

/// <summary>
/// Mediators' desks: a connection following a city gets the city's whole queue (<c>QueueChanged</c>) each time it
/// changes. One subscription per followed city on this node, forwarded to a SignalR group.
/// </summary>
public sealed class DeskFeeds(IClusterClient cluster, IHubContext<NegotiationHub> hub, ILogger<DeskFeeds> logger)
{
    public const string QueueMethod = "QueueChanged";

    private readonly FeedRegistry<Feed> _feeds = new();

    public static string Group(string city) => $"desk:{city}";

    public Task FollowAsync(string city, string connectionId) =>
        _feeds.FollowAsync(Group(city), connectionId, _ => new Feed(this, city), feed => feed.AddAsync(connectionId));

    public Task DisconnectedAsync(string connectionId) => _feeds.DisconnectedAsync(connectionId);

    private sealed class Feed(DeskFeeds owner, string city) : StreamFeed<DeskNews>(owner._hub, Group(city))
    {
        public Task<bool> AddAsync(string connectionId) => AddAsync(connectionId, async () =>
            Subscription ??= await owner._cluster.GetStreamProvider(MediationStreams.Provider)
                .GetStream<DeskNews>(StreamId.Create(MediationStreams.Desks, city))
                .SubscribeAsync(this));

        protected override void Forget() => owner._feeds.Forget(Group(city), this);

        public override Task OnNextAsync(DeskNews item, StreamSequenceToken? token = null) => GroupClients.SendAsync(QueueMethod, WireFormat.ToWire(item));

        public override Task OnErrorAsync(Exception ex)
        {
            owner._logger.LogWarning(ex, "Desk stream of {City} failed", city);
            return Task.CompletedTask;
        }
    }

    private readonly IClusterClient _cluster = cluster;
    private readonly IHubContext<NegotiationHub> _hub = hub;
    private readonly ILogger _logger = logger;
}
