namespace Mediation;

/// <summary>
/// What the regulator asks for: the disputes opened in [<see cref="From"/>, <see cref="To"/>), in one city or all,
/// for one merchant or all.
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.FiguresQuery")]
public sealed record FiguresQuery(
    [property: Id(0)] string? City,
    [property: Id(1)] DateTimeOffset From,
    [property: Id(2)] DateTimeOffset To,
    [property: Id(3)] string? MerchantId)
{
    /// <summary>The longest period one question may cover.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(366);
}

/// <summary>
/// The figures of a set of disputes (a cohort: those opened in the period, followed to wherever they are now).
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.FigureTotals")]
public sealed record FigureTotals(
    [property: Id(0)] int Opened,
    /// <summary>Settled by the consumer and the merchant themselves, before any mediator.</summary>
    [property: Id(1)] int SettledByParties,
    [property: Id(2)] int Escalated,
    [property: Id(3)] int Ruled,
    /// <summary>Disputes whose negotiation between the parties is over: settled or withdrawn, escalated, or expired.</summary>
    [property: Id(4)] int NegotiationOver,
    /// <summary>Settled by the parties or withdrawn, over <see cref="NegotiationOver"/> (0 to 1); null before any is over. Hangzhou's pilot: 0.85.</summary>
    [property: Id(5)] double? ResolutionRateByParties,
    [property: Id(6)] TimeSpan? MedianFirstResponse,
    /// <summary>The merchant answered after its first-response deadline, or never did.</summary>
    [property: Id(7)] int MissedFirstResponses,
    /// <summary>The remedy was not carried out in time (the compensation fund paid), or was flagged overdue.</summary>
    [property: Id(8)] int RemediesNotCarriedOut,
    /// <summary><see cref="MissedFirstResponses"/> plus <see cref="RemediesNotCarriedOut"/>.</summary>
    [property: Id(9)] int DeadlineBreaches,
    [property: Id(10)] decimal CompensationPaid,
    [property: Id(11)] decimal CompensationRecovered,
    /// <summary>Mean of the ratings (1 to 5) both parties gave the process; null before any.</summary>
    [property: Id(12)] double? AverageRating);

[GenerateSerializer, Immutable, Alias("Mediation.CategoryCount")]
public sealed record CategoryCount([property: Id(0)] DisputeCategory Category, [property: Id(1)] int Disputes);

/// <summary>One UTC day of the period.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DailyCount")]
public sealed record DailyCount(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] int Opened,
    [property: Id(2)] int SettledByParties,
    [property: Id(3)] int Escalated);

[GenerateSerializer, Immutable, Alias("Mediation.CityFigures")]
public sealed record CityFigures([property: Id(0)] string City, [property: Id(1)] FigureTotals Totals);

/// <summary>A merchant's figures in the period, with its standing (computed over its whole record).</summary>
[GenerateSerializer, Immutable, Alias("Mediation.MerchantFigures")]
public sealed record MerchantFigures(
    [property: Id(0)] string MerchantId,
    [property: Id(1)] string? City,
    [property: Id(2)] FigureTotals Totals,
    [property: Id(3)] int Score,
    /// <summary>Standing below the configured threshold: a candidate for sanctions.</summary>
    [property: Id(4)] bool Flagged);

/// <summary>The regulator's and operator's figures for a period, computed from the disputes' summary lines.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.RegulatorFigures")]
public sealed record RegulatorFigures(
    [property: Id(0)] FiguresQuery Query,
    [property: Id(1)] DateTimeOffset ComputedAt,
    [property: Id(2)] FigureTotals Totals,
    /// <summary>Most frequent first.</summary>
    [property: Id(3)] IReadOnlyList<CategoryCount> TopCategories,
    [property: Id(4)] IReadOnlyList<CityFigures> Cities,
    /// <summary>Flagged first, then by disputes opened.</summary>
    [property: Id(5)] IReadOnlyList<MerchantFigures> Merchants,
    [property: Id(6)] IReadOnlyList<DailyCount> Daily)
{
    /// <summary>The merchants whose standing is below the threshold.</summary>
    [Id(7)] public IReadOnlyList<string> FlaggedMerchants { get; init; } = Array.Empty<string>();
}

/// <summary>Figures over the event log's projection, for the regulator and the platform's ops. Stateless.</summary>
[Alias("Mediation.IFiguresGrain")]
public interface IFiguresGrain : IGrainWithIntegerKey
{
    [Alias("Get")]
    Task<RegulatorFigures> GetAsync(Caller caller, FiguresQuery query);
}
