using Microsoft.Extensions.Logging;

namespace Mediation.Grains.Disputes;

/// <summary>
/// The mediation half: evidence, the mediator's actions, the ruling, the return leg, enforcement and feedback.
/// Every action takes the same path as the negotiation's (state machine, durable append, fold, publish); what other
/// grains must do about it (the ledger, the instruction's outbox, the city's desk) are side effects carried out after
/// the commit and retried until done (<see cref="RunEffectsAsync"/>).
/// </summary>
public sealed partial class DisputeGrain
{
    public async Task<DisputeEvent> AddEvidenceAsync(Caller caller, EvidenceInfo evidence)
    {
        var role = Require(caller, DisputeAction.AddEvidence);
        if (State.Evidence.Any(x => x.EvidenceId == evidence.EvidenceId))
            throw MediationException.Conflict($"evidence {evidence.EvidenceId} is already on dispute {State.DisputeId}");
        var added = NewEvent(DisputeEventType.EvidenceAdded, caller) with
        {
            Evidence = evidence with { UploaderId = caller.UserId, UploaderRole = Roles.WireName(role) },
        };
        return await ActAsync(role, DisputeAction.AddEvidence, caller, added);
    }

    public Task<EvidenceInfo> GetEvidenceAsync(Caller caller, string evidenceId)
    {
        Authorize(caller);
        return Task.FromResult(State.Evidence.FirstOrDefault(e => e.EvidenceId == evidenceId)
            ?? throw MediationException.NotFound($"dispute {State.DisputeId} has no evidence {evidenceId}"));
    }

    public async Task<DisputeEvent> AssignMediatorAsync(string mediatorId)
    {
        if (!State.Exists) throw MediationException.NotFound($"dispute {this.GetPrimaryKeyString()} does not exist");
        if (State.MediatorId == mediatorId)
            return (await log.ReadAsync(State.DisputeId, State.MediatorAssignedSeq - 1, 1))[0];
        if (State.State != DisputeState.Escalated || State.MediatorId is not null)
            throw MediationException.Conflict($"dispute {State.DisputeId} is {DisputeStateMachine.Name(State.State)} and cannot be assigned");
        var events = new List<DisputeEvent>(2)
        {
            NewEvent(DisputeEventType.MediatorAssigned, Roles.System, Roles.System) with { MediatorId = mediatorId },
        };
        Transition(events, DisputeState.InMediation, Roles.System, Roles.System, $"mediator {mediatorId} took the case");
        await CommitAsync(events);
        return events[0];
    }

    public async Task<DisputeEvent> RequestEvidenceAsync(Caller caller, Role of, string text, DateTimeOffset dueBy)
    {
        var role = Require(caller, DisputeAction.RequestEvidence);
        if (of is not (Role.Consumer or Role.Merchant)) throw MediationException.Invalid("evidence is requested of the consumer or the merchant");
        text = Validation.RequireText(text, Validation.MaxMessageLength, "request");
        if (dueBy <= Now) throw MediationException.Invalid("the evidence request's deadline must be in the future");
        if (State.Deadlines.MediationEndsAt is { } ends && dueBy > ends)
            throw MediationException.Invalid($"the evidence request's deadline must be within the mediation window (by {ends:u})");
        var requested = NewEvent(DisputeEventType.EvidenceRequested, caller) with { RequestedOf = of.WireName(), Text = text, DueBy = dueBy };
        return await ActAsync(role, DisputeAction.RequestEvidence, caller, requested);
    }

    public async Task<DisputeEvent> ProposeAsync(Caller caller, Remedy remedy, decimal amount, bool returnFirst, string text)
    {
        var role = Require(caller, DisputeAction.Propose);
        amount = RequireRemedyAmount(remedy, amount, "proposed amount");
        text = Validation.RequireText(text, Validation.MaxMessageLength, "proposal");
        var proposal = NewEvent(DisputeEventType.Proposal, caller) with { Remedy = remedy, Amount = amount, ReturnFirst = returnFirst, Text = text };
        return await ActAsync(role, DisputeAction.Propose, caller, proposal);
    }

    public async Task<DisputeEvent> AcceptProposalAsync(Caller caller, long proposalSeq)
    {
        var role = Require(caller, DisputeAction.AcceptProposal);
        var open = RequireOpenProposal(proposalSeq);
        var accepted = NewEvent(DisputeEventType.ProposalAccepted, caller) with { OfferSeq = open.Seq, Remedy = open.Remedy, Amount = open.Amount };
        return await ActAsync(role, DisputeAction.AcceptProposal, caller, accepted, "both parties accepted the mediator's proposal");
    }

