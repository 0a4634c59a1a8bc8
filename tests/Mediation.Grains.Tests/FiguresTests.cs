using Mediation.Grains.Figures;

namespace Mediation.Grains.Tests;

/// <summary>The arithmetic of the regulator's figures, on summary lines made by hand.</summary>
public sealed class FigureMathTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly FiguresQuery Week = new(null, Start, Start.AddDays(7), null);
    private static int _next;

    private static DisputeSummary Line(string merchant, string city, DisputeState state, DisputeCategory category = DisputeCategory.Quality,
        double openedDay = 0, double? answeredAfterHours = null) =>
        new($"d-{Interlocked.Increment(ref _next)}", "o", "c", merchant, state, category, Start.AddDays(openedDay), Start.AddDays(openedDay),
            null, null, 1, answeredAfterHours is { } h ? Start.AddDays(openedDay).AddHours(h) : null, false) { City = city };

    [Fact]
    public void Nine_disputes_give_the_rates_medians_breaches_and_money_a_regulator_reads()
    {
        var lines = new List<DisputeSummary>
        {
            // Four settled by the parties and one withdrawn: five the parties ended themselves.
            Line("m-a", "Hangzhou", DisputeState.Closed, answeredAfterHours: 1) with { SettledByParties = true, ConsumerRating = 5, MerchantRating = 4 },
            Line("m-a", "Hangzhou", DisputeState.Closed, answeredAfterHours: 2) with { SettledByParties = true },
            Line("m-a", "Hangzhou", DisputeState.Enforcing, DisputeCategory.NotDelivered, openedDay: 1, answeredAfterHours: 3) with { SettledByParties = true },
            Line("m-b", "Xiamen", DisputeState.Settled, DisputeCategory.NotDelivered, openedDay: 1, answeredAfterHours: 30) with
            {
                SettledByParties = true, MerchantMissedFirstResponse = true,
            },
            Line("m-b", "Xiamen", DisputeState.Withdrawn, DisputeCategory.Service, openedDay: 2),
            // Escalated by a silent merchant, ruled against it; the fund paid 120 and recovered 20.
            Line("m-b", "Xiamen", DisputeState.Compensated, DisputeCategory.NotDelivered, openedDay: 2) with
            {
                EscalatedAt = Start.AddDays(3), MerchantMissedFirstResponse = true, MediatorId = "med-1", Responsibility = Responsibility.Merchant,
                RuledAgainstMerchant = true, CompensationPaid = 120m, CompensationRecovered = 20m, ConsumerRating = 1,
            },
            // Escalated by the consumer, ruled against the consumer.
            Line("m-a", "Hangzhou", DisputeState.Closed, openedDay: 3, answeredAfterHours: 5) with
            {
                EscalatedAt = Start.AddDays(6), MediatorId = "med-1", Responsibility = Responsibility.Consumer,
            },
            Line("m-a", "Hangzhou", DisputeState.Expired, openedDay: 6),
            // Still negotiating: counts as opened, not (yet) in the rate.
            Line("m-c", "Hangzhou", DisputeState.Negotiating, DisputeCategory.Counterfeit, openedDay: 6, answeredAfterHours: 4),
        };
        var standings = new Dictionary<string, MerchantStanding>
        {
            ["m-a"] = new("m-a", true, 6, 0.8, 0, TimeSpan.FromHours(2), 0, 92, false),
            ["m-b"] = new("m-b", false, 3, 0.5, 1, TimeSpan.FromHours(30), 1, 41, true),
        };

        var figures = RegulatorFigureMath.Of(Week, lines, standings, Start.AddDays(8));

        var t = figures.Totals;
        Assert.Equal((9, 4, 2, 2), (t.Opened, t.SettledByParties, t.Escalated, t.Ruled));
        // Over: 4 settled + 1 withdrawn + 2 escalated + 1 expired = 8; ended by the parties: 5.
        Assert.Equal(8, t.NegotiationOver);
        Assert.Equal(5.0 / 8, t.ResolutionRateByParties);
        // Answers after 1, 2, 3, 4, 5 and 30 hours: the median is between 3 and 4.
        Assert.Equal(TimeSpan.FromHours(3.5), t.MedianFirstResponse);
        Assert.Equal((2, 1, 3), (t.MissedFirstResponses, t.RemediesNotCarriedOut, t.DeadlineBreaches));
        Assert.Equal((120m, 20m), (t.CompensationPaid, t.CompensationRecovered));
        Assert.Equal((5 + 4 + 1) / 3.0, t.AverageRating);

        Assert.Equal(
            [(DisputeCategory.Quality, 4), (DisputeCategory.NotDelivered, 3), (DisputeCategory.Counterfeit, 1), (DisputeCategory.Service, 1)],
            figures.TopCategories.Select(c => (c.Category, c.Disputes)));
        Assert.Equal([("Hangzhou", 6), ("Xiamen", 3)], figures.Cities.Select(c => (c.City, c.Totals.Opened)));
        Assert.Equal(2.0 / 3, figures.Cities.Single(c => c.City == "Xiamen").Totals.ResolutionRateByParties);

        // The flagged merchant first; a merchant without a standing answer is not flagged.
        Assert.Equal([("m-b", true, 41), ("m-a", false, 92), ("m-c", false, 100)], figures.Merchants.Select(m => (m.MerchantId, m.Flagged, m.Score)));
        Assert.Equal(["m-b"], figures.FlaggedMerchants);
        Assert.Equal("Xiamen", figures.Merchants[0].City);

        // Every day of the period, empty ones too.
        Assert.Equal(7, figures.Daily.Count);
        Assert.Equal([2, 2, 2, 1, 0, 0, 2], figures.Daily.Select(d => d.Opened));
        Assert.Equal([2, 2, 0, 0, 0, 0, 0], figures.Daily.Select(d => d.SettledByParties));
        Assert.Equal(new DateOnly(2026, 11, 7), figures.Daily[^1].Day);
    }

    [Fact]
    public void No_disputes_give_zeros_and_no_rate_rather_than_a_division_by_zero()
    {
        var figures = RegulatorFigureMath.Of(Week, [], new Dictionary<string, MerchantStanding>(), Start);
        Assert.Equal(0, figures.Totals.Opened);
        Assert.Null(figures.Totals.ResolutionRateByParties);
        Assert.Null(figures.Totals.MedianFirstResponse);
        Assert.Null(figures.Totals.AverageRating);
        Assert.Empty(figures.Merchants);
        Assert.Equal(7, figures.Daily.Count);
    }

    [Theory]
    [InlineData(0, "must start before it ends")]
    [InlineData(-1, "must start before it ends")]
    [InlineData(367, "at most 366 days")]
    public void A_period_that_ends_before_it_starts_or_spans_over_a_year_is_refused(int days, string why)
    {
        var error = Assert.Throws<MediationException>(() => RegulatorFigureMath.Validate(new FiguresQuery(null, Start, Start.AddDays(days), null)));
        Assert.Equal(ErrorCode.Invalid, error.Code);
        Assert.Contains(why, error.Message);
    }
}

