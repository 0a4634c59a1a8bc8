namespace Mediation;

/// <summary>
/// Cities and what each one sets for its disputes, bound once at <c>Mediation</c>: the defaults are
/// <c>Mediation:Deadlines</c> and <c>Mediation:ReturnPolicy</c>, and a city overrides any of them under
/// <c>Mediation:Cities:{city}:Deadlines</c> / <c>…:ReturnPolicy</c>, beside its mediators
/// (<c>Mediation:Cities:{city}:Mediators:0 = m-1</c>). A new city is configuration, not code.
/// </summary>
public sealed class CityOptions
{
    /// <summary>Bound at this section, so that its <c>Cities</c> are <c>Mediation:Cities</c>.</summary>
    public const string Section = "Mediation";

    public Dictionary<string, CitySettings> Cities { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The deadlines of a city that sets none of its own (<c>Mediation:Deadlines</c>).</summary>
    public DeadlineSettings Deadlines { get; set; } = new();

    /// <summary>The standard return policy of a city that sets none (<c>Mediation:ReturnPolicy</c>).</summary>
    public ReturnPolicySettings ReturnPolicy { get; set; } = new();

    /// <summary>
    /// The configured city whose desk takes the escalated cases of cities that have no configuration
    /// (<c>Mediation:FallbackDesk</c>); unset, such a case waits at its own city's desk until a pool is configured.
    /// </summary>
    public string? FallbackDesk { get; set; }

    /// <summary>The desk an escalated case of <paramref name="city"/> queues at: its own, else the fallback desk.</summary>
    public string DeskOf(string city) =>
        Configured(city) ?? (FallbackDesk is { Length: > 0 } fallback && Configured(fallback) is { } desk ? desk : city);

    /// <summary>The city whose pool holds <paramref name="mediatorId"/>, or null.</summary>
    public string? CityOf(string mediatorId) =>
        Cities.FirstOrDefault(c => c.Value.Mediators.Contains(mediatorId, StringComparer.Ordinal)).Key;

    /// <summary>The configured spelling of <paramref name="city"/> (keys are case-insensitive), or null when it is not configured.</summary>
    public string? Configured(string city) =>
        Cities.Keys.FirstOrDefault(c => string.Equals(c, city, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// What <paramref name="city"/> sets now: its own values over the defaults. A city that is not configured gets the
    /// defaults (the national rules), so a dispute from anywhere can be opened.
    /// </summary>
    public CityTerms TermsOf(string city)
    {
        var name = Configured(city);
        var own = name is null ? null : Cities[name];
        var d = Deadlines;
        var o = own?.Deadlines ?? new CityDeadlineSettings();
        var clocks = new DisputeClocks(
            o.FirstResponse ?? d.FirstResponse,
            o.FirstResponseWarning ?? d.FirstResponseWarning,
            o.NegotiationWindow ?? d.NegotiationWindow,
            o.Expiry ?? d.Expiry,
            o.RemedyConfirmation ?? d.RemedyConfirmation,
            o.EvidenceWindow ?? d.EvidenceWindow,
            o.MediationWindow ?? d.MediationWindow,
            o.ReturnReceipt ?? d.ReturnReceipt,
            o.InstructionWindow ?? d.InstructionWindow);
        var policy = own?.ReturnPolicy is { } p ? p.ToPolicy(ReturnPolicy) : ReturnPolicy.ToPolicy(null);
        return new CityTerms(name ?? city, name is not null, clocks, policy);
    }
}

public sealed class CitySettings
{
    public List<string> Mediators { get; set; } = [];

    /// <summary>Only the deadlines this city changes; the others are <c>Mediation:Deadlines</c>.</summary>
    public CityDeadlineSettings? Deadlines { get; set; }

    /// <summary>This city's standard policy; unset parts are <c>Mediation:ReturnPolicy</c>'s.</summary>
    public ReturnPolicySettings? ReturnPolicy { get; set; }
}

/// <summary>The deadlines of a dispute, with the national defaults (<c>Mediation:Deadlines</c>).</summary>
public sealed class DeadlineSettings
{
    /// <summary>The merchant must answer within this; past it the dispute escalates by itself.</summary>
    public TimeSpan FirstResponse { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long before the first-response deadline the merchant is warned.</summary>
    public TimeSpan FirstResponseWarning { get; set; } = TimeSpan.FromHours(4);

    /// <summary>The parties negotiate alone this long before either may escalate.</summary>
    public TimeSpan NegotiationWindow { get; set; } = TimeSpan.FromHours(72);

    /// <summary>An open dispute nobody settles or escalates expires this long after it opened.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Once the platform reports the remedy done, the consumer confirms it within this, or it is confirmed automatically.</summary>
    public TimeSpan RemedyConfirmation { get; set; } = TimeSpan.FromDays(7);

    /// <summary>From a mediator's assignment, evidence can be added this long (a request may extend it); then it is sealed.</summary>
    public TimeSpan EvidenceWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>The mediator's window to bring the parties to an agreement; then the mediator rules.</summary>
    public TimeSpan MediationWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The merchant acknowledges a returned parcel within this; silence counts as received as expected.</summary>
    public TimeSpan ReturnReceipt { get; set; } = TimeSpan.FromDays(7);

    /// <summary>An instruction not carried out within this is paid by the compensation fund.</summary>
    public TimeSpan InstructionWindow { get; set; } = TimeSpan.FromDays(3);
}

/// <summary>A city's changes to <see cref="DeadlineSettings"/>: what is unset stays the default.</summary>
public sealed class CityDeadlineSettings
{
    public TimeSpan? FirstResponse { get; set; }
    public TimeSpan? FirstResponseWarning { get; set; }
    public TimeSpan? NegotiationWindow { get; set; }
    public TimeSpan? Expiry { get; set; }
    public TimeSpan? RemedyConfirmation { get; set; }
    public TimeSpan? EvidenceWindow { get; set; }
    public TimeSpan? MediationWindow { get; set; }
    public TimeSpan? ReturnReceipt { get; set; }
    public TimeSpan? InstructionWindow { get; set; }
}

/// <summary>
/// A standard return policy as configured. <see cref="Offers"/> starts empty (the binder would append to a filled
/// list): an empty list means the defaults' offers, or the built-in ones.
/// </summary>
public sealed class ReturnPolicySettings
{
    /// <summary>Days after delivery in which goods go back without a reason (China's "7 days, no reason" rule).</summary>
    public int? NoReasonReturnDays { get; set; }

    public List<StandardOfferSettings> Offers { get; set; } = [];

    public ReturnPolicy ToPolicy(ReturnPolicySettings? defaults)
    {
        var offers = Offers.Count > 0 ? Offers : defaults?.Offers is { Count: > 0 } d ? d : null;
        return new ReturnPolicy(
            NoReasonReturnDays ?? defaults?.NoReasonReturnDays ?? 7,
            offers?.Select(o => new StandardOffer(o.Remedy, o.Share)).ToArray() ?? Mediation.ReturnPolicy.BuiltIn);
    }
}

public sealed class StandardOfferSettings
{
    public Remedy Remedy { get; set; }

    /// <summary>The share of the consumer's claim offered, 0 to 1 (0.2 is 20 %).</summary>
    public decimal Share { get; set; } = 1m;
}

/// <summary>What a city sets for its disputes: deadlines and the standard return policy. A dispute keeps the terms it opened under.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.CityTerms")]
public sealed record CityTerms(
    [property: Id(0)] string City,
    /// <summary>False: the city is not configured and has the defaults.</summary>
    [property: Id(1)] bool Configured,
    [property: Id(2)] DisputeClocks Deadlines,
    [property: Id(3)] ReturnPolicy ReturnPolicy);

/// <summary>The durations a dispute's deadlines are set from.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeClocks")]
public sealed record DisputeClocks(
    [property: Id(0)] TimeSpan FirstResponse,
    [property: Id(1)] TimeSpan FirstResponseWarning,
    [property: Id(2)] TimeSpan NegotiationWindow,
    [property: Id(3)] TimeSpan Expiry,
    [property: Id(4)] TimeSpan RemedyConfirmation,
    [property: Id(5)] TimeSpan EvidenceWindow,
    [property: Id(6)] TimeSpan MediationWindow,
    [property: Id(7)] TimeSpan ReturnReceipt,
    [property: Id(8)] TimeSpan InstructionWindow);

/// <summary>A city's standard return policy: the offers a merchant makes in one click, as shares of the claim.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.ReturnPolicy")]
public sealed record ReturnPolicy(
    [property: Id(0)] int NoReasonReturnDays,
    [property: Id(1)] StandardOffer[] Offers)
{
    /// <summary>Full refund, return and refund, partial refund of 20 %: the Hangzhou pilot's.</summary>
    public static readonly StandardOffer[] BuiltIn =
        [new(Remedy.FullRefund, 1m), new(Remedy.ReturnAndRefund, 1m), new(Remedy.PartialRefund, 0.2m)];
}

[GenerateSerializer, Immutable, Alias("Mediation.StandardOffer")]
public sealed record StandardOffer([property: Id(0)] Remedy Remedy, [property: Id(1)] decimal Share);
