namespace Mediation.Grains.Disputes;

/// <summary>The clocks of a dispute. Bound from configuration section <c>Mediation:Deadlines</c>.</summary>
public sealed class DisputeDeadlineOptions
{
    public const string Section = "Mediation:Deadlines";

    /// <summary>The merchant must answer within this; past it the dispute escalates by itself.</summary>
    public TimeSpan FirstResponse { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long before the first-response deadline the merchant is warned.</summary>
    public TimeSpan FirstResponseWarning { get; set; } = TimeSpan.FromHours(4);

    /// <summary>
    /// A dispute tells its parties' consoles at most once per this window: the first change at once, the later ones
    /// folded into one line (the latest state) when the window closes. The lists themselves are never behind.
    /// </summary>
    public TimeSpan ConsoleNewsWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a typing indicator lasts unless renewed.</summary>
    public TimeSpan TypingIndicator { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The parties negotiate alone this long before either may escalate.</summary>
    public TimeSpan NegotiationWindow { get; set; } = TimeSpan.FromHours(72);

    /// <summary>An open dispute nobody settles or escalates expires this long after it opened.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromDays(14);

    /// <summary>A settled remedy not confirmed as carried out within this is flagged.</summary>
    public TimeSpan RemedyConfirmation { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How soon a deadline reminder fires again after its due time if that tick was missed (a silo died). Orleans'
    /// minimum is one minute. The reminder's first tick is the deadline itself, so this costs nothing before it.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