    public async Task<DisputeEvent> RejectProposalAsync(Caller caller, long proposalSeq)
    {
        var role = Require(caller, DisputeAction.RejectProposal);
        var open = RequireOpenProposal(proposalSeq);
        var rejected = NewEvent(DisputeEventType.ProposalRejected, caller) with { OfferSeq = open.Seq, Remedy = open.Remedy, Amount = open.Amount };
        return await ActAsync(role, DisputeAction.RejectProposal, caller, rejected);
    }

    public async Task<DisputeEvent> RuleAsync(Caller caller, Ruling ruling)
    {
        var role = Require(caller, DisputeAction.Rule);
        if (!Enum.IsDefined(ruling.Category)) throw MediationException.Invalid($"unknown category {ruling.Category}");
        if (!Enum.IsDefined(ruling.Responsibility)) throw MediationException.Invalid($"unknown responsibility {ruling.Responsibility}");
        var amount = RequireRemedyAmount(ruling.Remedy, ruling.Amount, "ruled amount", allowZero: true);
        var reasons = Validation.RequireText(ruling.Reasons, Validation.MaxDescriptionLength, "ruling's reasons");

        var events = new List<DisputeEvent>(5);
        // A ruling freezes the file it was made on.
        if (!State.EvidenceSealed) events.Add(SealEvent(events.Count, "the mediator ruled: the evidence is sealed"));
        events.Add(NewEvent(DisputeEventType.Ruled, caller.UserId, Roles.WireName(role), seqOffset: events.Count) with
        {
            Category = ruling.Category, Responsibility = ruling.Responsibility, Remedy = ruling.Remedy, Amount = amount,
            ReturnFirst = ruling.ReturnFirst, Text = reasons,
        });
        var ruled = events[^1];
        Transition(events, DisputeState.Ruled, caller.UserId, Roles.WireName(role), "the mediator ruled");
        await CommitAsync(events);
        return ruled;
    }

    public async Task<DisputeEvent> ShipReturnAsync(Caller caller, string carrier, string trackingNumber)
    {
        var role = Require(caller, DisputeAction.ShipReturn);
        carrier = Validation.RequireText(carrier, Validation.MaxNameLength, "carrier");
        trackingNumber = Validation.RequireText(trackingNumber, Validation.MaxIdLength, "tracking number");
        var shipped = NewEvent(DisputeEventType.ReturnShipped, caller) with
        {
            Carrier = carrier, TrackingNumber = trackingNumber, DueBy = Now + Clocks.ReturnReceipt,
        };
        return await ActAsync(role, DisputeAction.ShipReturn, caller, shipped, "the consumer shipped the goods back");
    }

    public async Task<DisputeEvent> AcknowledgeReturnAsync(Caller caller, GoodsCondition condition, string? text)
    {
        var role = Require(caller, DisputeAction.AcknowledgeReturn);
        if (!Enum.IsDefined(condition)) throw MediationException.Invalid($"unknown condition {condition}");
        if (condition != GoodsCondition.AsExpected && string.IsNullOrWhiteSpace(text))
            throw MediationException.Invalid("say what is wrong with the returned goods");
        var note = text is null ? null : Validation.RequireText(text, Validation.MaxMessageLength, "acknowledgement");
        var events = new List<DisputeEvent>(4)
        {
            NewEvent(DisputeEventType.ReturnReceived, caller.UserId, Roles.WireName(role)) with { Condition = condition, Text = note },
        };
        AfterReturn(events, condition, caller.UserId, Roles.WireName(role));
        await CommitAsync(events);
        return events[0];
    }

