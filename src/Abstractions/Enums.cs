namespace Mediation;

/// <summary>What the consumer complains about; the classification regulators report by.</summary>
public enum DisputeCategory
{
    Quality,
    Defect,
    Counterfeit,
    DamagedInTransport,
    NotAsDescribed,
    NotDelivered,
    PriceOrFee,
    Service,
}

/// <summary>What would put things right. Proposed and accepted, never imposed without a ruling.</summary>
public enum Remedy
{
    FullRefund,
    PartialRefund,
    ReturnAndRefund,
    Exchange,
    Repair,
    Compensation,
    ReturnShippingCompensation,
}

public enum DisputeState
{
    Opened,
    AwaitingMerchant,
    Negotiating,
    Settled,
    Escalated,
    Withdrawn,
    Expired,
    /// <summary>A mediator is assigned and works with both parties.</summary>
    InMediation,
    /// <summary>The mediator ruled; the remedy runs next.</summary>
    Ruled,
    /// <summary>The goods go back first: the consumer ships them.</summary>
    AwaitingReturn,
    /// <summary>The return is on its way; the merchant acknowledges its receipt.</summary>
    ReturnShipped,
    /// <summary>An instruction is with the payment platform.</summary>
    Enforcing,
    /// <summary>The remedy was carried out and confirmed.</summary>
    Closed,
    /// <summary>The merchant did not carry out the remedy; the compensation fund paid the consumer.</summary>
    Compensated,
}

/// <summary>Who is calling, as the edge authenticated them.</summary>
public enum Role
{
    Consumer,
    Merchant,
    Mediator,
    Regulator,
    Ops,
}

/// <summary>What a party may ask the dispute to do; the state machine answers which are allowed.</summary>
public enum DisputeAction
{
    SendMessage,
    MakeOffer,
    AcceptOffer,
    RejectOffer,
    Withdraw,
    Escalate,
    ConfirmRemedy,
    AddEvidence,
    RequestEvidence,
    Propose,
    AcceptProposal,
    RejectProposal,
    Rule,
    ShipReturn,
    AcknowledgeReturn,
    GiveFeedback,
}

public enum DisputeEventType
{
    Opened,
    Message,
    Offer,
    OfferAccepted,
    OfferRejected,
    StateChanged,
    RemedyConfirmed,
    RemedyOverdue,
    /// <summary>A deadline is near (the merchant's first answer is due soon).</summary>
    DeadlineWarning,
    MediatorAssigned,
    EvidenceAdded,
    EvidenceRequested,
    EvidenceSealed,
    /// <summary>The mediator's proposed settlement; each party accepts or rejects it.</summary>
    Proposal,
    ProposalAccepted,
    ProposalRejected,
    /// <summary>The mediation window ran out: the mediator rules next.</summary>
    MediationWindowEnded,
    Ruled,
    /// <summary>A remedy turned into an instruction for the payment platform.</summary>
    InstructionIssued,
    InstructionDone,
    InstructionFailed,
    ReturnShipped,
    ReturnReceived,
    Compensated,
    /// <summary>A compensated claim was recovered from the merchant.</summary>
    ClaimRecovered,
    FeedbackGiven,
    /// <summary>The partner platform a forwarded complaint went to answered (<c>POST /api/partners/{platform}/answers</c>).</summary>
    PartnerAnswered,
}

/// <summary>Where a partner platform says a forwarded complaint stands.</summary>
public enum PartnerAnswerStatus
{
    /// <summary>Taken into its after-sales system.</summary>
    Received,
    /// <summary>Being handled with the seller.</summary>
    Handling,
    /// <summary>Resolved on the platform (refund, return, exchange...).</summary>
    Resolved,
    /// <summary>The platform declines it, with its reasons.</summary>
    Rejected,
}

/// <summary>Who the mediator holds responsible in a ruling.</summary>
public enum Responsibility
{
    Merchant,
    Logistics,
    Consumer,
    Shared,
}

/// <summary>What the merchant found in a returned parcel.</summary>
public enum GoodsCondition
{
    AsExpected,
    Damaged,
    Empty,
    Different,
    MissingItems,
}

/// <summary>What a piece of evidence is, decided by its content (magic bytes), never by its name.</summary>
public enum EvidenceKind
{
    Photo,
    Video,
    Pdf,
    Text,
}

/// <summary>What the payment platform reports about an instruction.</summary>
public enum InstructionOutcome
{
    Done,
    Failed,
}

/// <summary>Which deadline a dispute is running against; on the wire, the name of its field in <c>deadlines</c>.</summary>
public enum DeadlineKind
{
    MerchantWarningAt,
    MerchantRespondBy,
    NegotiationEndsAt,
    ExpiresAt,
    RemedyDueBy,
    /// <summary>Evidence can be added until then; then it is sealed.</summary>
    EvidenceDueBy,
    /// <summary>The mediator's window to bring the parties to an agreement; then a ruling.</summary>
    MediationEndsAt,
    /// <summary>The merchant acknowledges a returned parcel by then; silence counts as received as expected.</summary>
    ReturnReceiptDueBy,
    /// <summary>The instruction must be carried out by then, or the compensation fund pays.</summary>
    InstructionDueBy,
}

/// <summary>Roles on the wire: one spelling everywhere, the lowercase name the identity header uses.</summary>
public static class Roles
{
    /// <summary>The author of what the clock does (deadline outcomes).</summary>
    public const string System = "system";

    /// <summary>The author role of a partner platform's answer (its author id is <c>partner:{platform}</c>).</summary>
    public const string Partner = "partner";

    public static string WireName(this Role role) => role switch
    {
        Role.Consumer => "consumer",
        Role.Merchant => "merchant",
        Role.Mediator => "mediator",
        Role.Regulator => "regulator",
        Role.Ops => "ops",
        _ => role.ToString().ToLowerInvariant(),
    };
}

public static class DisputeStates
{
    /// <summary>The parties negotiate alone.</summary>
    public static bool IsOpen(this DisputeState state) =>
        state is DisputeState.AwaitingMerchant or DisputeState.Negotiating;

    /// <summary>A mediator is involved: waiting for one, or working the case.</summary>
    public static bool InMediation(this DisputeState state) =>
        state is DisputeState.Escalated or DisputeState.InMediation;

    /// <summary>An outcome was reached and its remedy is being carried out.</summary>
    public static bool IsEnforcing(this DisputeState state) =>
        state is DisputeState.Settled or DisputeState.Ruled or DisputeState.AwaitingReturn or DisputeState.ReturnShipped or DisputeState.Enforcing;

    /// <summary>Nothing more happens on the dispute (but feedback).</summary>
    public static bool IsClosed(this DisputeState state) =>
        state is DisputeState.Withdrawn or DisputeState.Expired or DisputeState.Closed or DisputeState.Compensated;

    /// <summary>The dispute reached an outcome or was abandoned: a new dispute on the same order is refused.</summary>
    public static bool HasEnded(this DisputeState state) =>
        state.IsEnforcing() || state.IsClosed();
}
