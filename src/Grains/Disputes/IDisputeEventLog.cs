namespace Mediation.Grains.Disputes;

/// <summary>
/// The append-only history of every dispute, and the parties' lists projected from it. A chat message is one row;
/// the conversation is never rewritten. <see cref="AppendAsync"/> completes only once the events — and the summary
/// line that goes with them — are committed, together.
/// </summary>
public interface IDisputeEventLog
{
    /// <summary>Appends events of one dispute atomically, in order, with the dispute's summary line as of the last of them.</summary>
    Task AppendAsync(IReadOnlyList<DisputeEvent> events, DisputeSummary? summary = null, CancellationToken cancellationToken = default);

    /// <summary>Events of a dispute with seq greater than <paramref name="afterSeq"/>, ascending, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DisputeEvent>> ReadAsync(string disputeId, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Stores a summary line that changed without an event (read marks); never moves a line backwards.</summary>
    Task SaveSummaryAsync(DisputeSummary summary, CancellationToken cancellationToken = default);

    /// <summary>The stored summary line of a dispute, if any.</summary>
    Task<DisputeSummary?> ReadSummaryAsync(string disputeId, CancellationToken cancellationToken = default);

    /// <summary>Every dispute of a merchant or consumer, as its summary line.</summary>
    Task<IReadOnlyList<DisputeSummary>> ReadSummariesAsync(Role party, string partyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every dispute opened in [<paramref name="from"/>, <paramref name="to"/>), in <paramref name="city"/> or in any
    /// city when null, as its summary line: the projection the regulator's figures are computed from.
    /// </summary>
    Task<IReadOnlyList<DisputeSummary>> ReadSummariesOpenedAsync(string? city, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>The latest seq of each of the given disputes that exists (one question for many disputes: the edge's heartbeat).</summary>
    Task<IReadOnlyDictionary<string, long>> LatestSeqsAsync(IReadOnlyCollection<string> disputeIds, CancellationToken cancellationToken = default);
}