    public async Task InstructionReportedAsync(string instructionId, InstructionOutcome outcome, string? reason)
    {
        if (!State.Exists) throw MediationException.NotFound($"dispute {this.GetPrimaryKeyString()} does not exist");
        if (State.Outcome?.InstructionId != instructionId)
            throw MediationException.NotFound($"dispute {State.DisputeId} has no instruction {instructionId}");
        var events = new List<DisputeEvent>(3);
        var amount = State.Outcome.Amount;
        switch (outcome)
        {
            case InstructionOutcome.Done when State.State == DisputeState.Enforcing && State.Outcome.InstructionOutcome is null:
                events.Add(NewEvent(DisputeEventType.InstructionDone, Roles.System, Roles.System) with { InstructionId = instructionId, Reason = reason });
                break;
            case InstructionOutcome.Done when State.State == DisputeState.Compensated && State.ClaimOpen:
                // Carried out late: the merchant has now paid, so the fund's claim is recovered.
                events.Add(NewEvent(DisputeEventType.InstructionDone, Roles.System, Roles.System) with { InstructionId = instructionId, Reason = reason });
                events.Add(NewEvent(DisputeEventType.ClaimRecovered, Roles.System, Roles.System, seqOffset: 1) with
                {
                    InstructionId = instructionId, Amount = State.CompensationPaid - State.CompensationRecovered,
                    Reason = "the merchant carried out the remedy late: the compensation fund's claim is recovered",
                });
                break;
            case InstructionOutcome.Failed when State.State == DisputeState.Enforcing && State.Outcome.InstructionOutcome is null:
                events.Add(NewEvent(DisputeEventType.InstructionFailed, Roles.System, Roles.System) with { InstructionId = instructionId, Reason = reason });
                Compensate(events, "the merchant did not carry out the remedy: the compensation fund paid the consumer");
                break;
            default:
                return; // already heard, or too late to matter: the report is idempotent
        }
        await CommitAsync(events, forceWrite: true);
    }

    public async Task<DisputeEvent> GiveFeedbackAsync(Caller caller, int rating, string? comment)
    {
        var role = Require(caller, DisputeAction.GiveFeedback);
        if (rating is < 1 or > 5) throw MediationException.Invalid("the rating must be 1 to 5");
        var text = string.IsNullOrWhiteSpace(comment) ? null : Validation.RequireText(comment, Validation.MaxMessageLength, "comment");
        var feedback = NewEvent(DisputeEventType.FeedbackGiven, caller) with { Rating = rating, Text = text };
        return await ActAsync(role, DisputeAction.GiveFeedback, caller, feedback);
    }

    public async Task<CaseFile> GetCaseAsync(Caller caller)
    {
        if (!State.Exists) throw MediationException.NotFound($"dispute {this.GetPrimaryKeyString()} does not exist");
        if (!AccessPolicy.ReadsCaseFile(State, caller)) throw MediationException.Forbidden($"{caller} may not read the case file of dispute {State.DisputeId}");
        var role = AccessPolicy.PartOf(State, caller) ?? caller.Role;
        var timeline = new List<DisputeEvent>();
        while (true)
        {
            var page = await log.ReadAsync(State.DisputeId, timeline.Count == 0 ? 0 : timeline[^1].Seq, 1000);
            timeline.AddRange(page);
            if (page.Count < 1000) break;
        }
        var instructions = new List<InstructionStatus>();
        if (State.Outcome?.InstructionId is { } instructionId && State.EffectsDone.Contains($"issue:{instructionId}"))
            instructions.Add(await GrainFactory.GetGrain<IInstructionGrain>(instructionId).GetAsync(AccessPolicy.CaseFileReader));
        var ledger = await GrainFactory.GetGrain<ILedgerGrain>(State.Order!.OrderId).GetAsync(AccessPolicy.CaseFileReader);
        var standing = await GrainFactory.GetGrain<IMerchantProfileGrain>(State.MerchantId).GetStandingAsync();
        var view = DisputeProjection.View(State, role, Now);
        if (role is not (Role.Consumer or Role.Merchant))
        {
            // Personal data is the parties' own: anyone else reads the file with phones and addresses masked.
            timeline = timeline.Select(e => e with { Text = PersonalData.Mask(e.Text), Reason = PersonalData.Mask(e.Reason) }).ToList();
            view = view with { Description = PersonalData.Mask(view.Description)!, ReturnAddress = State.ReturnAddress is null ? null : PersonalData.MaskedAddress };
        }
        else timeline = timeline.Select(e => DisputePrivacy.Shown(e, State, role)).ToList(); // as the party's timeline shows it
        return new CaseFile(
            view,
            timeline,
            State.Evidence,
            timeline.Where(e => e.Type is DisputeEventType.Offer or DisputeEventType.Proposal).ToArray(),
            timeline.LastOrDefault(e => e.Type == DisputeEventType.Ruled),
            instructions,
            ledger,
            standing,
            State.MediatorId);
    }

    /// <summary>What the merchant's acknowledgement (or silence) of the returned goods leads to.</summary>
    private void AfterReturn(List<DisputeEvent> events, GoodsCondition condition, string authorId, string authorRole)
    {
        var next = DisputeStateMachine.AfterReturn(condition, State.MediatorId is not null);
        if (next == DisputeState.Enforcing)
        {
            CarryOut(events, State.Outcome! with { ReturnFirst = false });
            return;
        }
        var reason = $"the merchant reported the returned goods as {condition}: the case goes back to {(next == DisputeState.InMediation ? "the mediator" : "mediation")}";
        events.Add(NewEvent(DisputeEventType.StateChanged, authorId, authorRole, seqOffset: events.Count) with { State = next, Reason = reason });
    }

