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
        EvidenceDueBy = Opened.AddDays(6),
        MediationEndsAt = Opened.AddDays(8),
        ReturnReceiptDueBy = Opened.AddDays(9),
        InstructionDueBy = Opened.AddDays(9),
    };
    private static readonly OpenOffer ConsumerClaim = new(1, "c1", Role.Consumer, Remedy.FullRefund, 100m);
    private static readonly OpenOffer MerchantOffer = new(5, "m1", Role.Merchant, Remedy.PartialRefund, 40m);
    private static readonly OpenProposal Proposal = new(9, "med1", Remedy.PartialRefund, 60m, false, false, false);

    private static DisputeFacts Facts(DisputeState state, double hoursAfterOpening = 1, bool merchantResponded = true,
        OpenOffer? offer = null, bool confirmed = false, bool overdue = false) =>
        new(state, Opened.AddHours(hoursAfterOpening), Deadlines, merchantResponded, offer, confirmed, overdue);

    /// <summary>A dispute a mediator holds (assigned after escalation), at hour 100.</summary>
    private static DisputeFacts Mediated(DisputeState state, double hoursAfterOpening = 100) =>
        Facts(state, hoursAfterOpening) with { MediatorId = "med1" };

    private static readonly DisputeAction[] None = [];

    public static TheoryData<string, DisputeFacts, Role, DisputeAction[]> Situations => new()
    {
        { "awaiting merchant, in time", Facts(DisputeState.AwaitingMerchant, 1, false, ConsumerClaim), Role.Consumer, [SendMessage, Withdraw, AddEvidence] },
        { "awaiting merchant, in time", Facts(DisputeState.AwaitingMerchant, 1, false, ConsumerClaim), Role.Merchant, [SendMessage, MakeOffer, AcceptOffer, RejectOffer, AddEvidence] },
        { "awaiting merchant, merchant silent past 24h", Facts(DisputeState.AwaitingMerchant, 25, false, ConsumerClaim), Role.Consumer, [SendMessage, Withdraw, Escalate, AddEvidence] },
        { "awaiting merchant, merchant silent past 24h", Facts(DisputeState.AwaitingMerchant, 25, false, ConsumerClaim), Role.Merchant, [SendMessage, MakeOffer, AcceptOffer, RejectOffer, Escalate, AddEvidence] },
        { "negotiating, merchant offer open", Facts(DisputeState.Negotiating, 30, true, MerchantOffer), Role.Consumer, [SendMessage, MakeOffer, AcceptOffer, RejectOffer, Withdraw, AddEvidence] },
        { "negotiating, merchant offer open", Facts(DisputeState.Negotiating, 30, true, MerchantOffer), Role.Merchant, [SendMessage, MakeOffer, AddEvidence] },
        { "negotiating, consumer offer open", Facts(DisputeState.Negotiating, 30, true, ConsumerClaim), Role.Merchant, [SendMessage, MakeOffer, AcceptOffer, RejectOffer, AddEvidence] },
        { "negotiating, no offer, window over", Facts(DisputeState.Negotiating, 73, true), Role.Consumer, [SendMessage, MakeOffer, Withdraw, Escalate, AddEvidence] },
        { "negotiating, no offer, window over", Facts(DisputeState.Negotiating, 73, true), Role.Merchant, [SendMessage, MakeOffer, Escalate, AddEvidence] },
        { "negotiating, window over", Facts(DisputeState.Negotiating, 73, true, MerchantOffer), Role.Mediator, None },
        { "negotiating, window over", Facts(DisputeState.Negotiating, 73, true, MerchantOffer), Role.Regulator, None },
        { "awaiting merchant, silent", Facts(DisputeState.AwaitingMerchant, 25, false, ConsumerClaim), Role.Ops, None },
        { "opened (not yet created)", Facts(DisputeState.Opened), Role.Consumer, [SendMessage] },
        { "settled (on the way to its remedy)", Facts(DisputeState.Settled), Role.Consumer, [SendMessage] },
        { "settled (on the way to its remedy)", Facts(DisputeState.Settled), Role.Merchant, [SendMessage] },
        { "escalated, waiting for a mediator", Facts(DisputeState.Escalated, 80), Role.Consumer, [SendMessage, Withdraw, AddEvidence] },
        { "escalated, waiting for a mediator", Facts(DisputeState.Escalated, 80), Role.Merchant, [SendMessage, AddEvidence] },
        { "escalated, waiting for a mediator", Facts(DisputeState.Escalated, 80), Role.Mediator, None },
        { "escalated, waiting for a mediator", Facts(DisputeState.Escalated, 80), Role.Regulator, None },
        { "in mediation, no proposal", Mediated(DisputeState.InMediation), Role.Consumer, [SendMessage, Withdraw, AddEvidence] },
        { "in mediation, no proposal", Mediated(DisputeState.InMediation), Role.Merchant, [SendMessage, AddEvidence] },
        { "in mediation, no proposal", Mediated(DisputeState.InMediation), Role.Mediator, [SendMessage, AddEvidence, RequestEvidence, Propose, Rule] },
        { "in mediation, no proposal", Mediated(DisputeState.InMediation), Role.Regulator, None },
        { "in mediation, no proposal", Mediated(DisputeState.InMediation), Role.Ops, None },
        { "in mediation, proposal open", Mediated(DisputeState.InMediation) with { Proposal = Proposal }, Role.Consumer, [SendMessage, Withdraw, AddEvidence, AcceptProposal, RejectProposal] },
        { "in mediation, proposal open", Mediated(DisputeState.InMediation) with { Proposal = Proposal }, Role.Merchant, [SendMessage, AddEvidence, AcceptProposal, RejectProposal] },
        { "in mediation, proposal open", Mediated(DisputeState.InMediation) with { Proposal = Proposal }, Role.Mediator, [SendMessage, AddEvidence, RequestEvidence, Propose] },
        { "in mediation, consumer accepted the proposal", Mediated(DisputeState.InMediation) with { Proposal = Proposal with { ConsumerAccepted = true } }, Role.Consumer, [SendMessage, Withdraw, AddEvidence] },
        { "in mediation, consumer accepted the proposal", Mediated(DisputeState.InMediation) with { Proposal = Proposal with { ConsumerAccepted = true } }, Role.Merchant, [SendMessage, AddEvidence, AcceptProposal, RejectProposal] },
        { "in mediation, sealed, window over", Mediated(DisputeState.InMediation, 200) with { EvidenceSealed = true, MediationWindowEnded = true }, Role.Consumer, [SendMessage, Withdraw] },
        { "in mediation, sealed, window over", Mediated(DisputeState.InMediation, 200) with { EvidenceSealed = true, MediationWindowEnded = true }, Role.Merchant, [SendMessage] },
        { "in mediation, sealed, window over", Mediated(DisputeState.InMediation, 200) with { EvidenceSealed = true, MediationWindowEnded = true }, Role.Mediator, [SendMessage, Rule] },
        { "ruled (on the way to its remedy)", Mediated(DisputeState.Ruled) with { EvidenceSealed = true }, Role.Consumer, [SendMessage] },
        { "ruled (on the way to its remedy)", Mediated(DisputeState.Ruled) with { EvidenceSealed = true }, Role.Mediator, [SendMessage] },
        { "awaiting return", Mediated(DisputeState.AwaitingReturn), Role.Consumer, [SendMessage, ShipReturn] },
        { "awaiting return", Mediated(DisputeState.AwaitingReturn), Role.Merchant, [SendMessage] },
        { "awaiting return", Mediated(DisputeState.AwaitingReturn), Role.Mediator, [SendMessage] },
        { "awaiting return", Mediated(DisputeState.AwaitingReturn), Role.Regulator, None },
        { "return shipped", Mediated(DisputeState.ReturnShipped), Role.Consumer, [SendMessage] },
        { "return shipped", Mediated(DisputeState.ReturnShipped), Role.Merchant, [SendMessage, AcknowledgeReturn] },
        { "return shipped", Mediated(DisputeState.ReturnShipped), Role.Mediator, [SendMessage] },
        { "enforcing, not reported", Mediated(DisputeState.Enforcing), Role.Consumer, [SendMessage] },
        { "enforcing, not reported", Mediated(DisputeState.Enforcing), Role.Merchant, [SendMessage] },
        { "enforcing, not reported", Mediated(DisputeState.Enforcing), Role.Mediator, [SendMessage] },
        { "enforcing, reported done", Mediated(DisputeState.Enforcing) with { InstructionOutcome = InstructionOutcome.Done }, Role.Consumer, [SendMessage, ConfirmRemedy] },
        { "enforcing, reported done", Mediated(DisputeState.Enforcing) with { InstructionOutcome = InstructionOutcome.Done }, Role.Merchant, [SendMessage] },
        { "enforcing, reported done", Mediated(DisputeState.Enforcing) with { InstructionOutcome = InstructionOutcome.Done }, Role.Ops, None },
        { "closed", Mediated(DisputeState.Closed), Role.Consumer, [GiveFeedback] },
        { "closed", Mediated(DisputeState.Closed), Role.Merchant, [GiveFeedback] },
        { "closed", Mediated(DisputeState.Closed), Role.Mediator, None },
        { "closed, consumer rated", Mediated(DisputeState.Closed) with { ConsumerRated = true }, Role.Consumer, None },
        { "closed, consumer rated", Mediated(DisputeState.Closed) with { ConsumerRated = true }, Role.Merchant, [GiveFeedback] },
        { "compensated", Mediated(DisputeState.Compensated), Role.Consumer, [GiveFeedback] },
        { "compensated", Mediated(DisputeState.Compensated), Role.Merchant, [GiveFeedback] },
        { "compensated", Mediated(DisputeState.Compensated), Role.Regulator, None },
        { "withdrawn", Facts(DisputeState.Withdrawn), Role.Consumer, [GiveFeedback] },
        { "withdrawn", Facts(DisputeState.Withdrawn), Role.Merchant, [GiveFeedback] },
        { "expired", Facts(DisputeState.Expired, 400), Role.Consumer, [GiveFeedback] },
        { "expired", Facts(DisputeState.Expired, 400), Role.Merchant, [GiveFeedback] },
    };

    /// <summary>Every state meets every role somewhere in the table.</summary>
    [Fact]
    public void The_table_covers_every_state_and_every_role_in_mediation()
    {
        var rows = Situations.Select(row => ((DisputeFacts)row[1], (Role)row[2])).ToArray();
        foreach (var state in Enum.GetValues<DisputeState>())
            Assert.Contains(rows, r => r.Item1.State == state);
        foreach (var state in new[] { DisputeState.InMediation, DisputeState.AwaitingReturn, DisputeState.Enforcing })
            foreach (var role in Enum.GetValues<Role>().Where(r => r != Role.Regulator && r != Role.Ops || state == DisputeState.InMediation))
                Assert.Contains(rows, r => r.Item1.State == state && r.Item2 == role);
    }

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
    [InlineData(DisputeState.InMediation, Role.Mediator, Rule, DisputeState.Ruled)]
    [InlineData(DisputeState.InMediation, Role.Consumer, Withdraw, DisputeState.Withdrawn)]
    [InlineData(DisputeState.AwaitingReturn, Role.Consumer, ShipReturn, DisputeState.ReturnShipped)]
    [InlineData(DisputeState.Enforcing, Role.Consumer, ConfirmRemedy, DisputeState.Closed)]
    public void Allowed_actions_lead_to_the_expected_state(DisputeState from, Role role, DisputeAction action, DisputeState to) =>
        Assert.Equal(to, DisputeStateMachine.NextState(Facts(from, 1, false, ConsumerClaim), role, action));

    [Fact]
    public void The_second_party_accepting_the_proposal_settles_the_dispute()
    {
        var open = Mediated(DisputeState.InMediation) with { Proposal = Proposal };
        Assert.Null(DisputeStateMachine.NextState(open, Role.Consumer, AcceptProposal));
        var half = open with { Proposal = Proposal with { ConsumerAccepted = true } };
        Assert.Equal(DisputeState.Settled, DisputeStateMachine.NextState(half, Role.Merchant, AcceptProposal));
        Assert.Null(DisputeStateMachine.NextState(half, Role.Merchant, RejectProposal));
    }

    [Theory]
    [InlineData(Remedy.PartialRefund, 40, false, DisputeState.Enforcing)]
    [InlineData(Remedy.ReturnAndRefund, 100, true, DisputeState.AwaitingReturn)]
    [InlineData(Remedy.Exchange, 0, false, DisputeState.Enforcing)]
    [InlineData(Remedy.FullRefund, 0, false, DisputeState.Closed)]
    public void An_outcome_goes_to_its_return_its_instruction_or_straight_to_closed(Remedy remedy, int amount, bool returnFirst, DisputeState next) =>
        Assert.Equal(next, DisputeStateMachine.AfterOutcome(remedy, amount, returnFirst));

    [Theory]
    [InlineData(GoodsCondition.AsExpected, true, DisputeState.Enforcing)]
    [InlineData(GoodsCondition.Damaged, true, DisputeState.InMediation)]
    [InlineData(GoodsCondition.Empty, true, DisputeState.InMediation)]
    [InlineData(GoodsCondition.Different, false, DisputeState.Escalated)]
    [InlineData(GoodsCondition.MissingItems, false, DisputeState.Escalated)]
    public void A_returned_parcel_not_as_expected_goes_back_to_a_mediator(GoodsCondition condition, bool hasMediator, DisputeState next) =>
        Assert.Equal(next, DisputeStateMachine.AfterReturn(condition, hasMediator));

    [Fact]
    public void The_mediation_clocks_seal_the_evidence_end_the_window_and_count_silence_as_receipt()
    {
        Assert.Null(DisputeStateMachine.DueOutcome(Mediated(DisputeState.InMediation, 24 * 6 - 1)));
        Assert.Equal(DeadlineKind.EvidenceDueBy, DisputeStateMachine.NextDeadline(Mediated(DisputeState.InMediation))?.Kind);
        Assert.Equal(DisputeEventType.EvidenceSealed, DisputeStateMachine.DueOutcome(Mediated(DisputeState.InMediation, 24 * 6))?.Type);
        var sealedFile = Mediated(DisputeState.InMediation, 24 * 8) with { EvidenceSealed = true };
        Assert.Equal(DisputeEventType.MediationWindowEnded, DisputeStateMachine.DueOutcome(sealedFile)?.Type);
        Assert.Null(DisputeStateMachine.DueOutcome(sealedFile with { MediationWindowEnded = true }));
        Assert.Equal(DisputeEventType.ReturnReceived, DisputeStateMachine.DueOutcome(Mediated(DisputeState.ReturnShipped, 24 * 9))?.Type);
    }

    [Fact]
    public void An_instruction_not_done_in_time_is_compensated_and_a_done_one_is_confirmed_by_itself()
    {
        Assert.Null(DisputeStateMachine.DueOutcome(Mediated(DisputeState.Enforcing, 24 * 9 - 1)));
        var overdue = DisputeStateMachine.DueOutcome(Mediated(DisputeState.Enforcing, 24 * 9));
        Assert.Equal((DisputeEventType.Compensated, DisputeState.Compensated), (overdue?.Type, overdue?.State));
        var done = Mediated(DisputeState.Enforcing, 24 * 10) with { InstructionOutcome = InstructionOutcome.Done };
        Assert.Equal(DisputeState.Closed, DisputeStateMachine.DueOutcome(done)?.State);
        Assert.Null(DisputeStateMachine.DueOutcome(done with { RemedyConfirmed = true }));
        Assert.Null(DisputeStateMachine.DueOutcome(Mediated(DisputeState.Enforcing, 24 * 10) with { InstructionOutcome = InstructionOutcome.Failed }));
    }

    [Theory]
    [InlineData(DisputeState.AwaitingMerchant, Role.Consumer, SendMessage)]
    [InlineData(DisputeState.Negotiating, Role.Merchant, SendMessage)]
    [InlineData(DisputeState.Negotiating, Role.Consumer, MakeOffer)]
    [InlineData(DisputeState.Negotiating, Role.Merchant, RejectOffer)]
    [InlineData(DisputeState.InMediation, Role.Mediator, Propose)]
    [InlineData(DisputeState.InMediation, Role.Merchant, RejectProposal)]
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

    [Theory]
    [InlineData(DisputeState.Escalated)]
    [InlineData(DisputeState.Withdrawn)]
    [InlineData(DisputeState.Expired)]
    [InlineData(DisputeState.Closed)]
    [InlineData(DisputeState.Compensated)]
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
        Assert.Equal(Deadlines.InstructionDueBy, DisputeStateMachine.NextDeadline(Mediated(DisputeState.Enforcing))?.At);
        Assert.Equal(Deadlines.RemedyDueBy, DisputeStateMachine.NextDeadline(Mediated(DisputeState.Enforcing) with { InstructionOutcome = InstructionOutcome.Done })?.At);
    }
}
