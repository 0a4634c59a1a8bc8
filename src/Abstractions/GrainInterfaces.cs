namespace Mediation;

/// <summary>A paid order, keyed by its order id. Holds the one open dispute it may have.</summary>
[Alias("Mediation.IOrderGrain")]
public interface IOrderGrain : IGrainWithStringKey
{
    /// <summary>Stores the order; the same order again is accepted, a different one under the same id is refused.</summary>
    [Alias("Submit")]
    Task<(Order Order, bool Created)> SubmitAsync(Order order);

    [Alias("Get")]
    Task<Order> GetAsync(Caller caller);

    /// <summary>Opens a dispute on this order, or returns the open one.</summary>
    [Alias("OpenDispute")]
    Task<OpenDisputeResult> OpenDisputeAsync(Caller caller, OpenDisputeRequest request);

    /// <summary>
    /// A consumers' association or regulator forwards a complaint about this order to its partner platform: a dispute
    /// for the order's consumer, prioritised, delivered to the platform. Returns the open one if there is one.
    /// </summary>
    [Alias("ForwardComplaint")]
    Task<OpenDisputeResult> ForwardComplaintAsync(Caller forwardedBy, OpenDisputeRequest request, string platform);
}

/// <summary>One dispute: its negotiation state, its deadlines, and the sequence of its timeline.</summary>
[Alias("Mediation.IDisputeGrain")]
public interface IDisputeGrain : IGrainWithStringKey
{
    /// <summary>Called by the order grain only; idempotent.</summary>
    [Alias("Open")]
    Task<DisputeView> OpenAsync(Order order, OpenDisputeRequest request, Caller consumer);

    /// <summary>Called by the order grain only; idempotent. A complaint forwarded to <paramref name="platform"/>.</summary>
    [Alias("OpenForwarded")]
    Task<DisputeView> OpenForwardedAsync(Order order, OpenDisputeRequest request, Caller forwardedBy, string platform);

    /// <summary>
    /// The partner platform's answer about a complaint forwarded to it, on the timeline (<c>PartnerAnswered</c>); the
    /// same answer id again returns the event it made. Not found unless the dispute was forwarded to that platform.
    /// </summary>
    [Alias("RecordPartnerAnswer")]
    Task<(DisputeEvent Event, bool Created)> RecordPartnerAnswerAsync(string platform, PartnerAnswer answer);

    [Alias("Get")]
    Task<DisputeView> GetAsync(Caller caller);

    [Alias("SendMessage")]
    Task<DisputeEvent> SendMessageAsync(Caller caller, string text);

    [Alias("MakeOffer")]
    Task<DisputeEvent> MakeOfferAsync(Caller caller, Remedy remedy, decimal amount);

    [Alias("AcceptOffer")]
    Task<DisputeEvent> AcceptOfferAsync(Caller caller, long offerSeq);

    [Alias("RejectOffer")]
    Task<DisputeEvent> RejectOfferAsync(Caller caller, long offerSeq);

    [Alias("Withdraw")]
    Task<DisputeEvent> WithdrawAsync(Caller caller);

    [Alias("Escalate")]
    Task<DisputeEvent> EscalateAsync(Caller caller);

    /// <summary>The consumer confirms the settled remedy was carried out.</summary>
    [Alias("ConfirmRemedy")]
    Task<DisputeEvent> ConfirmRemedyAsync(Caller caller);

    /// <summary>The caller is typing: a transient signal that expires by itself.</summary>
    [Alias("Typing")]
    Task TypingAsync(Caller caller);

    /// <summary>The caller has read everything up to <paramref name="seq"/>. Stored; never moves backwards.</summary>
    [Alias("MarkRead")]
    Task MarkReadAsync(Caller caller, long seq);

    /// <summary>The timeline after <paramref name="afterSeq"/>, in order, at most <paramref name="limit"/> events.</summary>
    [Alias("GetEvents")]
    Task<IReadOnlyList<DisputeEvent>> GetEventsAsync(Caller caller, long afterSeq, int limit);

    /// <summary>Records stored evidence on the timeline (<c>EvidenceAdded</c>); refused once the evidence is sealed.</summary>
    [Alias("AddEvidence")]
    Task<DisputeEvent> AddEvidenceAsync(Caller caller, EvidenceInfo evidence);

    /// <summary>One piece of evidence of this dispute, for a caller who may see it.</summary>
    [Alias("GetEvidence")]
    Task<EvidenceInfo> GetEvidenceAsync(Caller caller, string evidenceId);

