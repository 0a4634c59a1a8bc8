namespace Mediation.Grains.Disputes;

/// <summary>What the state machine needs to know about a dispute to answer a question.</summary>
public sealed record DisputeFacts(
    DisputeState State,
    DateTimeOffset Now,
    DisputeDeadlines Deadlines,
    bool MerchantResponded,
    OpenOffer? OpenOffer,
    bool RemedyConfirmed,
    bool RemedyOverdue,
    bool MerchantWarned = false);

/// <summary>A state change the clock brings about, with the reason shown on the timeline.</summary>
public sealed record DeadlineOutcome(DisputeEventType Type, DisputeState? State, string Reason);

/// <summary>
/// The dispute's rules, in one place: which party may do what from which state, and what the clock does.
/// Plain C#, no Orleans: the grain asks, then applies.
/// </summary>
public static class DisputeStateMachine
{
    private static readonly DisputeAction[] AllActions = Enum.GetValues<DisputeAction>();

    /// <summary>Null when <paramref name="role"/> may do <paramref name="action"/> now; otherwise why not.</summary>
    public static string? Refusal(DisputeFacts facts, Role role, DisputeAction action)
    {
        if (role is not (Role.Consumer or Role.Merchant))
            return $"a {role.WireName()} cannot {Describe(action)} in a negotiation between the parties";

        var state = facts.State;
        return action switch
        {
            DisputeAction.SendMessage => state is DisputeState.AwaitingMerchant or DisputeState.Negotiating or DisputeState.Settled
                ? null
                : $"messages cannot be sent to a dispute that is {Name(state)}",

            DisputeAction.MakeOffer => state switch
            {
                DisputeState.Negotiating => null,
                DisputeState.AwaitingMerchant when role == Role.Merchant => null,
                DisputeState.AwaitingMerchant => "the consumer's claim is the open offer until the merchant answers",
                _ => $"offers cannot be made on a dispute that is {Name(state)}",
            },

            DisputeAction.AcceptOffer or DisputeAction.RejectOffer => state switch
            {
                DisputeState.AwaitingMerchant or DisputeState.Negotiating when facts.OpenOffer is null => "there is no open offer to answer",
                DisputeState.AwaitingMerchant or DisputeState.Negotiating when facts.OpenOffer.AuthorRole == role =>
                    "an offer is answered by the other party, not by the one who made it",
                DisputeState.AwaitingMerchant or DisputeState.Negotiating => null,
                _ => $"offers cannot be answered on a dispute that is {Name(state)}",
            },

            DisputeAction.Withdraw => state.IsOpen()
                ? role == Role.Consumer ? null : "only the consumer can withdraw a dispute"
                : $"a dispute that is {Name(state)} cannot be withdrawn",

            DisputeAction.Escalate => !state.IsOpen()
                ? $"a dispute that is {Name(state)} cannot be escalated"
                : CanEscalateNow(facts)
                    ? null
                    : $"escalation opens when the negotiation window ends ({facts.Deadlines.NegotiationEndsAt:u})"
                      + (facts.MerchantResponded ? "" : $" or if the merchant has not answered by {facts.Deadlines.MerchantRespondBy:u}"),

            DisputeAction.ConfirmRemedy => state != DisputeState.Settled
                ? "only a settled dispute's remedy can be confirmed"
                : role != Role.Consumer
                    ? "only the consumer confirms that the remedy was carried out"
                    : facts.RemedyConfirmed ? "the remedy is already confirmed" : null,

            _ => $"unknown action {action}",
        };
    }

    public static IReadOnlyList<DisputeAction> AllowedActions(DisputeFacts facts, Role role) =>
        AllActions.Where(a => Refusal(facts, role, a) is null).ToArray();

    /// <summary>The state an allowed action leads to, or null when the state stays.</summary>
    public static DisputeState? NextState(DisputeFacts facts, Role role, DisputeAction action) => action switch
    {
        DisputeAction.AcceptOffer => DisputeState.Settled,
        DisputeAction.Withdraw => DisputeState.Withdrawn,
        DisputeAction.Escalate => DisputeState.Escalated,
        // The merchant's first answer of any kind opens the negotiation.
        DisputeAction.SendMessage or DisputeAction.MakeOffer or DisputeAction.RejectOffer
            when facts.State == DisputeState.AwaitingMerchant && role == Role.Merchant => DisputeState.Negotiating,
        _ => null,
    };

    /// <summary>What the clock does to the dispute now, if anything.</summary>
    public static DeadlineOutcome? DueOutcome(DisputeFacts facts)
    {
        var d = facts.Deadlines;
        return facts.State switch
        {
            DisputeState.AwaitingMerchant when !facts.MerchantResponded && facts.Now >= d.MerchantRespondBy =>
                new(DisputeEventType.StateChanged, DisputeState.Escalated, "the merchant did not answer by the first-response deadline"),
            DisputeState.AwaitingMerchant when !facts.MerchantResponded && !facts.MerchantWarned && facts.Now >= d.MerchantWarningAt =>
                new(DisputeEventType.DeadlineWarning, null, $"the merchant's first answer is due by {d.MerchantRespondBy:u}"),
            DisputeState.AwaitingMerchant or DisputeState.Negotiating when facts.Now >= d.ExpiresAt =>
                new(DisputeEventType.StateChanged, DisputeState.Expired, "nobody settled or escalated the dispute before it expired"),
            DisputeState.Settled when !facts.RemedyConfirmed && !facts.RemedyOverdue && facts.Now >= d.RemedyDueBy =>
                new(DisputeEventType.RemedyOverdue, null, "the remedy was not confirmed as carried out in time"),
            _ => null,
        };
    }

    /// <summary>The next moment the clock may change something, for the reminder.</summary>
    public static (DateTimeOffset At, DeadlineKind Kind)? NextDeadline(DisputeFacts facts)
    {
        var d = facts.Deadlines;
        return facts.State switch
        {
            DisputeState.AwaitingMerchant when !facts.MerchantResponded && !facts.MerchantWarned && d.MerchantWarningAt is { } warnAt => (warnAt, DeadlineKind.MerchantWarningAt),
            DisputeState.AwaitingMerchant when !facts.MerchantResponded && d.MerchantRespondBy is { } respondBy => (respondBy, DeadlineKind.MerchantRespondBy),
            DisputeState.AwaitingMerchant or DisputeState.Negotiating when d.ExpiresAt is { } expires => (expires, DeadlineKind.ExpiresAt),
            DisputeState.Settled when !facts.RemedyConfirmed && !facts.RemedyOverdue && d.RemedyDueBy is { } due => (due, DeadlineKind.RemedyDueBy),
            _ => null,
        };
    }

    private static bool CanEscalateNow(DisputeFacts facts) =>
        facts.Now >= facts.Deadlines.NegotiationEndsAt
        || (!facts.MerchantResponded && facts.Now >= facts.Deadlines.MerchantRespondBy);

    private static string Name(DisputeState state) => state switch
    {
        DisputeState.AwaitingMerchant => "awaiting the merchant",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string Describe(DisputeAction action) => action switch
    {
        DisputeAction.SendMessage => "send a message",
        DisputeAction.MakeOffer => "make an offer",
        DisputeAction.AcceptOffer => "accept an offer",
        DisputeAction.RejectOffer => "reject an offer",
        DisputeAction.Withdraw => "withdraw",
        DisputeAction.Escalate => "escalate",
        DisputeAction.ConfirmRemedy => "confirm the remedy",
        _ => action.ToString(),
    };
}