/// <summary>The figures grain on the cluster: real disputes, their summary lines, the regulator's question.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FiguresGrainTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;
    private readonly TestClock _clock = fixture.StartTestClock();
    private static readonly Caller Regulator = new("reg-1", Role.Regulator);

    private async Task<(IDisputeGrain Dispute, Caller Consumer, Caller Merchant)> OpenAsync(string city, string merchantId, DisputeCategory category)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var order = new Order($"o-{id}", $"c-{id}", merchantId, "Lakeside Tea House", city,
            [new OrderItem("Longjing tea", "250 g tin", 2, 100m)], 200m, "CNY", _clock.Now.AddDays(-2), "Alipay");
        await Grains.GetGrain<IOrderGrain>(order.OrderId).SubmitAsync(order);
        var consumer = new Caller(order.ConsumerId, Role.Consumer);
        var opened = await Grains.GetGrain<IOrderGrain>(order.OrderId).OpenDisputeAsync(consumer,
            new OpenDisputeRequest(order.OrderId, category, Remedy.PartialRefund, 80m, "The tins arrived crushed."));
        return (Grains.GetGrain<IDisputeGrain>(opened.Dispute.DisputeId), consumer, new Caller(merchantId, Role.Merchant));
    }

    [Fact]
    public async Task A_settlement_and_a_silent_merchant_show_in_the_city_and_merchant_figures()
    {
        var city = $"Figures-{Guid.NewGuid():N}"[..20];
        var merchantId = $"m-fig-{Guid.NewGuid():N}"[..16];
        var from = _clock.Now.AddMinutes(-1);

        var settled = await OpenAsync(city, merchantId, DisputeCategory.Quality);
        var silent = await OpenAsync(city, merchantId, DisputeCategory.NotDelivered);
        var answered = await OpenAsync(city, merchantId, DisputeCategory.NotDelivered);
        _clock.AdvanceTo(TimeSpan.FromHours(2));
        await answered.Dispute.SendMessageAsync(answered.Merchant, "Sorry, looking into it.");
        var offer = await settled.Dispute.MakeOfferAsync(settled.Merchant, Remedy.PartialRefund, 60m);
        await settled.Dispute.AcceptOfferAsync(settled.Consumer, offer.Seq);
        // Past the merchant's 24 h the dispute it never answered escalates by itself.
        _clock.AdvanceTo(TimeSpan.FromHours(24.5));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await silent.Dispute.GetAsync(silent.Consumer)).State == DisputeState.AwaitingMerchant)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the silent merchant's dispute did not escalate by +{_clock.Elapsed} (test clock)");
            _clock.Step(TimeSpan.FromSeconds(5), TimeSpan.FromHours(26));
            await Task.Delay(20); // poll interval
        }

        var query = new FiguresQuery(city, from, _clock.Now.AddMinutes(1), null);
        var figures = await Grains.GetGrain<IFiguresGrain>(0).GetAsync(Regulator, query);

        var t = figures.Totals;
        Assert.Equal((3, 1, 1, 0), (t.Opened, t.SettledByParties, t.Escalated, t.Ruled));
        Assert.Equal(0.5, t.ResolutionRateByParties);
        Assert.Equal(TimeSpan.FromHours(2), t.MedianFirstResponse);
        Assert.Equal((1, 1), (t.MissedFirstResponses, t.DeadlineBreaches));
        Assert.Equal([(DisputeCategory.NotDelivered, 2), (DisputeCategory.Quality, 1)], figures.TopCategories.Select(c => (c.Category, c.Disputes)));
        Assert.Equal([(city, 3)], figures.Cities.Select(c => (c.City, c.Totals.Opened)));
        Assert.Equal([merchantId], figures.Merchants.Select(m => m.MerchantId));

        // One merchant's figures; ops may ask too.
        var mine = await Grains.GetGrain<IFiguresGrain>(0).GetAsync(new Caller("ops-1", Role.Ops), query with { City = null, MerchantId = merchantId });
        Assert.Equal(3, mine.Totals.Opened);

        // A period that ends before the disputes were opened has none of them.
        Assert.Equal(0, (await Grains.GetGrain<IFiguresGrain>(0).GetAsync(Regulator, query with { To = from.AddSeconds(30) })).Totals.Opened);
    }

    [Theory]
    [InlineData(Role.Consumer)]
    [InlineData(Role.Merchant)]
    [InlineData(Role.Mediator)]
    public async Task Only_the_regulator_and_ops_see_the_figures(Role role)
    {
        var error = await Assert.ThrowsAsync<MediationException>(() =>
            Grains.GetGrain<IFiguresGrain>(0).GetAsync(new Caller("someone", role), new FiguresQuery(null, _clock.Now.AddDays(-1), _clock.Now, null)));
        Assert.Equal(ErrorCode.Forbidden, error.Code);
    }
}