    /// <summary>The city's desk assigns the case to a mediator (<c>MediatorAssigned</c>). Idempotent for the same mediator.</summary>
    [Alias("AssignMediator")]
    Task<DisputeEvent> AssignMediatorAsync(string mediatorId);

    /// <summary>The mediator asks one party (<paramref name="of"/>) for specific evidence by <paramref name="dueBy"/>.</summary>
    [Alias("RequestEvidence")]
    Task<DisputeEvent> RequestEvidenceAsync(Caller caller, Role of, string text, DateTimeOffset dueBy);

    /// <summary>The mediator proposes a settlement; each party accepts or rejects it.</summary>
    [Alias("Propose")]
    Task<DisputeEvent> ProposeAsync(Caller caller, Remedy remedy, decimal amount, bool returnFirst, string text);

    [Alias("AcceptProposal")]
    Task<DisputeEvent> AcceptProposalAsync(Caller caller, long proposalSeq);

    [Alias("RejectProposal")]
    Task<DisputeEvent> RejectProposalAsync(Caller caller, long proposalSeq);

    /// <summary>The mediator's ruling: final inside the platform.</summary>
    [Alias("Rule")]
    Task<DisputeEvent> RuleAsync(Caller caller, Ruling ruling);

    /// <summary>The consumer records the return shipment.</summary>
    [Alias("ShipReturn")]
    Task<DisputeEvent> ShipReturnAsync(Caller caller, string carrier, string trackingNumber);

    /// <summary>The merchant acknowledges the returned goods and their condition.</summary>
    [Alias("AcknowledgeReturn")]
    Task<DisputeEvent> AcknowledgeReturnAsync(Caller caller, GoodsCondition condition, string? text);

    /// <summary>The instruction grain passes on what the payment platform reported.</summary>
    [Alias("InstructionReported")]
    Task InstructionReportedAsync(string instructionId, InstructionOutcome outcome, string? reason);

    /// <summary>Once closed, each party rates the process once.</summary>
    [Alias("GiveFeedback")]
    Task<DisputeEvent> GiveFeedbackAsync(Caller caller, int rating, string? comment);

    /// <summary>Everything about the case for the caller: order, timeline, evidence, offers, ruling, instructions.</summary>
    [Alias("GetCase")]
    Task<CaseFile> GetCaseAsync(Caller caller);
}

/// <summary>A party's index of its disputes and its running figures.</summary>
[Alias("Mediation.IDisputeIndex")]
public interface IDisputeIndex
{
    [Alias("List")]
    Task<PartyDisputes> ListAsync(Caller caller);
}

[Alias("Mediation.IMerchantGrain")]
public interface IMerchantGrain : IDisputeIndex, IGrainWithStringKey;

[Alias("Mediation.IConsumerGrain")]
public interface IConsumerGrain : IDisputeIndex, IGrainWithStringKey;

/// <summary>The first answer given to a POST carrying an <c>Idempotency-Key</c>.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.IdempotentResponse")]
public sealed record IdempotentResponse(
    [property: Id(0)] string RequestHash,
    [property: Id(1)] int StatusCode,
    [property: Id(2)] string? Body,
    [property: Id(3)] bool Completed);

/// <summary>Keyed by caller and Idempotency-Key: remembers the first request and its answer.</summary>
[Alias("Mediation.IIdempotencyGrain")]
public interface IIdempotencyGrain : IGrainWithStringKey
{
    /// <summary>Claims the key for a request; returns the earlier record if there is one.</summary>
    [Alias("Begin")]
    Task<IdempotentResponse?> BeginAsync(string requestHash);

    [Alias("Complete")]
    Task CompleteAsync(int statusCode, string? body);

    /// <summary>Releases a claim whose request failed without an answer worth keeping (5xx).</summary>
    [Alias("Abandon")]
    Task AbandonAsync();
}

/// <summary>Questions about many disputes at once, answered from the log: one call however many disputes are asked about.</summary>
[Alias("Mediation.IDisputeDirectory")]
public interface IDisputeDirectory : IGrainWithIntegerKey
{
    /// <summary>The latest seq of each dispute that exists among <paramref name="disputeIds"/> (the edge's heartbeat).</summary>
    [Alias("LatestSeqs")]
    Task<IReadOnlyDictionary<string, long>> LatestSeqsAsync(IReadOnlyCollection<string> disputeIds);
}
