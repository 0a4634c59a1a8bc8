using Mediation.Grains.Disputes;
using static Mediation.DisputeAction;

namespace Mediation.Grains.Tests;

/// <summary>Every allowed and every refused action, per state, situation and role.</summary>
public sealed class DisputeStateMachineTests
{
    private static readonly DateTimeOffset Opened = new(2026, 11, 11, 10, 0, 0, TimeSpan.Zero);
    private static readonly DisputeDeadlines Deadlines = new(
        MerchantRespondBy: Opened.AddHours(24), NegotiationEndsAt: Opened.AddHours(72), ExpiresAt: Opened.AddDays(14), RemedyDueBy: Opened.AddDays(10))
    {
        MerchantWarningAt = Opened.AddHours(20),
    };
    private static readonly OpenOffer ConsumerClaim = new(1, "c1", Role.Consumer, Remedy.FullRefund, 100m);
    private static readonly OpenOffer MerchantOffer = new(5, "m1", Role.Merchant, Remedy.PartialRefund, 40m);

    private static DisputeFacts Facts(DisputeState state, double hoursAfterOpening = 1, bool merchantResponded = true,
        OpenOffer? offer = null, bool confirmed = false, bool overdue = false) =>
        new(state, Opened.AddHours(hoursAfterOpening), Deadlines, merchantResponded, offer, confirmed, overdue);

    public static TheoryData<string, DisputeFacts, Role, DisputeAction[]> Situations => new()
    {
        { "awaiting merchant, in time", Facts(DisputeState.AwaitingMerchant, 1, false, ConsumerClaim), Role.Consumer, [SendMessage, Withdraw] },
        { "awaiting merchant, in time", Facts(DisputeState.AwaitingMerchant, 1, false, ConsumerClaim), Role.Merchant, [SendMessage, MakeOffer, AcceptOffer, RejectOffer] },
        { "awaiting merchant, merchant silent past 24h", Facts(DisputeState.AwaitingMerchant, 25, false, ConsumerClaim), Role.Consumer, [SendMessage, Withdraw, Escalate] },
        { "awaiting merchant, merchant silent past 24h", Facts(DisputeState.AwaitingMerchant, 25, false, ConsumerClaim), Role.Merchant, [SendMessage, MakeOffer, AcceptOffer, RejectOffer, Escalate] },
        { "negotiating, merchant offer open", Facts(DisputeState.Negotiating, 30, true, MerchantOffer), Role.Consumer, [SendMessage, MakeOffer, AcceptOffer, RejectOffer, Withdraw] },
        { "negotiating, merchant offer open", Facts(DisputeState.Negotiating, 30, true, MerchantOffer), Role.Merchant, [SendMessage, MakeOffer] },
        { "negotiating, consumer offer open", Facts(DisputeState.Negotiating, 30, true, ConsumerClaim), Role.Merchant, [SendMessage, MakeOffer, AcceptOffer, RejectOffer] },
        { "negotiating, no offer, window over", Facts(DisputeState.Negotiating, 73, true), Role.Consumer, [SendMessage, MakeOffer, Withdraw, Escalate] },
        { "negotiating, no offer, window over", Facts(DisputeState.Negotiating, 73, true), Role.Merchant, [SendMessage, MakeOffer, Escalate] },
        { "settled, remedy not confirmed", Facts(DisputeState.Settled), Role.Consumer, [SendMessage, ConfirmRemedy] },
        { "settled, remedy not confirmed", Facts(DisputeState.Settled), Role.Merchant, [SendMessage] },
        { "settled, remedy confirmed", Facts(DisputeState.Settled, confirmed: true), Role.Consumer, [SendMessage] },
        { "escalated", Facts(DisputeState.Escalated, 80), Role.Consumer, [] },
        { "escalated", Facts(DisputeState.Escalated, 80), Role.Merchant, [] },
        { "withdrawn", Facts(DisputeState.Withdrawn), Role.Consumer, [] },
        { "withdrawn", Facts(DisputeState.Withdrawn), Role.Merchant, [] },
        { "expired", Facts(DisputeState.Expired, 400), Role.Consumer, [] },
        { "expired", Facts(DisputeState.Expired, 400), Role.Merchant, [] },
        { "opened (not yet created)", Facts(DisputeState.Opened), Role.Consumer, [] },
        { "negotiating, window over", Facts(DisputeState.Negotiating, 73, true, MerchantOffer), Role.Mediator, [] },
        { "negotiating, window over", Facts(DisputeState.Negotiating, 73, true, MerchantOffer), Role.Regulator, [] },
        { "awaiting merchant, silent", Facts(DisputeState.AwaitingMerchant, 25, false, ConsumerClaim), Role.Ops, [] },
    };

    [Theory]
    [MemberData(nameof(Situations))]
    public void Exactly_the_expected_actions_are_allowed_and_every_other_is_refused_with_a_reason(
        string situation, DisputeFacts facts, Role role, DisputeAction[] allowed)
    {
        Assert.Equal(allowed.Order(), DisputeStateMachine.AllowedActions(facts, role).Order());
        foreach (var action in Enum.GetValues<DisputeAction>())
        {
            var refusal = DisputeStateMachine.Refusal(facts, role, action);
            if (allowed.Contains(action)) Assert.Null(refusal);
            else Assert.False(string.IsNullOrWhiteSpace(refusal), $"{situation}: {role} {action} refused without a reason");
        }
    }

    [Fact]
    public void Escalation_is_refused_before_the_window_ends_once_the_merchant_has_answered()
    {
        var refusal = DisputeStateMachine.Refusal(Facts(DisputeState.Negotiating, 30, merchantResponded: true), Role.Consumer, Escalate);
        Assert.Contains("negotiation window", refusal);
    }

