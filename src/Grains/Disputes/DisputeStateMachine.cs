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
    bool MerchantWarned = false)
{
    public string? MediatorId { get; init; }
    public bool EvidenceSealed { get; init; }
    public OpenProposal? Proposal { get; init; }
    public bool MediationWindowEnded { get; init; }
    public InstructionOutcome? InstructionOutcome { get; init; }
    public bool ConsumerRated { get; init; }
    public bool MerchantRated { get; init; }
}

/// <summary>A change the clock brings about, with the reason shown on the timeline.</summary>
public sealed record DeadlineOutcome(DisputeEventType Type, DisputeState? State, string Reason);

/// <summary>
/// The dispute's rules, in one place: which party may do what from which state, and what the clock does.
/// Plain C#, no Orleans: the grain asks, then applies.
/// <code>
/// AwaitingMerchant ─merchant answers─▶ Negotiating ─accept─▶ Settled
///   │ (24 h silence)                     │ (window over, escalate)
///   └──────────────▶ Escalated ◀─────────┘
/// Escalated ─desk assigns─▶ InMediation ─both accept proposal─▶ Settled
///                              └─mediator rules─▶ Ruled
/// Settled | Ruled ─return first─▶ AwaitingReturn ─consumer ships─▶ ReturnShipped ─received as expected (or silence)─▶ Enforcing
///                 └─otherwise────▶ Enforcing                         └─damaged, empty, different, missing─▶ InMediation
/// Enforcing ─done, then confirmed (or its window passes)─▶ Closed
///           └─failed, or not done in time─▶ Compensated (the fund paid)
/// AwaitingMerchant | Negotiating ─expiry─▶ Expired;  open or in mediation ─consumer─▶ Withdrawn
/// </code>
/// </summary>
public static class DisputeStateMachine
{
    private static readonly DisputeAction[] AllActions = Enum.GetValues<DisputeAction>();

    private static readonly HashSet<DisputeAction> MediatorActions =
        [DisputeAction.SendMessage, DisputeAction.AddEvidence, DisputeAction.RequestEvidence, DisputeAction.Propose, DisputeAction.Rule];

    private static readonly HashSet<DisputeAction> MediatorOnly = [DisputeAction.RequestEvidence, DisputeAction.Propose, DisputeAction.Rule];

    /// <summary>
    /// Why <paramref name="role"/> never takes <paramref name="action"/>, whatever the dispute's state (the grain
    /// answers it 403), or null when the role may, at the right moment.
    /// </summary>
    public static string? RoleRefusal(Role role, DisputeAction action)
    {
        if (role is not (Role.Consumer or Role.Merchant or Role.Mediator))
            return $"a {role.WireName()} cannot {Describe(action)} on a dispute";
        if (role == Role.Mediator && !MediatorActions.Contains(action))
            return $"a mediator cannot {Describe(action)}";
        if (role != Role.Mediator && MediatorOnly.Contains(action))
            return $"only the assigned mediator can {Describe(action)}";
        return (action, role) switch
        {
            (DisputeAction.Withdraw, not Role.Consumer) => "only the consumer can withdraw a dispute",
            (DisputeAction.ConfirmRemedy, not Role.Consumer) => "only the consumer confirms that the remedy was received",
            (DisputeAction.ShipReturn, not Role.Consumer) => "only the consumer records the return shipment",
            (DisputeAction.AcknowledgeReturn, not Role.Merchant) => "only the merchant acknowledges the returned goods",
            _ => null,
        };
    }

