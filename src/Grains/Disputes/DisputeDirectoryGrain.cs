using Orleans.Concurrency;

namespace Mediation.Grains.Disputes;

/// <summary>Answers from the summary lines in the log, so the edge's heartbeat costs one call per period, not one per dispute.</summary>
[StatelessWorker]
public sealed class DisputeDirectoryGrain(IDisputeEventLog log) : Grain, IDisputeDirectory
{
    public const int MaxDisputesPerCall = 20_000;

    public Task<IReadOnlyDictionary<string, long>> LatestSeqsAsync(IReadOnlyCollection<string> disputeIds) =>
        disputeIds.Count <= MaxDisputesPerCall
            ? log.LatestSeqsAsync(disputeIds)
            : throw MediationException.Invalid($"at most {MaxDisputesPerCall} disputes per question");
}
