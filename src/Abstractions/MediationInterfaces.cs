using Orleans.Concurrency;

namespace Mediation;

/// <summary>
/// One instruction (keyed by instruction id): the outbox entry that tells the payment platform, through a signed
/// webhook retried until answered, and the record of what the platform reported.
/// </summary>
[Alias("Mediation.IInstructionGrain")]
public interface IInstructionGrain : IGrainWithStringKey
{
    /// <summary>Stores the instruction durably and starts delivering it; issuing the same instruction again is a no-op.</summary>
    [Alias("Issue")]
    Task IssueAsync(Instruction instruction);

    /// <summary>The platform (ops) reports the outcome; the dispute hears of it. The same report again is a no-op.</summary>
    [Alias("Report")]
    Task<InstructionStatus> ReportAsync(Caller caller, InstructionOutcome outcome, string? reason);

    /// <summary>Interleaves: the dispute may read the instruction while it is being told of a report.</summary>
    [Alias("Get"), AlwaysInterleave]
    Task<InstructionStatus> GetAsync(Caller caller);
}

/// <summary>An order's double-entry ledger (keyed by order id). Every method is idempotent by the entry it records.</summary>
[Alias("Mediation.ILedgerGrain")]
public interface ILedgerGrain : IGrainWithStringKey
{
    /// <summary>A guaranteed trade's funds go into escrow while its dispute is open.</summary>
    [Alias("Hold")]
    Task HoldAsync(Order order, string disputeId);

    /// <summary>The instruction was carried out: the consumer is paid (from escrow when held), the rest of escrow goes to the merchant.</summary>
    [Alias("Settle")]
    Task SettleAsync(Instruction instruction);

    /// <summary>The dispute ended without money to the consumer (withdrawn, expired, ruled for the merchant): escrow goes to the merchant.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string disputeId, string reason);

    /// <summary>The merchant did not carry out the instruction: the fund pays the consumer and a claim is recorded against the merchant.</summary>
    [Alias("Compensate")]
    Task CompensateAsync(Instruction instruction);

    /// <summary>The merchant paid the claim of a compensated instruction: the fund is repaid and the claim closed.</summary>
    [Alias("Recover")]
    Task RecoverAsync(Instruction instruction);

    [Alias("Get")]
    Task<LedgerView> GetAsync(Caller caller);
}
