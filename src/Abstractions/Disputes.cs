namespace Mediation;

/// <summary>
/// One entry of a dispute's timeline. Flat on purpose: the JSON a client sees is
/// <c>disputeId, seq, type, authorId, at</c> plus the fields its type uses.
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeEvent")]
public sealed record DisputeEvent(
    [property: Id(0)] string DisputeId,
    [property: Id(1)] long Seq,
    [property: Id(2)] DisputeEventType Type,
    [property: Id(3)] string AuthorId,
    [property: Id(4)] DateTimeOffset At)
{
    /// <summary>Message text, or the consumer's description on <c>Opened</c>.</summary>
    [Id(5)] public string? Text { get; init; }
    [Id(6)] public Remedy? Remedy { get; init; }
    [Id(7)] public decimal? Amount { get; init; }
    /// <summary>The state entered, on <c>StateChanged</c>.</summary>
    [Id(8)] public DisputeState? State { get; init; }
    /// <summary>The offer answered, on <c>OfferAccepted</c> / <c>OfferRejected</c>.</summary>
    [Id(9)] public long? OfferSeq { get; init; }
    /// <summary>Why a state changed (e.g. <c>merchant did not answer within 24h</c>).</summary>
    [Id(10)] public string? Reason { get; init; }
    [Id(11)] public DisputeCategory? Category { get; init; }
    [Id(12)] public string? OrderId { get; init; }
    [Id(13)] public string? AuthorRole { get; init; }

    // Mediation, ruling and enforcement: each event type fills the fields it uses.
    /// <summary>On <c>MediatorAssigned</c>: who took the case.</summary>
    [Id(14)] public string? MediatorId { get; init; }
    /// <summary>On <c>EvidenceAdded</c>: the evidence record (id, kind, size, sha256, uploader).</summary>
    [Id(15)] public EvidenceInfo? Evidence { get; init; }
    /// <summary>On <c>EvidenceSealed</c>: the frozen list, with hashes.</summary>
    [Id(16)] public IReadOnlyList<EvidenceInfo>? EvidenceList { get; init; }
    /// <summary>On <c>EvidenceRequested</c>: the party asked (<c>consumer</c> or <c>merchant</c>).</summary>
    [Id(17)] public string? RequestedOf { get; init; }
    /// <summary>When what this event asks for is due (an evidence request, a return receipt, an instruction).</summary>
    [Id(18)] public DateTimeOffset? DueBy { get; init; }
    /// <summary>On <c>Ruled</c>.</summary>
    [Id(19)] public Responsibility? Responsibility { get; init; }
    /// <summary>On <c>Proposal</c> / <c>Ruled</c> / <c>InstructionIssued</c>: the goods go back before the money moves.</summary>
    [Id(20)] public bool? ReturnFirst { get; init; }
    /// <summary>On <c>Instruction*</c>, <c>Compensated</c>, <c>ClaimRecovered</c>.</summary>
    [Id(21)] public string? InstructionId { get; init; }
    /// <summary>On <c>ReturnShipped</c>.</summary>
    [Id(22)] public string? Carrier { get; init; }
    [Id(23)] public string? TrackingNumber { get; init; }
    /// <summary>On <c>ReturnReceived</c>.</summary>
    [Id(24)] public GoodsCondition? Condition { get; init; }
    /// <summary>On <c>FeedbackGiven</c>: 1 to 5.</summary>
    [Id(25)] public int? Rating { get; init; }
    /// <summary>On <c>PartnerAnswered</c>: the partner platform, its answer's id (once per id) and where it stands.</summary>
    [Id(26)] public string? Platform { get; init; }
    [Id(27)] public string? AnswerId { get; init; }
    [Id(28)] public PartnerAnswerStatus? PartnerStatus { get; init; }
}

