namespace Mediation.Grains.Disputes;

/// <summary>
/// The persisted part of a dispute: what the state machine needs and the sequence counter.
/// The timeline itself lives in the append-only event log; events after <see cref="AppliedSeq"/>
/// are replayed onto this record on activation, so the record is written only when the state changes.
/// </summary>
[GenerateSerializer, Alias("Mediation.DisputeRecord")]
public sealed class DisputeRecord
{
    [Id(0)] public string DisputeId { get; set; } = "";
    [Id(1)] public DisputeState State { get; set; } = DisputeState.Opened;
    [Id(2)] public Order? Order { get; set; }
    [Id(3)] public OpenDisputeRequest? Request { get; set; }
    [Id(4)] public string ConsumerId { get; set; } = "";
    [Id(5)] public string MerchantId { get; set; } = "";
    [Id(6)] public DateTimeOffset OpenedAt { get; set; }
    [Id(7)] public DisputeDeadlines Deadlines { get; set; } = DisputeDeadlines.None;
    [Id(8)] public DateTimeOffset? MerchantFirstRespondedAt { get; set; }
    [Id(9)] public OpenOffer? OpenOffer { get; set; }
    [Id(10)] public OpenOffer? SettledWith { get; set; }
    [Id(11)] public bool RemedyConfirmed { get; set; }
    [Id(12)] public bool RemedyOverdue { get; set; }
    [Id(13)] public long AppliedSeq { get; set; }
    [Id(14)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(15)] public bool MerchantWarned { get; set; }
    [Id(16)] public long MerchantReadSeq { get; set; }
    [Id(17)] public long ConsumerReadSeq { get; set; }
    [Id(18)] public DisputeEventType LastEventType { get; set; }

    // Mediation and enforcement. Lists are replaced, never changed in place, so that Copy stays a true copy; they are
    // plain lists (not collection expressions, whose compiler-made types the JSON grain storage cannot read back).
    [Id(19)] public string? MediatorId { get; set; }
    [Id(20)] public IReadOnlyList<EvidenceInfo> Evidence { get; set; } = new List<EvidenceInfo>();
    [Id(21)] public bool EvidenceSealed { get; set; }
    [Id(22)] public OpenProposal? Proposal { get; set; }
    [Id(23)] public bool MediationWindowEnded { get; set; }
    [Id(24)] public DisputeOutcome? Outcome { get; set; }
    [Id(25)] public Responsibility? Responsibility { get; set; }
    [Id(26)] public string? ReturnCarrier { get; set; }
    [Id(27)] public string? ReturnTrackingNumber { get; set; }
    [Id(28)] public GoodsCondition? ReturnCondition { get; set; }
    [Id(29)] public decimal CompensationPaid { get; set; }
    [Id(30)] public decimal CompensationRecovered { get; set; }
    [Id(31)] public int? ConsumerRating { get; set; }
    [Id(32)] public int? MerchantRating { get; set; }
    [Id(33)] public bool SettledByParties { get; set; }
    [Id(34)] public DateTimeOffset? EscalatedAt { get; set; }
    [Id(35)] public DisputeCategory? RuledCategory { get; set; }
    /// <summary>Not from the log: fetched from the merchant's profile when a return is due.</summary>
    [Id(36)] public string? ReturnAddress { get; set; }
    /// <summary>Not from the log: the side effects already carried out (idempotent calls to other grains), by key.</summary>
    [Id(37)] public IReadOnlyList<string> EffectsDone { get; set; } = new List<string>();
    [Id(38)] public long MediatorAssignedSeq { get; set; }
    /// <summary>The city's deadlines and return policy when the dispute opened: a later change of configuration moves none of its deadlines.</summary>
    [Id(39)] public CityTerms? Terms { get; set; }
    /// <summary><c>partner:{platform}</c> for a complaint forwarded to a partner platform; null for one opened by the consumer.</summary>
    [Id(40)] public string? Origin { get; set; }
    [Id(41)] public bool Priority { get; set; }
    /// <summary>The consumers' association or regulator that forwarded the complaint.</summary>
    [Id(42)] public string? ForwardedBy { get; set; }
    /// <summary>The partner platform's answers already on the timeline, by the platform's answer id.</summary>
    [Id(43)] public IReadOnlyList<string> PartnerAnswerIds { get; set; } = new List<string>();

