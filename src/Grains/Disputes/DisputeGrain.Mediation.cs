namespace Mediation.Grains.Disputes;

// Work in progress (issue 9): the mediation half of the dispute grain lands here.
public sealed partial class DisputeGrain
{
    private static Exception NotYet() => MediationException.Conflict("mediation is not available yet");
    public Task<DisputeEvent> AddEvidenceAsync(Caller caller, EvidenceInfo evidence) => throw NotYet();
    public Task<EvidenceInfo> GetEvidenceAsync(Caller caller, string evidenceId) => throw NotYet();
    public Task<DisputeEvent> AssignMediatorAsync(string mediatorId) => throw NotYet();
    public Task<DisputeEvent> RequestEvidenceAsync(Caller caller, Role of, string text, DateTimeOffset dueBy) => throw NotYet();
    public Task<DisputeEvent> ProposeAsync(Caller caller, Remedy remedy, decimal amount, bool returnFirst, string text) => throw NotYet();
    public Task<DisputeEvent> AcceptProposalAsync(Caller caller, long proposalSeq) => throw NotYet();
    public Task<DisputeEvent> RejectProposalAsync(Caller caller, long proposalSeq) => throw NotYet();
    public Task<DisputeEvent> RuleAsync(Caller caller, Ruling ruling) => throw NotYet();
    public Task<DisputeEvent> ShipReturnAsync(Caller caller, string carrier, string trackingNumber) => throw NotYet();
    public Task<DisputeEvent> AcknowledgeReturnAsync(Caller caller, GoodsCondition condition, string? text) => throw NotYet();
    public Task InstructionReportedAsync(string instructionId, InstructionOutcome outcome, string? reason) => throw NotYet();
    public Task<DisputeEvent> GiveFeedbackAsync(Caller caller, int rating, string? comment) => throw NotYet();
    public Task<CaseFile> GetCaseAsync(Caller caller) => throw NotYet();
}
