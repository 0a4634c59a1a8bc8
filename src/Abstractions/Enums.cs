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
}

/// <summary>Which deadline a dispute is running against; on the wire, the name of its field in <c>deadlines</c>.</summary>
public enum DeadlineKind
{
    MerchantWarningAt,
    MerchantRespondBy,
    NegotiationEndsAt,
    ExpiresAt,
    RemedyDueBy,
}

/// <summary>Roles on the wire: one spelling everywhere, the lowercase name the identity header uses.</summary>
public static class Roles
{
    /// <summary>The author of what the clock does (deadline outcomes).</summary>
    public const string System = "system";

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
    public static bool IsOpen(this DisputeState state) =>
        state is DisputeState.AwaitingMerchant or DisputeState.Negotiating;

    /// <summary>The dispute is over and stays over: a new dispute on the same order is refused.</summary>
    public static bool HasEnded(this DisputeState state) =>
        state is DisputeState.Settled or DisputeState.Withdrawn or DisputeState.Expired;
}
