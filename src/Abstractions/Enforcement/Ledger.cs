namespace Mediation;

/// <summary>The accounts of the double-entry ledger.</summary>
public enum LedgerAccount
{
    /// <summary>Funds of a guaranteed trade held while a dispute on it is open.</summary>
    Escrow,
    Consumer,
    Merchant,
    /// <summary>The platform's fund that pays consumers first when a merchant does not.</summary>
    CompensationFund,
    /// <summary>What merchants owe the fund for compensation it paid on their behalf.</summary>
    Claims,
}

/// <summary>One leg of an entry: positive debits the account, negative credits it.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.LedgerPosting")]
public sealed record LedgerPosting([property: Id(0)] LedgerAccount Account, [property: Id(1)] decimal Amount);

/// <summary>
/// One movement (hold, release, refund, compensation, recovery). Its postings sum to zero; <see cref="EntryId"/>
/// makes recording it again a no-op.
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] string EntryId,
    /// <summary><c>hold</c>, <c>release</c>, <c>refund</c>, <c>compensation</c>, <c>claim</c>, <c>recovery</c>.</summary>
    [property: Id(1)] string Kind,
    [property: Id(2)] IReadOnlyList<LedgerPosting> Postings,
    [property: Id(3)] string? InstructionId,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string Description);

/// <summary>An order's ledger: every entry, the balance of each account, and whether it balances.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.LedgerView")]
public sealed record LedgerView(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string Currency,
    [property: Id(2)] IReadOnlyList<LedgerEntry> Entries,
    [property: Id(3)] IReadOnlyDictionary<LedgerAccount, decimal> Balances,
    /// <summary>Every entry's postings sum to zero (and so do the balances).</summary>
    [property: Id(4)] bool Balanced,
    /// <summary>Compensation paid for the merchant and not yet recovered.</summary>
    [property: Id(5)] decimal OpenClaims);
