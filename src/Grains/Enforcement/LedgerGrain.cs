using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Mediation.Grains.Enforcement;

/// <summary>
/// An order's double-entry ledger. A posting's positive amount debits the account: money moving from A to B is
/// A −x, B +x, so a party's balance is what it has received net. Every entry sums to zero and is recorded at most
/// once by its id, so each method may be called again safely.
/// </summary>
public sealed class LedgerGrain(
    [PersistentState("ledger", MediationStorage.Name)] IPersistentState<LedgerRecord> record,
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock) : Grain, ILedgerGrain
{
    /// <summary>The ledger's own identity when it reads the order to authorize a reader.</summary>
    private static readonly Caller LedgerReader = new("ledger", Role.Ops);

    private LedgerRecord State => record.State;
    private string OrderId => this.GetPrimaryKeyString();

    public async Task HoldAsync(Order order, string disputeId)
    {
        RequireThisOrder(order.OrderId);
        var entryId = $"hold:{disputeId}";
        if (!order.Guaranteed || State.Has(entryId)) return;
        UseCurrency(order.Currency);
        Record(entryId, "hold", null, $"order total held in escrow while dispute {disputeId} is open",
            (LedgerAccount.Consumer, -order.Total), (LedgerAccount.Escrow, order.Total));
        await record.WriteStateAsync();
    }

    public async Task SettleAsync(Instruction instruction)
    {
        RequireThisOrder(instruction);
        // Settled or compensated already: one of the two, once.
        if (State.HasAnyFor(instruction.InstructionId)) return;
        UseCurrency(instruction.Currency);
        var fromEscrow = Math.Min(instruction.Amount, State.Balance(LedgerAccount.Escrow));
        var fromMerchant = instruction.Amount - fromEscrow;
        if (instruction.Amount > 0)
            Record($"refund:{instruction.InstructionId}", "refund", instruction.InstructionId,
                $"{instruction.Remedy} carried out: {instruction.Amount} to the consumer" + (fromEscrow > 0 ? " from escrow" : " by the merchant"),
                (LedgerAccount.Escrow, -fromEscrow), (LedgerAccount.Merchant, -fromMerchant), (LedgerAccount.Consumer, instruction.Amount));
        ReleaseEscrow($"release:{instruction.InstructionId}", instruction.InstructionId, "the rest of escrow released to the merchant");
        await record.WriteStateAsync();
    }

    public async Task ReleaseAsync(string disputeId, string reason)
    {
        var entryId = $"release:{disputeId}";
        if (State.Has(entryId)) return;
        reason = Validation.RequireText(reason, Validation.MaxMessageLength, "release reason");
        if (ReleaseEscrow(entryId, null, $"escrow released to the merchant: {reason}")) await record.WriteStateAsync();
    }

    public async Task CompensateAsync(Instruction instruction)
    {
        RequireThisOrder(instruction);
        if (State.HasAnyFor(instruction.InstructionId)) return;
        UseCurrency(instruction.Currency);
        var id = instruction.InstructionId;
        // Goods never exchanged or repaired are compensated at the order's value, as the dispute records it.
        var amount = instruction.Amount > 0 ? instruction.Amount : (await GrainFactory.GetGrain<IOrderGrain>(OrderId).GetAsync(LedgerReader)).Total;
        // The fund pays the consumer and the merchant owes it as much (the claim). Escrow is the dispute's to
        // release: the sale stands, and what the merchant owes is the claim.
        Record($"compensation:{id}", "compensation", id, $"the merchant did not carry out {instruction.Remedy}: the compensation fund pays {amount} to the consumer",
            (LedgerAccount.CompensationFund, -amount), (LedgerAccount.Consumer, amount));
        Record($"claim:{id}", "claim", id, $"the merchant owes the compensation fund {amount}",
            (LedgerAccount.Merchant, -amount), (LedgerAccount.Claims, amount));
        await record.WriteStateAsync();
    }

    public async Task RecoverAsync(Instruction instruction)
    {
        RequireThisOrder(instruction);
        var id = instruction.InstructionId;
        var claim = State.Posted($"claim:{id}", LedgerAccount.Claims);
        if (claim <= 0 || State.Has($"recovery:{id}")) return;
        Record($"recovery:{id}", "recovery", id, $"the merchant repaid the compensation fund {claim}; claim closed",
            (LedgerAccount.Claims, -claim), (LedgerAccount.CompensationFund, claim));
        await record.WriteStateAsync();
    }

    public async Task<LedgerView> GetAsync(Caller caller)
    {
        var order = await GrainFactory.GetGrain<IOrderGrain>(OrderId).GetAsync(LedgerReader);
        var mayRead = AccessPolicy.ReadsMoney(caller, order.ConsumerId, order.MerchantId);
        return mayRead ? State.View(OrderId, order.Currency) : throw MediationException.Forbidden($"{caller} may not read the ledger of order {OrderId}");
    }

    /// <summary>Moves whatever escrow holds to the merchant; false when it holds nothing.</summary>
    private bool ReleaseEscrow(string entryId, string? instructionId, string description)
    {
        var held = State.Balance(LedgerAccount.Escrow);
        if (held <= 0 || State.Has(entryId)) return false;
        Record(entryId, "release", instructionId, description, (LedgerAccount.Escrow, -held), (LedgerAccount.Merchant, held));
        return true;
    }

    private void Record(string entryId, string kind, string? instructionId, string description, params (LedgerAccount Account, decimal Amount)[] legs)
    {
        var postings = legs.Where(l => l.Amount != 0).Select(l => new LedgerPosting(l.Account, l.Amount)).ToList();
        if (postings.Sum(p => p.Amount) != 0) throw new InvalidOperationException($"ledger entry {entryId} does not balance");
        State.Entries.Add(new LedgerEntry(entryId, kind, postings, instructionId, clock.GetUtcNow(), description));
    }

    private void RequireThisOrder(Instruction instruction)
    {
        RequireThisOrder(instruction.OrderId);
        if (instruction.Amount < 0) throw MediationException.Invalid($"instruction {instruction.InstructionId} has a negative amount");
    }

    private void RequireThisOrder(string orderId)
    {
        if (orderId != OrderId) throw MediationException.Invalid($"order {orderId} was sent to the ledger of order {OrderId}");
    }

    private void UseCurrency(string currency)
    {
        State.Currency ??= currency;
        if (State.Currency != currency)
            throw MediationException.Invalid($"the ledger of order {OrderId} is in {State.Currency}, not {currency}");
    }
}
