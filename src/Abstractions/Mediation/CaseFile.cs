namespace Mediation;

/// <summary>
/// A dispute's whole file, as the caller may see it: what a party takes to court, what the mediator works from.
/// Personal data is masked for anyone but the parties.
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.CaseFile")]
public sealed record CaseFile(
    [property: Id(0)] DisputeView Dispute,
    [property: Id(1)] IReadOnlyList<DisputeEvent> Timeline,
    [property: Id(2)] IReadOnlyList<EvidenceInfo> Evidence,
    /// <summary>Every offer and proposal, in order.</summary>
    [property: Id(3)] IReadOnlyList<DisputeEvent> Offers,
    [property: Id(4)] DisputeEvent? Ruling,
    [property: Id(5)] IReadOnlyList<InstructionStatus> Instructions,
    [property: Id(6)] LedgerView? Ledger,
    [property: Id(7)] MerchantStanding? MerchantStanding,
    [property: Id(8)] string? MediatorId);
