namespace Mediation.Grains.Disputes;

/// <summary>
/// The technical clocks of a dispute, bound from <c>Mediation:Deadlines</c>. The deadlines a party runs against are
/// the city's (<see cref="CityOptions.TermsOf"/>), fixed in the dispute's record when it opens.
/// </summary>
public sealed class DisputeDeadlineOptions
{
    public const string Section = "Mediation:Deadlines";

    /// <summary>
    /// A dispute tells its parties' consoles at most once per this window: the first change at once, the later ones
    /// folded into one line (the latest state) when the window closes. The lists themselves are never behind.
    /// </summary>
    public TimeSpan ConsoleNewsWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a typing indicator lasts unless renewed.</summary>
    public TimeSpan TypingIndicator { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How soon a deadline reminder fires again after its due time if that tick was missed (a silo died). Orleans'
    /// minimum is one minute. The reminder's first tick is the deadline itself, so this costs nothing before it.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