/// <summary>The deadlines a dispute is running against; null when not (or no longer) relevant.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeDeadlines")]
public sealed record DisputeDeadlines(
    [property: Id(0)] DateTimeOffset? MerchantRespondBy,
    [property: Id(1)] DateTimeOffset? NegotiationEndsAt,
    [property: Id(2)] DateTimeOffset? ExpiresAt,
    [property: Id(3)] DateTimeOffset? RemedyDueBy)
{
    public static readonly DisputeDeadlines None = new(null, null, null, null);

    /// <summary>When the merchant is warned that its first answer is due soon.</summary>
    [Id(4)] public DateTimeOffset? MerchantWarningAt { get; init; }
    /// <summary>Evidence can be added until then; then it is sealed.</summary>
    [Id(5)] public DateTimeOffset? EvidenceDueBy { get; init; }
    /// <summary>The mediator's window to bring the parties to an agreement; then the mediator rules.</summary>
    [Id(6)] public DateTimeOffset? MediationEndsAt { get; init; }
    /// <summary>The merchant acknowledges a returned parcel by then; silence counts as received as expected.</summary>
    [Id(7)] public DateTimeOffset? ReturnReceiptDueBy { get; init; }
    /// <summary>The instruction must be carried out by then, or the compensation fund pays.</summary>
    [Id(8)] public DateTimeOffset? InstructionDueBy { get; init; }
}

/// <summary>The mediator's open proposal and who has accepted it so far.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.OpenProposal")]
public sealed record OpenProposal(
    [property: Id(0)] long Seq,
    [property: Id(1)] string MediatorId,
    [property: Id(2)] Remedy Remedy,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] bool ReturnFirst,
    [property: Id(5)] bool ConsumerAccepted,
    [property: Id(6)] bool MerchantAccepted)
{
    public bool AcceptedBy(Role role) => role == Role.Consumer ? ConsumerAccepted : MerchantAccepted;
}

/// <summary>What the dispute came to (a settlement, an accepted proposal, a ruling) and how it is being carried out.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeOutcome")]
public sealed record DisputeOutcome(
    /// <summary><c>settlement</c>, <c>proposal</c> or <c>ruling</c>.</summary>
    [property: Id(0)] string Source,
    [property: Id(1)] Remedy Remedy,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] bool ReturnFirst,
    /// <summary>The instruction carrying it out, once issued.</summary>
    [property: Id(4)] string? InstructionId,
    [property: Id(5)] InstructionOutcome? InstructionOutcome);

[GenerateSerializer, Immutable, Alias("Mediation.OpenOffer")]
public sealed record OpenOffer(
    [property: Id(0)] long Seq,
    [property: Id(1)] string AuthorId,
    [property: Id(2)] Role AuthorRole,
    [property: Id(3)] Remedy Remedy,
    [property: Id(4)] decimal Amount);

/// <summary>A dispute as one caller sees it, with what that caller may do now.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeView")]
public sealed record DisputeView(
    [property: Id(0)] string DisputeId,
    [property: Id(1)] DisputeState State,
    [property: Id(2)] string ConsumerId,
    [property: Id(3)] string MerchantId,
    [property: Id(4)] Order Order,
    [property: Id(5)] DisputeCategory Category,
    [property: Id(6)] Remedy RequestedRemedy,
    [property: Id(7)] decimal ClaimedAmount,
    [property: Id(8)] string Description,
    [property: Id(9)] DateTimeOffset OpenedAt,
    [property: Id(10)] DisputeDeadlines Deadlines,
    [property: Id(11)] OpenOffer? OpenOffer,
    [property: Id(12)] OpenOffer? SettledWith,
    [property: Id(13)] long LastSeq,
    [property: Id(14)] IReadOnlyList<DisputeAction> AllowedActions,
    [property: Id(15)] bool RemedyConfirmed,
    [property: Id(16)] bool RemedyOverdue)
{
    /// <summary>The assigned mediator, once there is one.</summary>
    [Id(17)] public string? MediatorId { get; init; }
    [Id(18)] public OpenProposal? OpenProposal { get; init; }
    [Id(19)] public bool EvidenceSealed { get; init; }
    [Id(20)] public DisputeOutcome? Outcome { get; init; }
    /// <summary>Where the goods go back: shown to the parties only once a return is due.</summary>
    [Id(21)] public string? ReturnAddress { get; init; }
    [Id(22)] public string? ReturnCarrier { get; init; }
    [Id(23)] public string? ReturnTrackingNumber { get; init; }
    /// <summary>Who the ruling held responsible, once ruled.</summary>
    [Id(24)] public Responsibility? Responsibility { get; init; }
    /// <summary>The city's deadlines and standard return policy the dispute opened under.</summary>
    [Id(25)] public CityTerms? Terms { get; init; }
    /// <summary><c>partner:{platform}</c> for a complaint forwarded to a partner platform; null when the consumer opened it.</summary>
    [Id(26)] public string? Origin { get; init; }
    /// <summary>Forwarded by a consumers' association or regulator: the partner platform handles it first.</summary>
    [Id(27)] public bool Priority { get; init; }
    [Id(28)] public string? ForwardedBy { get; init; }
}

