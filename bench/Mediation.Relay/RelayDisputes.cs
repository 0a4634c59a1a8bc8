using System.Collections.Concurrent;

namespace Mediation.Relay;

/// <summary>An order as the setup pushes it: only who its parties are matters here.</summary>
public sealed record RelayOrder(string OrderId, string ConsumerId, string MerchantId);

/// <summary>A dispute held in memory: its parties, its Opened event and the next seq to hand out.</summary>
public sealed class RelayDispute(string disputeId, RelayOrder order, string description, DateTimeOffset openedAt)
{
    private long _seq = 1; // seq 1 is the Opened event

    public string DisputeId { get; } = disputeId;
    public RelayOrder Order { get; } = order;
    public string Description { get; } = description;
    public DateTimeOffset OpenedAt { get; } = openedAt;

    public long NextSeq() => Interlocked.Increment(ref _seq);

    public bool OpenedElsewhere { get; init; }

    public bool IsParty(string userId) => OpenedElsewhere || userId == Order.ConsumerId || userId == Order.MerchantId;
}

/// <summary>Orders and disputes of the run, in memory; nothing is ever removed (a relay lives for one run).</summary>
public sealed class RelayDisputes(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, RelayOrder> _orders = new();
    private readonly ConcurrentDictionary<string, RelayDispute> _disputes = new();
    private long _nextDispute;

    public (RelayOrder Order, bool Created) PushOrder(RelayOrder order)
    {
        var stored = _orders.GetOrAdd(order.OrderId, order);
        return (stored, ReferenceEquals(stored, order));
    }

    public RelayDispute? Open(string orderId, string consumerId, string description)
    {
        if (!_orders.TryGetValue(orderId, out var order) || order.ConsumerId != consumerId) return null;
        var dispute = new RelayDispute($"d-relay-{Interlocked.Increment(ref _nextDispute):D7}", order, description, time.GetUtcNow());
        _disputes[dispute.DisputeId] = dispute;
        return dispute;
    }

    /// <summary>
    /// The dispute, or — when the bench runs several relay nodes and opened it through another one — a stand-in that
    /// lets anyone join and hands out seqs from 2. The nodes share nothing, so both parties of a dispute must be on the
    /// same node (the bench places them so).
    /// </summary>
    public RelayDispute Find(string disputeId) => _disputes.GetOrAdd(disputeId,
        id => new RelayDispute(id, new RelayOrder("", "", ""), "", time.GetUtcNow()) { OpenedElsewhere = true });
}
