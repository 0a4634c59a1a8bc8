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

    /// <summary>
    /// How soon a deadline reminder fires again after its due time if that tick was missed (a silo died). Orleans'
    /// minimum is one minute. The reminder's first tick is the deadline itself, so this costs nothing before it.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
