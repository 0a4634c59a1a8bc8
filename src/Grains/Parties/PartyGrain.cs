using Orleans.Runtime;
using Orleans.Streams;

namespace Mediation.Grains.Parties;

[GenerateSerializer, Alias("Mediation.PartyRecord")]
public sealed class PartyRecord
{
    [Id(0)] public Dictionary<string, DisputeSummary> Disputes { get; set; } = [];
    /// <summary>Time from opening to the merchant's first answer, one entry per answered dispute.</summary>
    [Id(1)] public Dictionary<string, TimeSpan> FirstResponseTimes { get; set; } = [];
}

/// <summary>
/// A merchant's or consumer's index of its disputes with running figures. A line's state, deadline or first
/// response is written at once; the latest sequence numbers and read marks are written behind, a few seconds
/// later and on deactivation, so a chat message does not cost the index a database write each.
/// </summary>
public abstract class PartyGrain(IPersistentState<PartyRecord> record, Role owner) : Grain, IDisputeIndex
{
    private static readonly TimeSpan WriteBehind = TimeSpan.FromSeconds(5);
    private IGrainTimer? _flush;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_flush is not null) await FlushAsync(cancellationToken);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        _flush?.Dispose();
        _flush = null;
        await record.WriteStateAsync(cancellationToken);
    }

    public async Task TrackAsync(DisputeSummary summary)
    {
        var disputes = record.State.Disputes;
        disputes.TryGetValue(summary.DisputeId, out var previous);
        if (previous is not null && previous.LastSeq > summary.LastSeq) return; // an older update arriving late
        disputes[summary.DisputeId] = summary;

        if (summary.MerchantFirstRespondedAt is { } answeredAt)
            record.State.FirstResponseTimes.TryAdd(summary.DisputeId, answeredAt - summary.OpenedAt);

        await PublishAsync(summary);

        var worthWriting = previous is null
            || previous.State != summary.State
            || previous.NextDeadline != summary.NextDeadline
            || previous.MerchantFirstRespondedAt != summary.MerchantFirstRespondedAt
            || previous.RemedyOverdue != summary.RemedyOverdue;
        if (worthWriting) await FlushAsync(CancellationToken.None);
        else _flush ??= this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions(WriteBehind, Timeout.InfiniteTimeSpan));
    }

    /// <summary>News for the party's console; a lost item is harmless, the list is the truth.</summary>
    private async Task PublishAsync(DisputeSummary summary)
    {
        try
        {
            var stream = this.GetStreamProvider(MediationStreams.Provider)
                .GetStream<DisputeSummaryEvent>(StreamId.Create(owner == Role.Merchant ? MediationStreams.Merchants : MediationStreams.Consumers, this.GetPrimaryKeyString()));
            await stream.OnNextAsync(new DisputeSummaryEvent(summary.DisputeId, summary.LastEventType ?? "", summary.LastSeq, summary.State,
                summary.UpdatedAt, summary.NextDeadline, summary.NextDeadlineKind, Unread(summary), summary.OrderId));
        }
        catch (Exception)
        {
            // The console re-reads the list on reconnect; a dropped summary line costs nothing durable.
        }
    }

    private long Unread(DisputeSummary s) => Math.Max(0, s.LastSeq - (owner == Role.Merchant ? s.MerchantReadSeq : s.ConsumerReadSeq));

    public Task<PartyDisputes> ListAsync(Caller caller)
    {
        var id = this.GetPrimaryKeyString();
        if (caller.Role != owner || caller.UserId != id)
            throw MediationException.Forbidden($"{caller} may not list the disputes of {owner.ToString().ToLowerInvariant()} {id}");

        var list = record.State.Disputes.Values
            .OrderByDescending(d => d.State.IsOpen())
            .ThenBy(d => d.NextDeadline ?? DateTimeOffset.MaxValue)
            .ThenByDescending(d => d.UpdatedAt)
            .Select(d => d with { Unread = Unread(d) })
            .ToArray();
        return Task.FromResult(new PartyDisputes(id, list, Figures()));
    }

    private PartyFigures Figures()
    {
        var all = record.State.Disputes.Values;
        int Count(DisputeState s) => all.Count(d => d.State == s);
        return new PartyFigures(
            Opened: all.Count,
            Open: all.Count(d => d.State.IsOpen()),
            SettledByParties: Count(DisputeState.Settled),
            Escalated: Count(DisputeState.Escalated),
            Withdrawn: Count(DisputeState.Withdrawn),
            Expired: Count(DisputeState.Expired),
            MedianTimeToFirstResponse: Median(record.State.FirstResponseTimes.Values));
    }

    private static TimeSpan? Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

public sealed class MerchantGrain([PersistentState("merchant", MediationStorage.Name)] IPersistentState<PartyRecord> record)
    : PartyGrain(record, Role.Merchant), IMerchantGrain;

public sealed class ConsumerGrain([PersistentState("consumer", MediationStorage.Name)] IPersistentState<PartyRecord> record)
    : PartyGrain(record, Role.Consumer), IConsumerGrain;
