namespace Mediation.Grains.Disputes;

/// <summary>
/// The append-only history of every dispute. A chat message is one row; the conversation is never rewritten.
/// <see cref="AppendAsync"/> completes only once the events are committed.
/// </summary>
public interface IDisputeEventLog
{
    /// <summary>Appends events of one dispute atomically, in order.</summary>
    Task AppendAsync(IReadOnlyList<DisputeEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Events of a dispute with seq greater than <paramref name="afterSeq"/>, ascending, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DisputeEvent>> ReadAsync(string disputeId, long afterSeq, int limit, CancellationToken cancellationToken = default);
}