    public bool Exists => Order is not null;

    /// <summary>A copy to fold events into before they are committed (every member is a value or an immutable record).</summary>
    public DisputeRecord Copy() => (DisputeRecord)MemberwiseClone();

    public DisputeFacts Facts(DateTimeOffset now) =>
        new(State, now, Deadlines, MerchantFirstRespondedAt is not null, OpenOffer, RemedyConfirmed, RemedyOverdue, MerchantWarned)
        {
            MediatorId = MediatorId,
            EvidenceSealed = EvidenceSealed,
            Proposal = Proposal,
            MediationWindowEnded = MediationWindowEnded,
            InstructionOutcome = Outcome?.InstructionOutcome,
            ConsumerRated = ConsumerRating is not null,
            MerchantRated = MerchantRating is not null,
        };

    public Role? RoleOf(Caller caller) => caller switch
    {
        { Role: Role.Consumer } when caller.UserId == ConsumerId => Role.Consumer,
        { Role: Role.Merchant } when caller.UserId == MerchantId => Role.Merchant,
        { Role: Role.Mediator } when MediatorId is not null && caller.UserId == MediatorId => Role.Mediator,
        _ => null,
    };

    public bool ClaimOpen => CompensationPaid > CompensationRecovered;

    /// <summary>Folds one committed event into the record. Deterministic: replay gives the same record.</summary>
    /// <param name="fallback">The clocks of a record stored before it kept its own terms.</param>
    public void Apply(DisputeEvent e, DisputeClocks fallback)
    {
        var clocks = Terms?.Deadlines ?? fallback;
        var byMerchant = e.AuthorId == MerchantId && e.AuthorRole == Role.Merchant.WireName();
        switch (e.Type)
        {
            case DisputeEventType.Opened:
                State = DisputeState.AwaitingMerchant;
                OpenOffer = new OpenOffer(e.Seq, ConsumerId, Role.Consumer, Request!.RequestedRemedy, Request.ClaimedAmount);
                break;
            case DisputeEventType.Message when byMerchant:
                MerchantFirstRespondedAt ??= e.At;
                break;
            case DisputeEventType.Offer:
                if (byMerchant) MerchantFirstRespondedAt ??= e.At;
                OpenOffer = new OpenOffer(e.Seq, e.AuthorId, byMerchant ? Role.Merchant : Role.Consumer, e.Remedy!.Value, e.Amount!.Value);
                break;
            case DisputeEventType.OfferAccepted:
                if (byMerchant) MerchantFirstRespondedAt ??= e.At;
                SettledWith = OpenOffer;
                SettledByParties = true;
                Outcome = new DisputeOutcome("settlement", e.Remedy!.Value, e.Amount!.Value, DisputeStateMachine.ReturnsGoods(e.Remedy.Value), null, null);
                OpenOffer = null;
                break;
            case DisputeEventType.OfferRejected:
                if (byMerchant) MerchantFirstRespondedAt ??= e.At;
                OpenOffer = null;
                break;
            case DisputeEventType.StateChanged:
                var from = State;
                State = e.State!.Value;
                if (!State.IsOpen())
                    OpenOffer = null;
                if (State == DisputeState.Escalated) EscalatedAt = e.At;
                if (State == DisputeState.InMediation && from == DisputeState.ReturnShipped)
                {
                    // The returned goods were not as expected: back to the mediator, with a new window and the file reopened.
                    Outcome = null;
                    Proposal = null;
                    MediationWindowEnded = false;
                    EvidenceSealed = false;
                    Deadlines = Deadlines with { EvidenceDueBy = e.At + clocks.EvidenceWindow, MediationEndsAt = e.At + clocks.MediationWindow };
                }
                break;
            case DisputeEventType.MediatorAssigned:
                MediatorId = e.MediatorId;
                MediatorAssignedSeq = e.Seq;
                Deadlines = Deadlines with { EvidenceDueBy = e.At + clocks.EvidenceWindow, MediationEndsAt = e.At + clocks.MediationWindow };
                break;
            case DisputeEventType.EvidenceAdded:
                Evidence = Evidence.Append(e.Evidence!).ToList();
                break;
            case DisputeEventType.EvidenceRequested:
                if (e.DueBy > Deadlines.EvidenceDueBy) Deadlines = Deadlines with { EvidenceDueBy = e.DueBy };
                break;
            case DisputeEventType.EvidenceSealed:
                EvidenceSealed = true;
                break;
            case DisputeEventType.Proposal:
                Proposal = new OpenProposal(e.Seq, e.AuthorId, e.Remedy!.Value, e.Amount!.Value, e.ReturnFirst ?? false, false, false);
                break;
            case DisputeEventType.ProposalAccepted when Proposal is { } accepted:
                Proposal = e.AuthorRole == Role.Consumer.WireName() ? accepted with { ConsumerAccepted = true } : accepted with { MerchantAccepted = true };
                if (Proposal is { ConsumerAccepted: true, MerchantAccepted: true } both)
                {
                    Outcome = new DisputeOutcome("proposal", both.Remedy, both.Amount, both.ReturnFirst, null, null);
                    Proposal = null;
                }
                break;
            case DisputeEventType.ProposalRejected:
                Proposal = null;
                break;
            case DisputeEventType.MediationWindowEnded:
                MediationWindowEnded = true;
                Proposal = null;
                break;
            case DisputeEventType.Ruled:
                Responsibility = e.Responsibility;
                RuledCategory = e.Category;
                Outcome = new DisputeOutcome("ruling", e.Remedy!.Value, e.Amount!.Value, e.ReturnFirst ?? false, null, null);
                break;
            case DisputeEventType.InstructionIssued:
                Outcome = Outcome! with { InstructionId = e.InstructionId };
                Deadlines = Deadlines with { InstructionDueBy = e.DueBy };
                break;
            case DisputeEventType.InstructionDone:
                Outcome = Outcome! with { InstructionOutcome = InstructionOutcome.Done };
                if (State == DisputeState.Enforcing) Deadlines = Deadlines with { RemedyDueBy = e.At + clocks.RemedyConfirmation };
                break;
            case DisputeEventType.InstructionFailed:
                Outcome = Outcome! with { InstructionOutcome = InstructionOutcome.Failed };
                break;
            case DisputeEventType.ReturnShipped:
                ReturnCarrier = e.Carrier;
                ReturnTrackingNumber = e.TrackingNumber;
                Deadlines = Deadlines with { ReturnReceiptDueBy = e.DueBy };
                break;
            case DisputeEventType.ReturnReceived:
                ReturnCondition = e.Condition;
                break;
            case DisputeEventType.Compensated:
                CompensationPaid += e.Amount ?? 0;
                break;
            case DisputeEventType.ClaimRecovered:
                CompensationRecovered += e.Amount ?? 0;
                break;
            case DisputeEventType.FeedbackGiven:
                if (e.AuthorRole == Role.Consumer.WireName()) ConsumerRating = e.Rating;
                else MerchantRating = e.Rating;
                break;
            case DisputeEventType.RemedyConfirmed:
                RemedyConfirmed = true;
                break;
            case DisputeEventType.RemedyOverdue:
                RemedyOverdue = true;
                break;
            case DisputeEventType.DeadlineWarning:
                MerchantWarned = true;
                break;
            case DisputeEventType.PartnerAnswered:
                PartnerAnswerIds = PartnerAnswerIds.Append(e.AnswerId!).ToList();
                break;
        }
        // A party has read what it wrote itself.
        if (byMerchant) MerchantReadSeq = Math.Max(MerchantReadSeq, e.Seq);
        else if (e.AuthorId == ConsumerId && e.AuthorRole == Role.Consumer.WireName()) ConsumerReadSeq = Math.Max(ConsumerReadSeq, e.Seq);
        LastEventType = e.Type;
        AppliedSeq = e.Seq;
        UpdatedAt = e.At;
    }
}