    /// <summary>The fund pays the consumer; the merchant owes it the same.</summary>
    private void Compensate(List<DisputeEvent> events, string reason)
    {
        var outcome = State.Outcome!;
        // Goods that were never exchanged or repaired are compensated at the order's value.
        var amount = outcome.Amount > 0 ? outcome.Amount : State.Order!.Total;
        events.Add(NewEvent(DisputeEventType.Compensated, Roles.System, Roles.System, seqOffset: events.Count) with
        {
            InstructionId = outcome.InstructionId, Amount = amount, Reason = reason,
        });
        events.Add(NewEvent(DisputeEventType.StateChanged, Roles.System, Roles.System, seqOffset: events.Count) with
        {
            State = DisputeState.Compensated, Reason = reason,
        });
    }

    /// <summary>The events a deadline brings about.</summary>
    private List<DisputeEvent> ClockEvents(DeadlineOutcome due)
    {
        var events = new List<DisputeEvent>(4);
        switch (due.Type)
        {
            case DisputeEventType.StateChanged:
                Transition(events, due.State!.Value, Roles.System, Roles.System, due.Reason);
                break;
            case DisputeEventType.EvidenceSealed:
                events.Add(SealEvent(0, due.Reason));
                break;
            case DisputeEventType.ReturnReceived:
                events.Add(NewEvent(DisputeEventType.ReturnReceived, Roles.System, Roles.System) with { Condition = GoodsCondition.AsExpected, Reason = due.Reason });
                AfterReturn(events, GoodsCondition.AsExpected, Roles.System, Roles.System);
                break;
            case DisputeEventType.Compensated:
                Compensate(events, due.Reason);
                break;
            default:
                events.Add(NewEvent(due.Type, Roles.System, Roles.System) with { State = due.State, Reason = due.Reason });
                break;
        }
        return events;
    }

    private DisputeEvent SealEvent(int seqOffset, string reason) =>
        NewEvent(DisputeEventType.EvidenceSealed, Roles.System, Roles.System, seqOffset) with { EvidenceList = State.Evidence, Reason = reason };

    private decimal RequireRemedyAmount(Remedy remedy, decimal amount, string what, bool allowZero = false)
    {
        if (!Enum.IsDefined(remedy)) throw MediationException.Invalid($"unknown remedy {remedy}");
        amount = Validation.RequireMoney(amount, State.Order!.Currency, positive: remedy.PaysMoney() && !allowZero, what);
        if (amount > State.Order.Total) throw MediationException.Invalid($"{what} {amount} is above the order total {State.Order.Total}");
        return amount;
    }

    private OpenProposal RequireOpenProposal(long proposalSeq) => RequireOpen(State.Proposal!, State.Proposal!.Seq, proposalSeq, "proposal");

    // ---- Side effects: idempotent calls to other grains, derived from the record, each done once and remembered.

    private bool _effectsPending;
    private bool _runningEffects;

    private ILedgerGrain Ledger => GrainFactory.GetGrain<ILedgerGrain>(State.Order!.OrderId);

    private IMediationDeskGrain Desk => GrainFactory.GetGrain<IMediationDeskGrain>(cities.DeskOf(State.Order!.City));

    private Instruction CurrentInstruction()
    {
        var outcome = State.Outcome!;
        var order = State.Order!;
        return new Instruction(outcome.InstructionId!, State.DisputeId, order.OrderId, State.ConsumerId, State.MerchantId, outcome.Remedy,
            outcome.Amount, order.Currency, State.ReturnCondition is not null, order.Guaranteed,
            State.Deadlines.InstructionDueBy!.Value - Clocks.InstructionWindow, State.Deadlines.InstructionDueBy.Value, outcome.Source);
    }

    /// <summary>The complaint as its partner platform receives it: the order under the platform's own id.</summary>
    private PartnerComplaint ForwardedComplaint(string platform)
    {
        var order = State.Order!;
        var prefix = platform + ":";
        var platformOrder = order.OrderId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? order with { OrderId = order.OrderId[prefix.Length..] } : order;
        var request = State.Request!;
        return new PartnerComplaint(State.DisputeId, platform, platformOrder, request.Category, request.RequestedRemedy, request.ClaimedAmount,
            request.Description, State.ForwardedBy!, State.OpenedAt, State.Deadlines.MerchantRespondBy!.Value);
    }

