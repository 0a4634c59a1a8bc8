using Mediation.Grains.Disputes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Mediation.Grains.Figures;

/// <summary>
/// The regulator's figures, computed on each question from the disputes' summary lines (the event log's projection),
/// never kept in a second bookkeeping. Stateless: any silo answers.
/// </summary>
[StatelessWorker]
public sealed class FiguresGrain(
    IDisputeEventLog log,
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock) : Grain, IFiguresGrain
{
    /// <summary>Standing is asked of this many merchants at once.</summary>
    private const int StandingsInParallel = 16;

    public async Task<RegulatorFigures> GetAsync(Caller caller, FiguresQuery query)
    {
        query = query with { City = AccessPolicy.FiguresCity(caller, query.City) };
        if (AccessPolicy.FiguresRefusal(caller, query.City) is { } refusal) throw MediationException.Forbidden(refusal);
        RegulatorFigureMath.Validate(query);

        var lines = query.MerchantId is { } merchantId
            ? (await log.ReadSummariesAsync(Role.Merchant, merchantId)).Where(l => l.OpenedAt >= query.From && l.OpenedAt < query.To
                && (query.City is null || l.City == query.City)).ToList()
            : await log.ReadSummariesOpenedAsync(query.City, query.From, query.To);

        var standings = new Dictionary<string, MerchantStanding>();
        foreach (var chunk in lines.Select(l => l.MerchantId).Distinct().Chunk(StandingsInParallel))
        {
            var answers = await Task.WhenAll(chunk.Select(m => GrainFactory.GetGrain<IMerchantProfileGrain>(m).GetStandingAsync()));
            foreach (var standing in answers) standings[standing.MerchantId] = standing;
        }
        return RegulatorFigureMath.Of(query, lines, standings, clock.GetUtcNow());
    }
}

/// <summary>The arithmetic of the figures, plain and testable without a cluster.</summary>
public static class RegulatorFigureMath
{
    public static void Validate(FiguresQuery query)
    {
        if (query.From >= query.To) throw MediationException.Invalid($"the period must start before it ends ({query.From:u} is not before {query.To:u})");
        if (query.To - query.From > FiguresQuery.MaxPeriod) throw MediationException.Invalid($"the period may cover at most {FiguresQuery.MaxPeriod.TotalDays:0} days");
        if (query.City is not null && (query.City.Length == 0 || query.City.Length > Validation.MaxNameLength))
            throw MediationException.Invalid("city must be 1 to " + Validation.MaxNameLength + " characters");
    }

    public static RegulatorFigures Of(FiguresQuery query, IReadOnlyList<DisputeSummary> lines, IReadOnlyDictionary<string, MerchantStanding> standings, DateTimeOffset now)
    {
        var merchants = lines.GroupBy(l => l.MerchantId)
            .Select(g =>
            {
                var standing = standings.GetValueOrDefault(g.Key);
                var city = g.Select(l => l.City).FirstOrDefault(c => c is not null);
                return new MerchantFigures(g.Key, city, Totals(g.ToList()), standing?.Score ?? 100, standing?.Flagged ?? false);
            })
            .OrderByDescending(m => m.Flagged).ThenByDescending(m => m.Totals.Opened).ThenBy(m => m.MerchantId, StringComparer.Ordinal)
            .ToList();
        var cities = lines.GroupBy(l => l.City ?? "")
            .Select(g => new CityFigures(g.Key, Totals(g.ToList())))
            .OrderByDescending(c => c.Totals.Opened).ThenBy(c => c.City, StringComparer.Ordinal)
            .ToList();
        var categories = lines.GroupBy(l => l.Category)
            .Select(g => new CategoryCount(g.Key, g.Count()))
            .OrderByDescending(c => c.Disputes).ThenBy(c => c.Category)
            .ToList();
        return new RegulatorFigures(query, now, Totals(lines), categories, cities, merchants, Daily(query, lines))
        {
            FlaggedMerchants = merchants.Where(m => m.Flagged).Select(m => m.MerchantId).ToList(),
        };
    }

    public static FigureTotals Totals(IReadOnlyList<DisputeSummary> lines)
    {
        var byParties = lines.Count(SettledOrWithdrawn);
        // Negotiation is over once the parties settled, the consumer withdrew, a mediator was called, or it expired.
        var over = lines.Count(l => SettledOrWithdrawn(l) || l.EscalatedAt is not null || l.State == DisputeState.Expired);
        var missed = lines.Count(l => l.MerchantMissedFirstResponse);
        var notCarriedOut = lines.Count(l => l.CompensationPaid > 0 || l.RemedyOverdue || l.State == DisputeState.Compensated);
        var ratings = lines.SelectMany(l => new[] { l.ConsumerRating, l.MerchantRating }).OfType<int>().ToList();
        return new FigureTotals(
            lines.Count,
            lines.Count(l => l.SettledByParties),
            lines.Count(l => l.EscalatedAt is not null),
            lines.Count(l => l.Responsibility is not null),
            over,
            over == 0 ? null : (double)byParties / over,
            lines.MedianFirstResponse(),
            missed,
            notCarriedOut,
            missed + notCarriedOut,
            lines.Sum(l => l.CompensationPaid),
            lines.Sum(l => l.CompensationRecovered),
            ratings.Count == 0 ? null : ratings.Average());
    }

    /// <summary>Settled before any mediator came in, or withdrawn by the consumer: the parties ended it themselves.</summary>
    private static bool SettledOrWithdrawn(DisputeSummary l) =>
        (l.SettledByParties) || l.State == DisputeState.Withdrawn;

    /// <summary>Every UTC day the period touches, empty days included, so a chart's axis is the period itself.</summary>
    private static List<DailyCount> Daily(FiguresQuery query, IReadOnlyList<DisputeSummary> lines)
    {
        var byDay = lines.GroupBy(l => DateOnly.FromDateTime(l.OpenedAt.UtcDateTime)).ToDictionary(g => g.Key, g => g.ToList());
        var first = DateOnly.FromDateTime(query.From.UtcDateTime);
        var last = DateOnly.FromDateTime(query.To.UtcDateTime.AddTicks(-1));
        var days = new List<DailyCount>();
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            var those = byDay.GetValueOrDefault(day) ?? [];
            days.Add(new DailyCount(day, those.Count, those.Count(l => l.SettledByParties), those.Count(l => l.EscalatedAt is not null)));
        }
        return days;
    }
}