    /// <summary>Null when <paramref name="role"/> may do <paramref name="action"/> now; otherwise why not.</summary>
    public static string? Refusal(DisputeFacts facts, Role role, DisputeAction action)
    {
        if (role is not (Role.Consumer or Role.Merchant or Role.Mediator))
            return $"a {role.WireName()} cannot {Describe(action)} on a dispute";
        if (role == Role.Mediator && !MediatorActions.Contains(action))
            return $"a mediator cannot {Describe(action)}";
        if (role == Role.Mediator && facts.MediatorId is null)
            return "no mediator is assigned to this dispute";
        if (role != Role.Mediator && MediatorOnly.Contains(action))
            return $"only the assigned mediator can {Describe(action)}";

        var state = facts.State;
        return action switch
        {
            DisputeAction.SendMessage => state.IsClosed()
                ? $"messages cannot be sent to a dispute that is {Name(state)}"
                : null,

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

            DisputeAction.Withdraw => state.IsOpen() || state.InMediation()
                ? role == Role.Consumer ? null : "only the consumer can withdraw a dispute"
                : $"a dispute that is {Name(state)} cannot be withdrawn",

            DisputeAction.Escalate => !state.IsOpen()
                ? $"a dispute that is {Name(state)} cannot be escalated"
                : CanEscalateNow(facts)
                    ? null
                    : $"escalation opens when the negotiation window ends ({facts.Deadlines.NegotiationEndsAt:u})"
                      + (facts.MerchantResponded ? "" : $" or if the merchant has not answered by {facts.Deadlines.MerchantRespondBy:u}"),

            DisputeAction.ConfirmRemedy => state != DisputeState.Enforcing
                ? $"the remedy of a dispute that is {Name(state)} cannot be confirmed"
                : role != Role.Consumer
                    ? "only the consumer confirms that the remedy was received"
                    : facts.InstructionOutcome != InstructionOutcome.Done
                        ? "the remedy can be confirmed once the payment platform reports it carried out"
                        : facts.RemedyConfirmed ? "the remedy is already confirmed" : null,

            DisputeAction.AddEvidence => facts.EvidenceSealed
                ? "the evidence is sealed: nothing can be added after the evidence deadline"
                : state is DisputeState.AwaitingMerchant or DisputeState.Negotiating or DisputeState.Escalated or DisputeState.InMediation
                    ? null
                    : $"evidence cannot be added to a dispute that is {Name(state)}",

            DisputeAction.RequestEvidence => state != DisputeState.InMediation
                ? $"evidence cannot be requested on a dispute that is {Name(state)}"
                : facts.EvidenceSealed ? "the evidence is sealed: no more can be requested" : null,

            DisputeAction.Propose => state != DisputeState.InMediation
                ? $"settlements cannot be proposed on a dispute that is {Name(state)}"
                : facts.MediationWindowEnded ? "the mediation window has ended: the mediator rules now" : null,

            DisputeAction.AcceptProposal or DisputeAction.RejectProposal => state != DisputeState.InMediation
                ? $"proposals cannot be answered on a dispute that is {Name(state)}"
                : facts.Proposal is null
                    ? "there is no open proposal to answer"
                    : facts.Proposal.AcceptedBy(role) ? "you have already accepted the open proposal" : null,

            DisputeAction.Rule => state != DisputeState.InMediation
                ? $"a dispute that is {Name(state)} cannot be ruled on"
                : facts.Proposal is { } open
                    ? $"the parties have not yet answered the open proposal (seq {open.Seq}); rule once it is rejected or the window ends"
                    : null,

            DisputeAction.ShipReturn => state != DisputeState.AwaitingReturn
                ? $"a return shipment cannot be recorded on a dispute that is {Name(state)}"
                : role != Role.Consumer ? "only the consumer records the return shipment" : null,

            DisputeAction.AcknowledgeReturn => state != DisputeState.ReturnShipped
                ? $"a return cannot be acknowledged on a dispute that is {Name(state)}"
                : role != Role.Merchant ? "only the merchant acknowledges the returned goods" : null,

            DisputeAction.GiveFeedback => !state.IsClosed()
                ? "feedback is given once the dispute is closed"
                : (role == Role.Consumer ? facts.ConsumerRated : facts.MerchantRated)
                    ? "you have already rated this dispute"
                    : null,

            _ => $"unknown action {action}",
        };
    }

    public static IReadOnlyList<DisputeAction> AllowedActions(DisputeFacts facts, Role role) =>
        AllActions.Where(a => Refusal(facts, role, a) is null).ToArray();

    /// <summary>The state an allowed action leads to by itself, or null when the state stays (or depends on more than the action).</summary>
    public static DisputeState? NextState(DisputeFacts facts, Role role, DisputeAction action) => action switch
    {
        DisputeAction.AcceptOffer => DisputeState.Settled,
        DisputeAction.Withdraw => DisputeState.Withdrawn,
        DisputeAction.Escalate => DisputeState.Escalated,
        // The merchant's first answer of any kind opens the negotiation.
        DisputeAction.SendMessage or DisputeAction.MakeOffer or DisputeAction.RejectOffer
            when facts.State == DisputeState.AwaitingMerchant && role == Role.Merchant => DisputeState.Negotiating,
        // Both parties accepting the mediator's proposal settles the dispute.
        DisputeAction.AcceptProposal when facts.Proposal is { } p && p.AcceptedBy(Other(role)) => DisputeState.Settled,
        DisputeAction.Rule => DisputeState.Ruled,
        DisputeAction.ShipReturn => DisputeState.ReturnShipped,
        DisputeAction.ConfirmRemedy => DisputeState.Closed,
        _ => null,
    };

    /// <summary>
    /// Where an outcome (settlement, accepted proposal, ruling) goes next: the goods back first, straight to the
    /// payment platform, or closed when nothing is owed.
    /// </summary>
    public static DisputeState AfterOutcome(Remedy remedy, decimal amount, bool returnFirst) =>
        returnFirst ? DisputeState.AwaitingReturn
        : remedy.PaysMoney() && amount == 0 ? DisputeState.Closed
        : DisputeState.Enforcing;

    /// <summary>Whether the remedy sends the goods back before anything else (unless a mediator decided otherwise).</summary>
    public static bool ReturnsGoods(Remedy remedy) => remedy is Remedy.ReturnAndRefund or Remedy.Exchange;