/// <summary>A line in a merchant's or consumer's list of disputes.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeSummary")]
public sealed record DisputeSummary(
    [property: Id(0)] string DisputeId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] string ConsumerId,
    [property: Id(3)] string MerchantId,
    [property: Id(4)] DisputeState State,
    [property: Id(5)] DisputeCategory Category,
    [property: Id(6)] DateTimeOffset OpenedAt,
    [property: Id(7)] DateTimeOffset UpdatedAt,
    /// <summary>The next deadline this dispute is running against, and which one it is.</summary>
    [property: Id(8)] DateTimeOffset? NextDeadline,
    [property: Id(9)] DeadlineKind? NextDeadlineKind,
    [property: Id(10)] long LastSeq,
    [property: Id(11)] DateTimeOffset? MerchantFirstRespondedAt,
    [property: Id(12)] bool RemedyOverdue)
{
    /// <summary>The highest seq each party has marked as read (its own events count as read).</summary>
    [Id(13)] public long MerchantReadSeq { get; init; }
    [Id(14)] public long ConsumerReadSeq { get; init; }
    /// <summary>Events the listing party has not read; filled in when a party lists its disputes.</summary>
    [Id(15)] public long Unread { get; init; }
    /// <summary>The type of the latest event, for a console's one-line news.</summary>
    [Id(16)] public string? LastEventType { get; init; }
    [Id(17)] public string? City { get; init; }
    [Id(18)] public string? MediatorId { get; init; }
    /// <summary>A ruling held the merchant responsible (alone or shared).</summary>
    [Id(19)] public bool RuledAgainstMerchant { get; init; }
    /// <summary>The compensation fund paid for the merchant and has not been repaid.</summary>
    [Id(20)] public bool ClaimOpen { get; init; }
    [Id(21)] public decimal CompensationPaid { get; init; }
    [Id(22)] public decimal CompensationRecovered { get; init; }
    [Id(23)] public int? ConsumerRating { get; init; }
    [Id(24)] public int? MerchantRating { get; init; }
    /// <summary>The dispute was settled by the parties themselves (before any mediator).</summary>
    [Id(25)] public bool SettledByParties { get; init; }
    [Id(26)] public DateTimeOffset? EscalatedAt { get; init; }
    [Id(27)] public decimal? RefundAmount { get; init; }
    /// <summary>Who a ruling held responsible, once ruled (the dispute was ruled when this is set).</summary>
    [Id(28)] public Responsibility? Responsibility { get; init; }
    /// <summary>The merchant answered after its first-response deadline, or the deadline passed without an answer.</summary>
    [Id(29)] public bool MerchantMissedFirstResponse { get; init; }
}

/// <summary>Running figures a merchant or consumer grain keeps over its disputes.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.PartyFigures")]
public sealed record PartyFigures(
    [property: Id(0)] int Opened,
    [property: Id(1)] int Open,
    [property: Id(2)] int SettledByParties,
    [property: Id(3)] int Escalated,
    [property: Id(4)] int Withdrawn,
    [property: Id(5)] int Expired,
    [property: Id(6)] TimeSpan? MedianTimeToFirstResponse);

[GenerateSerializer, Immutable, Alias("Mediation.PartyDisputes")]
public sealed record PartyDisputes(
    [property: Id(0)] string PartyId,
    [property: Id(1)] IReadOnlyList<DisputeSummary> Disputes,
    [property: Id(2)] PartyFigures Figures)
{
    /// <summary>A merchant's list carries its standing.</summary>
    [Id(3)] public MerchantStanding? Standing { get; init; }
}
