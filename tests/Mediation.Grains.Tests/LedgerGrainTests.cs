namespace Mediation.Grains.Tests;

/// <summary>Every scenario ends by checking that the ledger balances and what each account holds.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LedgerGrainTests(ClusterFixture fixture)
{
    private static readonly Caller Ops = new("alipay", Role.Ops);
    private IGrainFactory Grains => fixture.Grains;
    private readonly TestClock _clock = fixture.StartTestClock();

    private async Task<Order> PaidOrderAsync(bool guaranteed, decimal total = 200m)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var order = new Order($"o-{id}", $"c-{id}", $"m-{id}", "Lakeside Tea House", "Hangzhou",
            [new OrderItem("Longjing tea", "250 g tin", 2, total / 2)], total, "CNY", _clock.Start.AddDays(-2), "Alipay") { Guaranteed = guaranteed };
        await Grains.GetGrain<IOrderGrain>(order.OrderId).SubmitAsync(order);
        return order;
    }

    private Instruction InstructionFor(Order order, string disputeId, decimal amount, Remedy remedy = Remedy.PartialRefund) => new(
        $"ins-{disputeId}-1", disputeId, order.OrderId, order.ConsumerId, order.MerchantId, remedy, amount, order.Currency,
        ReturnFirst: false, order.Guaranteed, _clock.Now, _clock.Now.AddDays(3), "settlement");

    private async Task<LedgerView> BalancedLedgerAsync(Order order)
    {
        var view = await Grains.GetGrain<ILedgerGrain>(order.OrderId).GetAsync(Ops);
        Assert.True(view.Balanced, "every entry's postings sum to zero");
        Assert.All(view.Entries, e => Assert.Equal(0m, e.Postings.Sum(p => p.Amount)));
        Assert.Equal(0m, view.Balances.Values.Sum());
        Assert.Equal(view.Balances[LedgerAccount.Claims], view.OpenClaims);
        return view;
    }

    private static void AssertBalances(LedgerView view, decimal escrow, decimal consumer, decimal merchant, decimal fund, decimal claims)
    {
        Assert.Equal(escrow, view.Balances[LedgerAccount.Escrow]);
        Assert.Equal(consumer, view.Balances[LedgerAccount.Consumer]);
        Assert.Equal(merchant, view.Balances[LedgerAccount.Merchant]);
        Assert.Equal(fund, view.Balances[LedgerAccount.CompensationFund]);
        Assert.Equal(claims, view.Balances[LedgerAccount.Claims]);
    }

    [Fact]
    public async Task Guaranteed_partial_refund_pays_the_consumer_from_escrow_and_releases_the_rest_to_the_merchant()
    {
        var order = await PaidOrderAsync(guaranteed: true);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        await ledger.HoldAsync(order, "d-g1");
        AssertBalances(await BalancedLedgerAsync(order), escrow: 200m, consumer: -200m, merchant: 0m, fund: 0m, claims: 0m);

        await ledger.SettleAsync(InstructionFor(order, "d-g1", 60m));

        var view = await BalancedLedgerAsync(order);
        AssertBalances(view, escrow: 0m, consumer: -140m, merchant: 140m, fund: 0m, claims: 0m);
        Assert.Equal(["hold", "refund", "release"], view.Entries.Select(e => e.Kind));
        Assert.Equal(60m, view.Entries.Single(e => e.Kind == "refund").Postings.Single(p => p.Account == LedgerAccount.Consumer).Amount);
        Assert.Equal("CNY", view.Currency);
    }

    [Fact]
    public async Task Not_guaranteed_refund_is_paid_by_the_merchant_and_nothing_is_held()
    {
        var order = await PaidOrderAsync(guaranteed: false);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        await ledger.HoldAsync(order, "d-n1");
        AssertBalances(await BalancedLedgerAsync(order), escrow: 0m, consumer: 0m, merchant: 0m, fund: 0m, claims: 0m);

        await ledger.SettleAsync(InstructionFor(order, "d-n1", 75.5m));

        var view = await BalancedLedgerAsync(order);
        AssertBalances(view, escrow: 0m, consumer: 75.5m, merchant: -75.5m, fund: 0m, claims: 0m);
        Assert.Equal(["refund"], view.Entries.Select(e => e.Kind));
    }

    [Fact]
    public async Task Withdrawn_guaranteed_dispute_releases_the_whole_escrow_to_the_merchant()
    {
        var order = await PaidOrderAsync(guaranteed: true);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        await ledger.HoldAsync(order, "d-w1");
        await ledger.ReleaseAsync("d-w1", "withdrawn by the consumer");

        var view = await BalancedLedgerAsync(order);
        AssertBalances(view, escrow: 0m, consumer: -200m, merchant: 200m, fund: 0m, claims: 0m);
        Assert.Equal(["hold", "release"], view.Entries.Select(e => e.Kind));
    }

    [Fact]
    public async Task Merchant_who_does_not_pay_leaves_a_claim_the_fund_paid_and_a_recovery_closes_it()
    {
        var order = await PaidOrderAsync(guaranteed: false);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        var instruction = InstructionFor(order, "d-c1", 120m);

        await ledger.CompensateAsync(instruction);
        var compensated = await BalancedLedgerAsync(order);
        AssertBalances(compensated, escrow: 0m, consumer: 120m, merchant: -120m, fund: -120m, claims: 120m);
        Assert.Equal(120m, compensated.OpenClaims);
        Assert.Equal(["compensation", "claim"], compensated.Entries.Select(e => e.Kind));

        await ledger.RecoverAsync(instruction);
        var recovered = await BalancedLedgerAsync(order);
        AssertBalances(recovered, escrow: 0m, consumer: 120m, merchant: -120m, fund: 0m, claims: 0m);
        Assert.Equal(0m, recovered.OpenClaims);
        Assert.Equal(["compensation", "claim", "recovery"], recovered.Entries.Select(e => e.Kind));
    }

    [Fact]
    public async Task Guaranteed_order_whose_merchant_fails_is_paid_by_the_fund_the_escrow_released_and_the_claim_recovered()
    {
        var order = await PaidOrderAsync(guaranteed: true);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        var instruction = InstructionFor(order, "d-gc1", 80m);
        await ledger.HoldAsync(order, "d-gc1");

        await ledger.CompensateAsync(instruction);
        await ledger.ReleaseAsync("d-gc1", "the dispute is compensated");
        var compensated = await BalancedLedgerAsync(order);
        AssertBalances(compensated, escrow: 0m, consumer: -120m, merchant: 120m, fund: -80m, claims: 80m);
        Assert.Equal(80m, compensated.OpenClaims);

        await ledger.RecoverAsync(instruction);
        var view = await BalancedLedgerAsync(order);
        AssertBalances(view, escrow: 0m, consumer: -120m, merchant: 120m, fund: 0m, claims: 0m);
        Assert.Equal(["hold", "compensation", "claim", "release", "recovery"], view.Entries.Select(e => e.Kind));
    }

    [Fact]
    public async Task An_exchange_never_carried_out_is_compensated_at_the_orders_value()
    {
        var order = await PaidOrderAsync(guaranteed: false, total: 90m);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        await ledger.CompensateAsync(InstructionFor(order, "d-x9", 0m, Remedy.Exchange));

        var view = await BalancedLedgerAsync(order);
        AssertBalances(view, escrow: 0m, consumer: 90m, merchant: -90m, fund: -90m, claims: 90m);
    }

    [Fact]
    public async Task Recording_the_same_movement_twice_records_it_once()
    {
        var order = await PaidOrderAsync(guaranteed: true);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        var instruction = InstructionFor(order, "d-i1", 50m);

        await ledger.HoldAsync(order, "d-i1");
        await ledger.HoldAsync(order, "d-i1");
        await ledger.SettleAsync(instruction);
        await ledger.SettleAsync(instruction);
        await ledger.CompensateAsync(instruction); // settled already: one outcome per instruction
        await ledger.ReleaseAsync("d-i1", "closed");

        var view = await BalancedLedgerAsync(order);
        Assert.Equal(["hold", "refund", "release"], view.Entries.Select(e => e.Kind));
        Assert.Equal(view.Entries.Count, view.Entries.Select(e => e.EntryId).Distinct().Count());
        AssertBalances(view, escrow: 0m, consumer: -150m, merchant: 150m, fund: 0m, claims: 0m);

        var other = await PaidOrderAsync(guaranteed: false);
        var owed = InstructionFor(other, "d-i2", 30m);
        var otherLedger = Grains.GetGrain<ILedgerGrain>(other.OrderId);
        await otherLedger.CompensateAsync(owed);
        await otherLedger.CompensateAsync(owed);
        await otherLedger.RecoverAsync(owed);
        await otherLedger.RecoverAsync(owed);
        var otherView = await BalancedLedgerAsync(other);
        Assert.Equal(["compensation", "claim", "recovery"], otherView.Entries.Select(e => e.Kind));
        AssertBalances(otherView, escrow: 0m, consumer: 30m, merchant: -30m, fund: 0m, claims: 0m);
    }

    [Fact]
    public async Task Only_the_orders_parties_and_ops_read_its_ledger_directly()
    {
        var order = await PaidOrderAsync(guaranteed: true);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        await ledger.HoldAsync(order, "d-r1");

        Assert.Single((await ledger.GetAsync(new Caller(order.ConsumerId, Role.Consumer))).Entries);
        Assert.Single((await ledger.GetAsync(new Caller(order.MerchantId, Role.Merchant))).Entries);
        // A mediator reads it in the case file of its assigned case, not order by order.
        var mediator = await Assert.ThrowsAsync<MediationException>(() => ledger.GetAsync(new Caller("med-1", Role.Mediator)));
        Assert.Equal(ErrorCode.Forbidden, mediator.Code);
        var stranger = await Assert.ThrowsAsync<MediationException>(() => ledger.GetAsync(new Caller("c-other", Role.Consumer)));
        Assert.Equal(ErrorCode.Forbidden, stranger.Code);
        var regulator = await Assert.ThrowsAsync<MediationException>(() => ledger.GetAsync(new Caller("reg-1", Role.Regulator)));
        Assert.Equal(ErrorCode.Forbidden, regulator.Code);
        var missing = await Assert.ThrowsAsync<MediationException>(() => Grains.GetGrain<ILedgerGrain>("o-missing").GetAsync(Ops));
        Assert.Equal(ErrorCode.NotFound, missing.Code);
    }

    [Fact]
    public async Task An_instruction_for_another_order_is_refused_and_changes_nothing()
    {
        var order = await PaidOrderAsync(guaranteed: true);
        var other = await PaidOrderAsync(guaranteed: false);
        var ledger = Grains.GetGrain<ILedgerGrain>(order.OrderId);
        await ledger.HoldAsync(order, "d-x1");

        var refused = await Assert.ThrowsAsync<MediationException>(() => ledger.SettleAsync(InstructionFor(other, "d-x2", 10m)));
        Assert.Equal(ErrorCode.Invalid, refused.Code);
        AssertBalances(await BalancedLedgerAsync(order), escrow: 200m, consumer: -200m, merchant: 0m, fund: 0m, claims: 0m);
    }
}