    /// <summary>
    /// What the merchant's acknowledgement of a return leads to: goods as expected go on to the payment platform;
    /// anything else goes back to a mediator (the assigned one, or the city's queue if the parties settled alone).
    /// </summary>
    public static DisputeState AfterReturn(GoodsCondition condition, bool hasMediator) =>
        condition == GoodsCondition.AsExpected ? DisputeState.Enforcing
        : hasMediator ? DisputeState.InMediation
        : DisputeState.Escalated;

    /// <summary>What the clock does to the dispute now, if anything.</summary>
    public static DeadlineOutcome? DueOutcome(DisputeFacts facts)
    {
        var d = facts.Deadlines;
        var now = facts.Now;
        return facts.State switch
        {
            DisputeState.AwaitingMerchant when !facts.MerchantResponded && now >= d.MerchantRespondBy =>
                new(DisputeEventType.StateChanged, DisputeState.Escalated, "the merchant did not answer by the first-response deadline"),
            DisputeState.AwaitingMerchant when !facts.MerchantResponded && !facts.MerchantWarned && now >= d.MerchantWarningAt =>
                new(DisputeEventType.DeadlineWarning, null, $"the merchant's first answer is due by {d.MerchantRespondBy:u}"),
            DisputeState.AwaitingMerchant or DisputeState.Negotiating when now >= d.ExpiresAt =>
                new(DisputeEventType.StateChanged, DisputeState.Expired, "nobody settled or escalated the dispute before it expired"),
            DisputeState.InMediation when !facts.EvidenceSealed && now >= d.EvidenceDueBy =>
                new(DisputeEventType.EvidenceSealed, null, "the evidence deadline passed: the evidence is sealed"),
            DisputeState.InMediation when !facts.MediationWindowEnded && now >= d.MediationEndsAt =>
                new(DisputeEventType.MediationWindowEnded, null, "the mediation window ended without an agreement: the mediator rules"),
            DisputeState.ReturnShipped when now >= d.ReturnReceiptDueBy =>
                new(DisputeEventType.ReturnReceived, null, "the merchant did not acknowledge the return in time: it counts as received as expected"),
            DisputeState.Enforcing when facts.InstructionOutcome is null && now >= d.InstructionDueBy =>
                new(DisputeEventType.Compensated, DisputeState.Compensated, "the instruction was not carried out in time: the compensation fund paid the consumer"),
            DisputeState.Enforcing when facts.InstructionOutcome == InstructionOutcome.Done && !facts.RemedyConfirmed && now >= d.RemedyDueBy =>
                new(DisputeEventType.StateChanged, DisputeState.Closed, "the remedy was confirmed automatically when its confirmation window ended"),
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
            DisputeState.InMediation when !facts.EvidenceSealed && d.EvidenceDueBy is { } sealAt
                && (facts.MediationWindowEnded || d.MediationEndsAt is null || sealAt <= d.MediationEndsAt) => (sealAt, DeadlineKind.EvidenceDueBy),
            DisputeState.InMediation when !facts.MediationWindowEnded && d.MediationEndsAt is { } ends => (ends, DeadlineKind.MediationEndsAt),
            DisputeState.InMediation when !facts.EvidenceSealed && d.EvidenceDueBy is { } sealLater => (sealLater, DeadlineKind.EvidenceDueBy),
            DisputeState.ReturnShipped when d.ReturnReceiptDueBy is { } receipt => (receipt, DeadlineKind.ReturnReceiptDueBy),
            DisputeState.Enforcing when facts.InstructionOutcome is null && d.InstructionDueBy is { } due => (due, DeadlineKind.InstructionDueBy),
            DisputeState.Enforcing when facts.InstructionOutcome == InstructionOutcome.Done && !facts.RemedyConfirmed && d.RemedyDueBy is { } confirm => (confirm, DeadlineKind.RemedyDueBy),
            _ => null,
        };
    }

    public static Role Other(Role party) => party == Role.Consumer ? Role.Merchant : Role.Consumer;

    private static bool CanEscalateNow(DisputeFacts facts) =>
        facts.Now >= facts.Deadlines.NegotiationEndsAt
        || (!facts.MerchantResponded && facts.Now >= facts.Deadlines.MerchantRespondBy);

    public static string Name(DisputeState state) => state switch
    {
        DisputeState.AwaitingMerchant => "awaiting the merchant",
        DisputeState.InMediation => "in mediation",
        DisputeState.AwaitingReturn => "awaiting the return",
        DisputeState.ReturnShipped => "waiting for the returned goods",
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
        DisputeAction.AddEvidence => "add evidence",
        DisputeAction.RequestEvidence => "request evidence",
        DisputeAction.Propose => "propose a settlement",
        DisputeAction.AcceptProposal => "accept a proposal",
        DisputeAction.RejectProposal => "reject a proposal",
        DisputeAction.Rule => "rule",
        DisputeAction.ShipReturn => "record a return shipment",
        DisputeAction.AcknowledgeReturn => "acknowledge a return",
        DisputeAction.GiveFeedback => "rate the process",
        _ => action.ToString(),
    };
}
