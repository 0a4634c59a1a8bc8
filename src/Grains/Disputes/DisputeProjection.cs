namespace Mediation.Grains.Disputes;

/// <summary>The read views of a dispute's record: what one party sees, and the line its lists show.</summary>
public static class DisputeProjection
{
    public static DisputeView View(DisputeRecord r, Role role, DateTimeOffset now) => new(
        r.DisputeId, r.State, r.ConsumerId, r.MerchantId, r.Order!,
        r.Request!.Category, r.Request.RequestedRemedy, r.Request.ClaimedAmount, r.Request.Description,
        r.OpenedAt, r.Deadlines, r.OpenOffer, r.SettledWith, r.AppliedSeq,
        DisputeStateMachine.AllowedActions(r.Facts(now), role), r.RemedyConfirmed, r.RemedyOverdue);

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
        };
    }

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
