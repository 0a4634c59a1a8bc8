namespace Mediation.Grains.Disputes;

/// <summary>The read views of a dispute's record: what one party sees, and the line its lists show.</summary>
public static class DisputeProjection
{
    public static DisputeView View(DisputeRecord r, Role role, DateTimeOffset now) => new(
        r.DisputeId, r.State, r.ConsumerId, r.MerchantId, r.Order!,
        r.Request!.Category, r.Request.RequestedRemedy, r.Request.ClaimedAmount, DisputePrivacy.Description(r, role),
        r.OpenedAt, r.Deadlines, r.OpenOffer, r.SettledWith, r.AppliedSeq,
        DisputeStateMachine.AllowedActions(r.Facts(now), role), r.RemedyConfirmed, r.RemedyOverdue)
    {
        MediatorId = r.MediatorId,
        OpenProposal = r.Proposal,
        EvidenceSealed = r.EvidenceSealed,
        Outcome = r.Outcome,
        // Personal data: the return address is shown only once a return is due, and only to the parties.
        ReturnAddress = r.State is DisputeState.AwaitingReturn or DisputeState.ReturnShipped && role is Role.Consumer or Role.Merchant ? r.ReturnAddress : null,
        ReturnCarrier = r.ReturnCarrier,
        ReturnTrackingNumber = r.ReturnTrackingNumber,
        Responsibility = r.Responsibility,
        Terms = r.Terms,
        Origin = r.Origin,
        Priority = r.Priority,
        ForwardedBy = r.ForwardedBy,
    };

    public static DisputeSummary Summary(DisputeRecord r, DateTimeOffset now)
    {
        var running = RunningDeadline(r, now);
        return new DisputeSummary(
            r.DisputeId, r.Order!.OrderId, r.ConsumerId, r.MerchantId, r.State, r.Request!.Category,
            r.OpenedAt, r.UpdatedAt, running?.At, running?.Kind, r.AppliedSeq, r.MerchantFirstRespondedAt,
            r.RemedyOverdue)
        {
            MerchantReadSeq = r.MerchantReadSeq,
            ConsumerReadSeq = r.ConsumerReadSeq,
            LastEventType = r.LastEventType.ToString(),
            City = r.Order.City,
            MediatorId = r.MediatorId,
            RuledAgainstMerchant = r.Responsibility is Responsibility.Merchant or Responsibility.Shared,
            ClaimOpen = r.ClaimOpen,
            CompensationPaid = r.CompensationPaid,
            CompensationRecovered = r.CompensationRecovered,
            ConsumerRating = r.ConsumerRating,
            MerchantRating = r.MerchantRating,
            SettledByParties = r.SettledByParties,
            EscalatedAt = r.EscalatedAt,
            RefundAmount = r.Outcome?.InstructionOutcome == InstructionOutcome.Done ? r.Outcome.Amount : null,
            Responsibility = r.Responsibility,
            MerchantMissedFirstResponse = MissedFirstResponse(r),
        };
    }

    /// <summary>
    /// From the record alone (a line saved later for a read mark must not change it): answered at or after the
    /// deadline, or never answered and escalated at or after it (by the clock, or by the consumer it allowed to).
    /// </summary>
    private static bool MissedFirstResponse(DisputeRecord r) =>
        r.Deadlines.MerchantRespondBy is { } by && (r.MerchantFirstRespondedAt is { } at ? at >= by : r.EscalatedAt >= by);

    /// <summary>The deadline a person looking at the list cares about now.</summary>
    private static (DateTimeOffset At, DeadlineKind Kind)? RunningDeadline(DisputeRecord r, DateTimeOffset now)
    {
        var d = r.Deadlines;
        if (r.State == DisputeState.Negotiating && d.NegotiationEndsAt > now)
            return (d.NegotiationEndsAt.Value, DeadlineKind.NegotiationEndsAt);
        if (r.State == DisputeState.AwaitingMerchant && r.MerchantFirstRespondedAt is null)
            return (d.MerchantRespondBy!.Value, DeadlineKind.MerchantRespondBy);
        return DisputeStateMachine.NextDeadline(r.Facts(now));
    }
}
