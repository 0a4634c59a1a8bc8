namespace Mediation.Grains.Enforcement;

/// <summary>An order's ledger as stored: its entries, in the order they were recorded.</summary>
[GenerateSerializer, Alias("Mediation.LedgerRecord")]
public sealed class LedgerRecord
{
    [Id(0)] public string? Currency { get; set; }
    [Id(1)] public List<LedgerEntry> Entries { get; set; } = [];

    public bool Has(string entryId) => Entries.Any(e => e.EntryId == entryId);

    public bool HasAnyFor(string instructionId) => Entries.Any(e => e.InstructionId == instructionId);

    public decimal Balance(LedgerAccount account) =>
        Entries.SelectMany(e => e.Postings).Where(p => p.Account == account).Sum(p => p.Amount);

    public decimal Posted(string entryId, LedgerAccount account) =>
        Entries.Where(e => e.EntryId == entryId).SelectMany(e => e.Postings).Where(p => p.Account == account).Sum(p => p.Amount);

    public LedgerView View(string orderId, string currency) => new(
        orderId,
        Currency ?? currency,
        Entries.ToList(),
        Enum.GetValues<LedgerAccount>().ToDictionary(a => a, Balance),
        Entries.All(e => e.Postings.Sum(p => p.Amount) == 0),
        Balance(LedgerAccount.Claims));
}
