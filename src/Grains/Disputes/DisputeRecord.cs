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

    public bool Exists => Order is not null;

    /// <summary>A copy to fold events into before they are committed (every member is a value or an immutable record).</summary>
    public DisputeRecord Copy() => (DisputeRecord)MemberwiseClone();

    public DisputeFacts Facts(DateTimeOffset now) =>
        new(State, now, Deadlines, MerchantFirstRespondedAt is not null, OpenOffer, RemedyConfirmed, RemedyOverdue, MerchantWarned);

    public Role? RoleOf(Caller caller) => caller switch
    {
        { Role: Role.Consumer } when caller.UserId == ConsumerId => Role.Consumer,
        { Role: Role.Merchant } when caller.UserId == MerchantId => Role.Merchant,
        _ => null,
    };

    /// <summary>Folds one committed event into the record. Deterministic: replay gives the same record.</summary>
    public void Apply(DisputeEvent e, DisputeDeadlineOptions clocks)
    {
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
                OpenOffer = null;
                break;
            case DisputeEventType.OfferRejected:
                if (byMerchant) MerchantFirstRespondedAt ??= e.At;
                OpenOffer = null;
                break;
            case DisputeEventType.StateChanged:
                State = e.State!.Value;
                if (State == DisputeState.Settled)
                    Deadlines = Deadlines with { RemedyDueBy = e.At + clocks.RemedyConfirmation };
                if (!State.IsOpen())
                    OpenOffer = null;
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
        }
        // A party has read what it wrote itself.
        if (byMerchant) MerchantReadSeq = Math.Max(MerchantReadSeq, e.Seq);
        else if (e.AuthorId == ConsumerId && e.AuthorRole == Role.Consumer.WireName()) ConsumerReadSeq = Math.Max(ConsumerReadSeq, e.Seq);
        LastEventType = e.Type;
        AppliedSeq = e.Seq;
        UpdatedAt = e.At;
    }
}
