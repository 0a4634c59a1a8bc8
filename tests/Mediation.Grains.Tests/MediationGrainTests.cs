namespace Mediation.Grains.Tests;

/// <summary>Mediation on the cluster with its fake clock: the desks, the ruling and its enforcement, the return leg.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MediationGrainTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;
    private readonly TestClock _clock = fixture.StartTestClock();
    private static readonly Caller Ops = new("ops-1", Role.Ops);

    private sealed record Case(IDisputeGrain Dispute, string DisputeId, Order Order, Caller Consumer, Caller Merchant);

    private async Task<Case> OpenAsync(string city, Remedy remedy = Remedy.FullRefund, decimal claimed = 200m)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var order = new Order($"o-{id}", $"c-{id}", $"m-{id}", "Lakeside Tea House", city,
            [new OrderItem("Longjing tea", "250 g tin", 2, 100m)], 200m, "CNY", _clock.Now.AddDays(-2), "Alipay");
        await Grains.GetGrain<IOrderGrain>(order.OrderId).SubmitAsync(order);
        var consumer = new Caller(order.ConsumerId, Role.Consumer);
        var opened = await Grains.GetGrain<IOrderGrain>(order.OrderId).OpenDisputeAsync(consumer,
            new OpenDisputeRequest(order.OrderId, DisputeCategory.Quality, remedy, claimed, "The tins arrived crushed."));
        return new Case(Grains.GetGrain<IDisputeGrain>(opened.Dispute.DisputeId), opened.Dispute.DisputeId, order, consumer, new Caller(order.MerchantId, Role.Merchant));
    }

    /// <summary>Opens disputes, lets the merchants answer, moves past the negotiation window and escalates them in order.</summary>
    private async Task<List<Case>> EscalatedAsync(string city, int count = 1)
    {
        var cases = new List<Case>();
        for (var i = 0; i < count; i++)
        {
            var c = await OpenAsync(city);
            await c.Dispute.SendMessageAsync(c.Merchant, "We do not agree.");
            cases.Add(c);
        }
        _clock.AdvanceTo(_clock.Elapsed + TimeSpan.FromHours(73));
        foreach (var c in cases) await c.Dispute.EscalateAsync(c.Consumer);
        return cases;
    }

    private Task WaitForAsync(Func<Task<bool>> condition, TimeSpan notAfter, string what) => _clock.WaitForAsync(condition, notAfter, what);

    [Fact]
    public async Task Escalations_go_to_the_least_loaded_available_mediator_and_the_oldest_waiting_case_goes_first()
    {
        var desk = Grains.GetGrain<IMediationDeskGrain>("Balance");
        var away = new Caller("med-b3", Role.Mediator);
        await desk.SetAvailabilityAsync(away, available: false);

        // Ten cases over two available mediators (a limit of five open cases each), then two more that must wait.
        var cases = await EscalatedAsync("Balance", 12);
        var window = _clock.Elapsed;

        var views = await Task.WhenAll(cases.Select(c => c.Dispute.GetAsync(c.Consumer)));
        var load = views.Take(10).GroupBy(v => v.MediatorId).ToDictionary(g => g.Key ?? "none", g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["med-b1"] = 5, ["med-b2"] = 5 }, load);
        Assert.All(views.Take(10), v => Assert.Equal(DisputeState.InMediation, v.State));
        Assert.All(views.Skip(10), v => Assert.Equal((DisputeState.Escalated, (string?)null), (v.State, v.MediatorId)));
        var queue = await desk.GetQueueAsync(new Caller("med-b1", Role.Mediator));
        Assert.Equal([cases[10].DisputeId, cases[11].DisputeId], queue.Waiting.Select(w => w.DisputeId));
        Assert.Equal(5, queue.MyCases.Count);

        // One of med-b1's cases ends: med-b1 takes the oldest waiting case, and only that one.
        var ending = cases.Take(10).First(c => views[cases.IndexOf(c)].MediatorId == "med-b1");
        await ending.Dispute.WithdrawAsync(ending.Consumer);
        Assert.Equal("med-b1", (await cases[10].Dispute.GetAsync(cases[10].Consumer)).MediatorId);
        Assert.Null((await cases[11].Dispute.GetAsync(cases[11].Consumer)).MediatorId);

        // The last case waits past the offer time: any available mediator takes it, however loaded.
        await WaitForAsync(async () => (await cases[11].Dispute.GetAsync(cases[11].Consumer)).State == DisputeState.InMediation,
            window + TimeSpan.FromHours(2), "the long-waiting case being offered on");
        Assert.Contains((await cases[11].Dispute.GetAsync(cases[11].Consumer)).MediatorId, new[] { "med-b1", "med-b2" });
        Assert.Empty((await desk.GetQueueAsync(away)).Waiting);
        await desk.SetAvailabilityAsync(away, available: true);
    }

    [Fact]
    public async Task A_complaint_forwarded_by_an_association_goes_ahead_of_the_waiting_cases()
    {
        var desk = Grains.GetGrain<IMediationDeskGrain>("Priority");
        var mediator = new Caller("med-p1", Role.Mediator);
        await desk.SetAvailabilityAsync(mediator, available: false);

        // Six ordinary cases and one forwarded complaint, all escalated at the same moment, the complaint last.
        var cases = new List<Case>();
        for (var i = 0; i < 6; i++) cases.Add(await OpenAsync("Priority"));
        var forwarded = await ForwardAsync("Priority");
        foreach (var c in cases.Append(forwarded)) await c.Dispute.SendMessageAsync(c.Merchant, "We do not agree.");
        _clock.AdvanceTo(_clock.Elapsed + TimeSpan.FromHours(73));
        foreach (var c in cases.Append(forwarded)) await c.Dispute.EscalateAsync(c.Consumer);

        var queue = await desk.GetQueueAsync(mediator);
        Assert.Equal([forwarded.DisputeId, .. cases.Select(c => c.DisputeId)], queue.Waiting.Select(w => w.DisputeId));
        Assert.Equal([true, false, false, false, false, false, false], queue.Waiting.Select(w => w.Priority));

        // The mediator comes back with room for five (MaxOpenCases): the complaint and the four oldest ordinary cases.
        await desk.SetAvailabilityAsync(mediator, available: true);
        Assert.Equal("med-p1", (await forwarded.Dispute.GetAsync(forwarded.Consumer)).MediatorId);
        queue = await desk.GetQueueAsync(mediator);
        Assert.Equal([cases[4].DisputeId, cases[5].DisputeId], queue.Waiting.Select(w => w.DisputeId));
        Assert.Contains(forwarded.DisputeId, queue.MyCases.Select(c => c.DisputeId));
        foreach (var c in cases.Skip(4))
        {
            var view = await c.Dispute.GetAsync(c.Consumer);
            Assert.Equal((DisputeState.Escalated, (string?)null), (view.State, view.MediatorId));
        }
    }

    /// <summary>A complaint about a paid order forwarded by a consumers' association to a partner platform.</summary>
    private async Task<Case> ForwardAsync(string city)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var order = new Order($"o-{id}", $"c-{id}", $"m-{id}", "Harbour Electronics", city,
            [new OrderItem("Earphones", "white", 1, 200m)], 200m, "CNY", _clock.Now.AddDays(-2), "Alipay");
        await Grains.GetGrain<IOrderGrain>(order.OrderId).SubmitAsync(order);
        var forwarded = await Grains.GetGrain<IOrderGrain>(order.OrderId).ForwardComplaintAsync(new Caller("assoc-1", Role.Regulator),
            new OpenDisputeRequest(order.OrderId, DisputeCategory.Quality, Remedy.FullRefund, 200m, "No sound from the left side."), "shop-partner");
        Assert.True(forwarded.Dispute.Priority);
        return new Case(Grains.GetGrain<IDisputeGrain>(forwarded.Dispute.DisputeId), forwarded.Dispute.DisputeId, order,
            new Caller(order.ConsumerId, Role.Consumer), new Caller(order.MerchantId, Role.Merchant));
    }

    [Fact]
    public async Task A_ruling_not_carried_out_in_time_is_paid_by_the_fund_and_recovered_later()
    {
        var c = (await EscalatedAsync("Ruling")).Single();
        var mediator = new Caller("med-r1", Role.Mediator);
        var assigned = await c.Dispute.GetAsync(mediator);
        Assert.Equal((DisputeState.InMediation, "med-r1"), (assigned.State, assigned.MediatorId));
        Assert.Contains(DisputeAction.Rule, assigned.AllowedActions);

        var proposal = await c.Dispute.ProposeAsync(mediator, Remedy.PartialRefund, 80m, false, "Half the tins were crushed: 80 back.");
        await c.Dispute.AcceptProposalAsync(c.Consumer, proposal.Seq);
        await c.Dispute.RejectProposalAsync(c.Merchant, proposal.Seq);
        var ruled = await c.Dispute.RuleAsync(mediator, new Ruling(DisputeCategory.DamagedInTransport, Responsibility.Merchant,
            Remedy.PartialRefund, 80m, false, "The photos show crushed tins; the merchant packed them loose."));
        Assert.Equal(DisputeEventType.Ruled, ruled.Type);

        var enforcing = await c.Dispute.GetAsync(c.Consumer);
        Assert.Equal(DisputeState.Enforcing, enforcing.State);
        Assert.True(enforcing.EvidenceSealed);
        var instructionId = enforcing.Outcome!.InstructionId!;
        Assert.Equal(("ruling", 80m), (enforcing.Outcome.Source, enforcing.Outcome.Amount));

        // The merchant does nothing: past the instruction's window, the fund pays.
        var due = _clock.Elapsed + TimeSpan.FromDays(3);
        _clock.AdvanceTo(due - TimeSpan.FromMinutes(1));
        Assert.Equal(DisputeState.Enforcing, (await c.Dispute.GetAsync(c.Consumer)).State);
        _clock.AdvanceTo(due);
        await WaitForAsync(async () => (await c.Dispute.GetAsync(c.Consumer)).State == DisputeState.Compensated,
            due + TimeSpan.FromMinutes(5), "compensation");
        var timeline = await c.Dispute.GetEventsAsync(c.Consumer, 0, 100);
        var compensated = Assert.Single(timeline, e => e.Type == DisputeEventType.Compensated);
        Assert.Equal((80m, instructionId), (compensated.Amount, compensated.InstructionId));
        var standing = await Grains.GetGrain<IMerchantProfileGrain>(c.Order.MerchantId).GetStandingAsync();
        Assert.Equal((1, 1), (standing.UnpaidClaims, standing.RulingsAgainst));
        Assert.True(standing.Score < 100);

        // The merchant carries it out late: the claim is recovered.
        await c.Dispute.InstructionReportedAsync(instructionId, InstructionOutcome.Done, null);
        var after = await c.Dispute.GetEventsAsync(c.Consumer, compensated.Seq, 100);
        Assert.Contains(after, e => e.Type == DisputeEventType.ClaimRecovered && e.Amount == 80m);
        var later = await Grains.GetGrain<IMerchantProfileGrain>(c.Order.MerchantId).GetStandingAsync();
        Assert.Equal(0, later.UnpaidClaims);
        Assert.True(later.Score > standing.Score);

        // The ledger: the fund paid the consumer first, recorded the claim, and was repaid; it balances throughout.
        var ledger = await Grains.GetGrain<ILedgerGrain>(c.Order.OrderId).GetAsync(Ops);
        Assert.True(ledger.Balanced);
        Assert.Equal(["compensation", "claim", "recovery"], ledger.Entries.Select(e => e.Kind).Where(k => k != "release"));
        Assert.Equal((80m, 0m, 0m), (ledger.Balances.GetValueOrDefault(LedgerAccount.Consumer), ledger.Balances.GetValueOrDefault(LedgerAccount.CompensationFund), ledger.OpenClaims));
    }

    [Fact]
    public async Task A_return_the_merchant_does_not_acknowledge_counts_as_received_and_damaged_goods_go_back_to_the_mediator()
    {
        var address = "No. 8 Longjing Road, Hangzhou, tel 13800138000";
        // Settled by the parties on a return and refund: the goods go back first, to the address only the parties see.
        var silent = await OpenAsync("Returns", Remedy.ReturnAndRefund, 200m);
        await Grains.GetGrain<IMerchantProfileGrain>(silent.Order.MerchantId).SetAsync(Ops, new MerchantProfile(silent.Order.MerchantId, true, "Returns", address));
        var claim = (await silent.Dispute.GetAsync(silent.Merchant)).OpenOffer!;
        await silent.Dispute.AcceptOfferAsync(silent.Merchant, claim.Seq);
        var awaiting = await silent.Dispute.GetAsync(silent.Consumer);
        Assert.Equal((DisputeState.AwaitingReturn, address), (awaiting.State, awaiting.ReturnAddress));
        Assert.Equal([DisputeAction.SendMessage, DisputeAction.ShipReturn], awaiting.AllowedActions);

        await silent.Dispute.ShipReturnAsync(silent.Consumer, "SF Express", "SF1234567890");
        var receiptDue = _clock.Elapsed + TimeSpan.FromDays(7);
        _clock.AdvanceTo(receiptDue);
        await WaitForAsync(async () => (await silent.Dispute.GetAsync(silent.Consumer)).State == DisputeState.Enforcing,
            receiptDue + TimeSpan.FromMinutes(5), "the silent merchant's receipt");
        var events = await silent.Dispute.GetEventsAsync(silent.Consumer, 0, 100);
        var received = Assert.Single(events, e => e.Type == DisputeEventType.ReturnReceived);
        Assert.Equal((GoodsCondition.AsExpected, Roles.System), (received.Condition, received.AuthorRole));
        Assert.Contains(events, e => e.Type == DisputeEventType.InstructionIssued && e.Amount == 200m && e.Seq > received.Seq);

        // A mediated case ruled "return first": the merchant reports the parcel empty, and the case goes back to the mediator.
        var mediated = (await EscalatedAsync("Returns")).Single();
        var mediator = new Caller("med-x1", Role.Mediator);
        await mediated.Dispute.RuleAsync(mediator, new Ruling(DisputeCategory.NotAsDescribed, Responsibility.Merchant,
            Remedy.ReturnAndRefund, 200m, true, "Not as described: return it for a full refund."));
        Assert.Equal(DisputeState.AwaitingReturn, (await mediated.Dispute.GetAsync(mediated.Consumer)).State);
        await mediated.Dispute.ShipReturnAsync(mediated.Consumer, "YTO", "YT998877");
        var refused = await Assert.ThrowsAsync<MediationException>(() => mediated.Dispute.AcknowledgeReturnAsync(mediated.Merchant, GoodsCondition.Empty, null));
        Assert.Equal(ErrorCode.Invalid, refused.Code);
        await mediated.Dispute.AcknowledgeReturnAsync(mediated.Merchant, GoodsCondition.Empty, "The box was empty.");
        var back = await mediated.Dispute.GetAsync(mediator);
        Assert.Equal((DisputeState.InMediation, "med-x1", false), (back.State, back.MediatorId, back.EvidenceSealed));
        Assert.Null(back.ReturnAddress);
        Assert.Contains(DisputeAction.Rule, back.AllowedActions);
    }
}