    [Fact]
    public void Only_the_other_party_answers_an_offer()
    {
        var refusal = DisputeStateMachine.Refusal(Facts(DisputeState.Negotiating, 30, true, MerchantOffer), Role.Merchant, AcceptOffer);
        Assert.Contains("other party", refusal);
    }

    [Theory]
    [InlineData(DisputeState.AwaitingMerchant, Role.Merchant, SendMessage, DisputeState.Negotiating)]
    [InlineData(DisputeState.AwaitingMerchant, Role.Merchant, MakeOffer, DisputeState.Negotiating)]
    [InlineData(DisputeState.AwaitingMerchant, Role.Merchant, RejectOffer, DisputeState.Negotiating)]
    [InlineData(DisputeState.AwaitingMerchant, Role.Merchant, AcceptOffer, DisputeState.Settled)]
    [InlineData(DisputeState.Negotiating, Role.Consumer, AcceptOffer, DisputeState.Settled)]
    [InlineData(DisputeState.Negotiating, Role.Consumer, Withdraw, DisputeState.Withdrawn)]
    [InlineData(DisputeState.AwaitingMerchant, Role.Consumer, Withdraw, DisputeState.Withdrawn)]
    [InlineData(DisputeState.Negotiating, Role.Merchant, Escalate, DisputeState.Escalated)]
    [InlineData(DisputeState.AwaitingMerchant, Role.Consumer, Escalate, DisputeState.Escalated)]
    public void Allowed_actions_lead_to_the_expected_state(DisputeState from, Role role, DisputeAction action, DisputeState to) =>
        Assert.Equal(to, DisputeStateMachine.NextState(Facts(from, 1, false, ConsumerClaim), role, action));

    [Theory]
    [InlineData(DisputeState.AwaitingMerchant, Role.Consumer, SendMessage)]
    [InlineData(DisputeState.Negotiating, Role.Merchant, SendMessage)]
    [InlineData(DisputeState.Negotiating, Role.Consumer, MakeOffer)]
    [InlineData(DisputeState.Negotiating, Role.Merchant, RejectOffer)]
    [InlineData(DisputeState.Settled, Role.Consumer, ConfirmRemedy)]
    public void Other_actions_keep_the_state(DisputeState from, Role role, DisputeAction action) =>
        Assert.Null(DisputeStateMachine.NextState(Facts(from, 1, false, ConsumerClaim), role, action));

    [Fact]
    public void A_silent_merchant_past_the_first_response_deadline_escalates_the_dispute()
    {
        Assert.Null(DisputeStateMachine.DueOutcome(Facts(DisputeState.AwaitingMerchant, 23.9, false) with { MerchantWarned = true }));
        var outcome = DisputeStateMachine.DueOutcome(Facts(DisputeState.AwaitingMerchant, 24, false));
        Assert.Equal(DisputeState.Escalated, outcome?.State);
    }

    [Fact]
    public void A_silent_merchant_is_warned_once_before_the_first_response_deadline()
    {
        Assert.Null(DisputeStateMachine.DueOutcome(Facts(DisputeState.AwaitingMerchant, 19.9, false)));
        Assert.Equal(DisputeEventType.DeadlineWarning, DisputeStateMachine.DueOutcome(Facts(DisputeState.AwaitingMerchant, 20, false))?.Type);
        var warned = Facts(DisputeState.AwaitingMerchant, 20, false) with { MerchantWarned = true };
        Assert.Null(DisputeStateMachine.DueOutcome(warned));
        Assert.Equal(Deadlines.MerchantRespondBy, DisputeStateMachine.NextDeadline(warned)?.At);
        Assert.Null(DisputeStateMachine.DueOutcome(Facts(DisputeState.AwaitingMerchant, 21, merchantResponded: true)));
    }

    [Fact]
    public void An_open_dispute_nobody_settles_expires()
    {
        Assert.Null(DisputeStateMachine.DueOutcome(Facts(DisputeState.Negotiating, 24 * 13)));
        Assert.Equal(DisputeState.Expired, DisputeStateMachine.DueOutcome(Facts(DisputeState.Negotiating, 24 * 14))?.State);
    }

    [Fact]
    public void An_unconfirmed_remedy_past_its_window_is_flagged_once()
    {
        Assert.Equal(DisputeEventType.RemedyOverdue, DisputeStateMachine.DueOutcome(Facts(DisputeState.Settled, 24 * 10))?.Type);
        Assert.Null(DisputeStateMachine.DueOutcome(Facts(DisputeState.Settled, 24 * 10, overdue: true)));
        Assert.Null(DisputeStateMachine.DueOutcome(Facts(DisputeState.Settled, 24 * 10, confirmed: true)));
    }

    [Theory]
    [InlineData(DisputeState.Escalated)]
    [InlineData(DisputeState.Withdrawn)]
    [InlineData(DisputeState.Expired)]
    public void Closed_disputes_have_no_deadlines(DisputeState state)
    {
        Assert.Null(DisputeStateMachine.DueOutcome(Facts(state, 24 * 100, false)));
        Assert.Null(DisputeStateMachine.NextDeadline(Facts(state, 1, false)));
    }

    [Fact]
    public void The_next_deadline_is_the_one_the_dispute_is_running_against()
    {
        Assert.Equal(Deadlines.MerchantWarningAt, DisputeStateMachine.NextDeadline(Facts(DisputeState.AwaitingMerchant, 1, false))?.At);
        Assert.Equal(Deadlines.ExpiresAt, DisputeStateMachine.NextDeadline(Facts(DisputeState.Negotiating, 1, true))?.At);
        Assert.Equal(Deadlines.RemedyDueBy, DisputeStateMachine.NextDeadline(Facts(DisputeState.Settled))?.At);
    }
}
