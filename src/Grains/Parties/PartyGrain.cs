using Mediation.Grains.Disputes;
using Mediation.Grains.Merchants;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Mediation.Grains.Parties;

/// <summary>
/// A merchant's or consumer's list of disputes with running figures. The list is a projection of the disputes'
/// logs: each dispute's summary line is committed in the same transaction as its events, so the list read here is
/// never behind its disputes — after a graceful stop, after kill -9, on any silo. Nothing is kept in the grain.
/// </summary>
public abstract class PartyGrain(IDisputeEventLog log, Role owner) : Grain, IDisputeIndex
{
    public async Task<PartyDisputes> ListAsync(Caller caller)
    {
        var id = this.GetPrimaryKeyString();
        if (caller.Role != owner || caller.UserId != id)
            throw MediationException.Forbidden($"{caller} may not list the disputes of {owner.WireName()} {id}");

        var lines = await log.ReadSummariesAsync(owner, id);
        var list = lines
            .OrderByDescending(d => d.State.IsOpen())
            .ThenBy(d => d.NextDeadline ?? DateTimeOffset.MaxValue)
            .ThenByDescending(d => d.UpdatedAt)
            .Select(d => d with { Unread = Math.Max(0, d.LastSeq - (owner == Role.Merchant ? d.MerchantReadSeq : d.ConsumerReadSeq)) })
            .ToArray();
        return new PartyDisputes(id, list, Figures(lines)) { Standing = await StandingAsync(lines) };
    }

    /// <summary>What the list adds about its owner (a merchant's standing).</summary>
    protected virtual Task<MerchantStanding?> StandingAsync(IReadOnlyList<DisputeSummary> lines) => Task.FromResult<MerchantStanding?>(null);

    private static PartyFigures Figures(IReadOnlyList<DisputeSummary> all)
    {
        int Count(DisputeState s) => all.Count(d => d.State == s);
        return new PartyFigures(
            Opened: all.Count,
            Open: all.Count(d => d.State.IsOpen()),
            SettledByParties: all.Count(d => d.SettledByParties),
            Escalated: all.Count(d => d.EscalatedAt is not null),
            Withdrawn: Count(DisputeState.Withdrawn),
            Expired: Count(DisputeState.Expired),
            MedianTimeToFirstResponse: all.MedianFirstResponse());
    }
}

/// <summary>A read of the projection: any silo may answer, so it runs where it is called.</summary>
[StatelessWorker]
public sealed class MerchantGrain(IDisputeEventLog log, IOptions<StandingOptions> standing) : PartyGrain(log, Role.Merchant), IMerchantGrain
{
    protected override async Task<MerchantStanding?> StandingAsync(IReadOnlyList<DisputeSummary> lines)
    {
        var profile = await GrainFactory.GetGrain<IMerchantProfileGrain>(this.GetPrimaryKeyString()).GetAsync();
        return Standing.Of(profile, lines, standing.Value.FlagBelow);
    }
}

[StatelessWorker]
public sealed class ConsumerGrain(IDisputeEventLog log) : PartyGrain(log, Role.Consumer), IConsumerGrain;