    /// <summary>What other grains must do about the record as it stands, by key; a key done once is never done again.</summary>
    private IEnumerable<(string Key, Func<Task> Run)> DueEffects()
    {
        var order = State.Order!;
        var state = State.State;
        if (State.Origin is { } origin && origin.StartsWith("partner:", StringComparison.Ordinal))
            yield return ("forward", () => GrainFactory.GetGrain<IPartnerComplaintGrain>(State.DisputeId).ForwardAsync(ForwardedComplaint(origin["partner:".Length..])));
        if (order.Guaranteed) yield return ("hold", () => Ledger.HoldAsync(order, State.DisputeId));
        if (state == DisputeState.Escalated && State.MediatorId is null)
            yield return ($"enqueue:{State.EscalatedAt?.UtcTicks}", async () =>
            {
                // The desk answers the same mediator for the same case, so a retry after a failed assignment is safe.
                if (await Desk.EnqueueAsync(State.DisputeId, State.EscalatedAt ?? Now, State.Priority) is { } mediator) await AssignMediatorAsync(mediator);
            });
        if (state is DisputeState.AwaitingReturn or DisputeState.ReturnShipped && State.ReturnAddress is null)
            yield return ("return-address", async () => State.ReturnAddress = (await GrainFactory.GetGrain<IMerchantProfileGrain>(State.MerchantId).GetAsync()).ReturnAddress);
        if (State.Outcome?.InstructionId is { } instructionId)
        {
            yield return ($"issue:{instructionId}", () => GrainFactory.GetGrain<IInstructionGrain>(instructionId).IssueAsync(CurrentInstruction()));
            if (State.Outcome.InstructionOutcome == InstructionOutcome.Done && State.CompensationPaid == 0)
                yield return ($"settle:{instructionId}", () => Ledger.SettleAsync(CurrentInstruction()));
            if (State.CompensationPaid > 0)
                yield return ($"compensate:{instructionId}", () => Ledger.CompensateAsync(CurrentInstruction()));
            if (State.CompensationRecovered > 0)
                yield return ($"recover:{instructionId}", () => Ledger.RecoverAsync(CurrentInstruction()));
        }
        if (order.Guaranteed && (state is DisputeState.Withdrawn or DisputeState.Expired or DisputeState.Compensated
                                 || (state == DisputeState.Closed && State.Outcome?.InstructionId is null)))
            yield return ("release", () => Ledger.ReleaseAsync(State.DisputeId, $"the dispute is {DisputeStateMachine.Name(state)}"));
        if (State.MediatorId is { } mediator && !state.InMediation())
            yield return ($"case-ended:{mediator}", () => Desk.CaseEndedAsync(State.DisputeId));
    }

    /// <summary>
    /// Carries out the side effects not yet done, in order, remembering each; one that fails is retried by a timer
    /// while the grain lives and by the deadline reminder otherwise.
    /// </summary>
    private async Task RunEffectsAsync()
    {
        if (_runningEffects || !State.Exists) return;
        _runningEffects = true;
        var seqBefore = State.AppliedSeq;
        try
        {
            var done = false;
            _effectsPending = false;
            foreach (var (key, run) in DueEffects().ToArray())
            {
                if (State.EffectsDone.Contains(key)) continue;
                try
                {
                    await run();
                    State.EffectsDone = State.EffectsDone.Append(key).ToList();
                    done = true;
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Dispute {DisputeId}: {Effect} not done yet; retried shortly", State.DisputeId, key);
                    _effectsPending = true;
                    break;
                }
            }
            if (done)
            {
                try { await record.WriteStateAsync(); }
                catch (Exception ex)
                {
                    // Every effect is idempotent: not remembering one only means doing it again.
                    logger.LogWarning(ex, "Dispute {DisputeId}: effects done but not recorded", State.DisputeId);
                }
            }
            if (_effectsPending)
            {
                _effectsRetry?.Dispose();
                _effectsRetry = this.RegisterGrainTimer(_ => RunEffectsAsync(), new GrainTimerCreationOptions(EffectsRetry, Timeout.InfiniteTimeSpan));
                await ArmDeadlineReminderAsync();
            }
        }
        finally
        {
            _runningEffects = false;
        }
        // An effect moved the dispute on (the desk assigned a mediator): what that brings is due now.
        if (State.AppliedSeq != seqBefore && !_effectsPending) await RunEffectsAsync();
    }

    private static readonly TimeSpan EffectsRetry = TimeSpan.FromSeconds(2);
    private IGrainTimer? _effectsRetry;
}
