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

    public static string Group(Role role, string partyId) => $"{role.WireName()}:{partyId}";

    public Task FollowAsync(Role role, string partyId, string connectionId) =>
        _feeds.FollowAsync(Group(role, partyId), connectionId, _ => new Feed(this, role, partyId), feed => feed.AddAsync(connectionId));

    public Task DisconnectedAsync(string connectionId) => _feeds.DisconnectedAsync(connectionId);

    private sealed class Feed(PartyFeeds owner, Role role, string partyId) : StreamFeed<DisputeSummaryEvent>(owner.Hub, Group(role, partyId))
    {
        public Task<bool> AddAsync(string connectionId) => AddAsync(connectionId, async () =>
            Subscription ??= await owner.Cluster.GetStreamProvider(MediationStreams.Provider)
                .GetStream<DisputeSummaryEvent>(StreamId.Create(role == Role.Merchant ? MediationStreams.Merchants : MediationStreams.Consumers, partyId))
                .SubscribeAsync(this));

        protected override void Forget() => owner._feeds.Forget(Group(role, partyId), this);

        public override Task OnNextAsync(DisputeSummaryEvent item, StreamSequenceToken? token = null) =>
            GroupClients.SendAsync(SummaryMethod, WireFormat.ToWire(item));

        public override Task OnErrorAsync(Exception ex)
        {
            owner.Logger.LogWarning(ex, "Summary stream of {Party} failed", Group(role, partyId));
            return Task.CompletedTask;
        }
    }
}
