using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;
using Mediation.Grains.Parties;

namespace Mediation.Grains.Disputes;

/// <summary>
/// One dispute. Every change follows the same path: ask the state machine, append the resulting events to the
/// log (durable), fold them into the record, write the record if the state moved, re-arm the deadline reminder,
/// update the parties' indexes, and answer with the event.
/// </summary>
public sealed partial class DisputeGrain(
    [PersistentState("dispute", MediationStorage.Name)] IPersistentState<DisputeRecord> record,
    IDisputeEventLog log,
    IOptions<DisputeDeadlineOptions> clockOptions,
    IOptions<CityOptions> cityOptions,
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock,
    MediationMetrics metrics,
    ILogger<DisputeGrain> logger) : Grain, IDisputeGrain, IRemindable
{
    private const string DeadlineReminder = "deadline";

    private readonly DisputeDeadlineOptions _clocks = clockOptions.Value;
    private readonly CityOptions cities = cityOptions.Value;
    private DisputeRecord State => record.State;
    /// <summary>The durations this dispute's deadlines are set from: the city's terms it opened under.</summary>
    private DisputeClocks Clocks => State.Terms?.Deadlines ?? LegacyClocks;
    /// <summary>A dispute stored before it kept its city's terms runs on its city's current ones.</summary>
    private DisputeClocks LegacyClocks => cities.TermsOf(State.Order?.City ?? "").Deadlines;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!State.Exists) return;
        // The record is a snapshot; anything committed to the log after it is folded back in.
        var snapshotState = State.State;
        if (await log.ReadSummaryAsync(State.DisputeId, cancellationToken) is { } line)
        {
            // Read marks are stored with the summary line, not in the record.
            State.MerchantReadSeq = Math.Max(State.MerchantReadSeq, line.MerchantReadSeq);
            State.ConsumerReadSeq = Math.Max(State.ConsumerReadSeq, line.ConsumerReadSeq);
        }
        while (true)
        {
            var later = await log.ReadAsync(State.DisputeId, State.AppliedSeq, 500, cancellationToken);
            foreach (var e in later) State.Apply(e, LegacyClocks);
            if (later.Count < 500) break;
        }
        if (State.State != snapshotState)
        {
            // A state change whose snapshot was not written: write it now and re-arm its deadline.
            await record.WriteStateAsync(cancellationToken);
            await ArmDeadlineReminderAsync();
        }
        // Side effects left undone by the previous activation run in their own turn, never inside a call that activated us.
        if (DueEffects().Any(e => !State.EffectsDone.Contains(e.Key)))
            _effectsRetry = this.RegisterGrainTimer(_ => RunEffectsAsync(), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    public Task<DisputeView> OpenAsync(Order order, OpenDisputeRequest request, Caller consumer) =>
        OpenCoreAsync(order, request, consumer, reason: null);

    public Task<DisputeView> OpenForwardedAsync(Order order, OpenDisputeRequest request, Caller forwardedBy, string platform)
    {
        if (State.AppliedSeq == 0)
        {
            State.Origin = PartnerOrigin(platform);
            State.Priority = true;
            State.ForwardedBy = forwardedBy.UserId;
        }
        return OpenCoreAsync(order, request, forwardedBy, $"forwarded by {forwardedBy.UserId} to partner platform {platform}, prioritised");
    }

    private async Task<DisputeView> OpenCoreAsync(Order order, OpenDisputeRequest request, Caller openedBy, string? reason)
    {
        if (State.AppliedSeq > 0) return DisputeProjection.View(State, Role.Consumer, Now);

        var now = Now;
        State.DisputeId = this.GetPrimaryKeyString();
        State.Order = order;
        State.Request = request;
        State.ConsumerId = order.ConsumerId;
        State.MerchantId = order.MerchantId;
        State.OpenedAt = now;
        // The city's terms as they are now, kept: every deadline of this dispute is set from them.
        State.Terms = cities.TermsOf(order.City);
        var clocks = State.Terms.Deadlines;
        State.Deadlines = new DisputeDeadlines(
            MerchantRespondBy: now + clocks.FirstResponse,
            NegotiationEndsAt: now + clocks.NegotiationWindow,
            ExpiresAt: now + clocks.Expiry,
            RemedyDueBy: null)
        {
            MerchantWarningAt = now + TimeSpan.FromTicks(Math.Max((clocks.FirstResponse - clocks.FirstResponseWarning).Ticks, clocks.FirstResponse.Ticks / 2)),
        };
        // The opening facts are written before the first event, so a replay always has them.
        await record.WriteStateAsync();

        var opened = NewEvent(DisputeEventType.Opened, openedBy.UserId, openedBy.Role.WireName()) with
        {
            OrderId = order.OrderId,
            Category = request.Category,
            Remedy = request.RequestedRemedy,
            Amount = request.ClaimedAmount,
            Text = request.Description,
            State = DisputeState.AwaitingMerchant,
            Reason = reason,
        };
        await CommitAsync([opened], forceWrite: true);
        return DisputeProjection.View(State, Role.Consumer, Now);
    }

    private static string PartnerOrigin(string platform) => "partner:" + platform;

    public async Task<(DisputeEvent Event, bool Created)> RecordPartnerAnswerAsync(string platform, PartnerAnswer answer)
    {
        // Only the platform the complaint went to may answer it; to any other, the complaint does not exist.
        if (!State.Exists || State.Origin != PartnerOrigin(platform))
            throw MediationException.NotFound($"complaint {this.GetPrimaryKeyString()} was not forwarded to {platform}");
        if (!Validation.IsId(answer.AnswerId)) throw MediationException.Invalid("answerId must be 1-64 letters, digits, '-', '_', '.' or ':'");
        if (!Enum.IsDefined(answer.Status)) throw MediationException.Invalid($"unknown status {answer.Status}");
        var text = Validation.RequireText(answer.Text, Validation.MaxMessageLength, "answer");
        if (State.PartnerAnswerIds.Contains(answer.AnswerId))
            return (await FindPartnerAnswerAsync(answer.AnswerId), false);
        var answered = NewEvent(DisputeEventType.PartnerAnswered, PartnerOrigin(platform), Roles.Partner) with
        {
            Platform = platform, AnswerId = answer.AnswerId, PartnerStatus = answer.Status, Text = text,
        };
        await CommitAsync([answered]);
        return (answered, true);
    }

    private async Task<DisputeEvent> FindPartnerAnswerAsync(string answerId)
    {
        for (long after = 0; ;)
        {
            var page = await log.ReadAsync(State.DisputeId, after, 500);
            if (page.FirstOrDefault(e => e.Type == DisputeEventType.PartnerAnswered && e.AnswerId == answerId) is { } found) return found;
            if (page.Count < 500) throw MediationException.NotFound($"answer {answerId} is not on the timeline yet");
            after = page[^1].Seq;
        }
    }

    public Task<DisputeView> GetAsync(Caller caller) => Task.FromResult(DisputeProjection.View(State, Authorize(caller), Now));

    public async Task<DisputeEvent> SendMessageAsync(Caller caller, string text)
    {
        var role = Require(caller, DisputeAction.SendMessage);
        text = Validation.RequireText(text, Validation.MaxMessageLength, "message");
        var message = NewEvent(DisputeEventType.Message, caller) with { Text = text };
        return await ActAsync(role, DisputeAction.SendMessage, caller, message);
    }

    public async Task<DisputeEvent> MakeOfferAsync(Caller caller, Remedy remedy, decimal amount)
    {
        var role = Require(caller, DisputeAction.MakeOffer);
        if (!Enum.IsDefined(remedy)) throw MediationException.Invalid($"unknown remedy {remedy}");
        amount = Validation.RequireMoney(amount, State.Order!.Currency, positive: remedy.PaysMoney(), "offer amount");
        if (amount > State.Order.Total) throw MediationException.Invalid($"offer amount {amount} is above the order total {State.Order.Total}");
        var offer = NewEvent(DisputeEventType.Offer, caller) with { Remedy = remedy, Amount = amount };
        return await ActAsync(role, DisputeAction.MakeOffer, caller, offer);
    }

    public async Task<DisputeEvent> AcceptOfferAsync(Caller caller, long offerSeq)
    {
        var role = Require(caller, DisputeAction.AcceptOffer);
        var offer = RequireOpenOffer(offerSeq);
        var accepted = NewEvent(DisputeEventType.OfferAccepted, caller) with
        {
            OfferSeq = offer.Seq, Remedy = offer.Remedy, Amount = offer.Amount,
        };
        return await ActAsync(role, DisputeAction.AcceptOffer, caller, accepted, "the parties agreed on an offer");
    }

    public async Task<DisputeEvent> RejectOfferAsync(Caller caller, long offerSeq)
    {
        var role = Require(caller, DisputeAction.RejectOffer);
        var offer = RequireOpenOffer(offerSeq);
        var rejected = NewEvent(DisputeEventType.OfferRejected, caller) with
        {
            OfferSeq = offer.Seq, Remedy = offer.Remedy, Amount = offer.Amount,
        };
        return await ActAsync(role, DisputeAction.RejectOffer, caller, rejected);
    }

    public async Task<DisputeEvent> WithdrawAsync(Caller caller)
    {
        var role = Require(caller, DisputeAction.Withdraw);
        return await ActAsync(role, DisputeAction.Withdraw, caller, null, "the consumer withdrew the dispute");
    }

    public async Task<DisputeEvent> EscalateAsync(Caller caller)
    {
        var role = Require(caller, DisputeAction.Escalate);
        return await ActAsync(role, DisputeAction.Escalate, caller, null, $"the {Roles.WireName(role)} escalated to mediation");
    }

    public async Task<DisputeEvent> ConfirmRemedyAsync(Caller caller)
    {
        var role = Require(caller, DisputeAction.ConfirmRemedy);
        var confirmed = NewEvent(DisputeEventType.RemedyConfirmed, caller);
        return await ActAsync(role, DisputeAction.ConfirmRemedy, caller, confirmed, "the consumer confirmed the remedy was received");
    }

    public async Task<IReadOnlyList<DisputeEvent>> GetEventsAsync(Caller caller, long afterSeq, int limit)
    {
        var role = Authorize(caller);
        if (afterSeq < 0) throw MediationException.Invalid("afterSeq must be zero or positive");
        if (limit is < 1 or > 1000) throw MediationException.Invalid("limit must be between 1 and 1000");
        if (afterSeq >= State.AppliedSeq) return [];
        var events = await log.ReadAsync(State.DisputeId, afterSeq, limit);
        return events.Select(e => DisputePrivacy.Shown(e, State, role)).ToList();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == DeadlineReminder ? OnDeadlineAsync(CancellationToken.None) : Task.CompletedTask;

    /// <summary>Whatever the clock has brought about by now, in order (a warning and the deadline may both be due).</summary>
    private async Task OnDeadlineAsync(CancellationToken cancellationToken)
    {
        if (!State.Exists) return;
        await RunEffectsAsync();
        var handled = false;
        for (var outcome = DisputeStateMachine.DueOutcome(State.Facts(Now)); outcome is not null; outcome = DisputeStateMachine.DueOutcome(State.Facts(Now)))
        {
            logger.LogInformation("Dispute {DisputeId}: {Reason}", State.DisputeId, outcome.Reason);
            await CommitAsync(ClockEvents(outcome), forceWrite: true);
            handled = true;
        }
        if (!handled) await ArmDeadlineReminderAsync();
    }

    /// <summary>
    /// The one path of every action: its event (if it has one besides the state change) and the state change the
    /// state machine says it brings, with what an outcome brings after it. Answers with the first event.
    /// </summary>
    private async Task<DisputeEvent> ActAsync(Role role, DisputeAction action, Caller caller, DisputeEvent? e, string? reason = null)
    {
        var events = new List<DisputeEvent>(4);
        if (e is not null) events.Add(e);
        if (DisputeStateMachine.NextState(State.Facts(Now), role, action) is { } next)
            Transition(events, next, caller.UserId, Roles.WireName(role), reason ?? $"the {Roles.WireName(role)} answered");
        await CommitAsync(events);
        return events[0];
    }

    /// <summary>
    /// Appends a state change and, when it is an outcome (settled, ruled), what carries it out: a return first,
    /// an instruction to the payment platform, or closing when nothing is owed.
    /// </summary>
    private void Transition(List<DisputeEvent> events, DisputeState next, string authorId, string authorRole, string reason)
    {
        events.Add(NewEvent(DisputeEventType.StateChanged, authorId, authorRole, seqOffset: events.Count) with { State = next, Reason = reason });
        if (next is DisputeState.Settled or DisputeState.Ruled)
            CarryOut(events, Folded(events).Outcome!);
    }

    private void CarryOut(List<DisputeEvent> events, DisputeOutcome outcome)
    {
        var next = DisputeStateMachine.AfterOutcome(outcome.Remedy, outcome.Amount, outcome.ReturnFirst);
        if (next == DisputeState.Enforcing)
        {
            var seq = State.AppliedSeq + 1 + events.Count;
            events.Add(NewEvent(DisputeEventType.InstructionIssued, Roles.System, Roles.System, seqOffset: events.Count) with
            {
                InstructionId = $"ins-{State.DisputeId}-{seq}",
                Remedy = outcome.Remedy,
                Amount = outcome.Amount,
                ReturnFirst = outcome.ReturnFirst,
                DueBy = Now + Clocks.InstructionWindow,
            });
        }
        var why = next switch
        {
            DisputeState.AwaitingReturn => "the goods go back to the merchant first",
            DisputeState.Closed => "nothing is owed: the dispute is closed",
            _ => "the payment platform was instructed to carry out the remedy",
        };
        events.Add(NewEvent(DisputeEventType.StateChanged, Roles.System, Roles.System, seqOffset: events.Count) with { State = next, Reason = why });
    }

    /// <summary>The record as it would be after <paramref name="events"/>.</summary>
    private DisputeRecord Folded(IEnumerable<DisputeEvent> events)
    {
        var after = State.Copy();
        foreach (var e in events) after.Apply(e, LegacyClocks);
        return after;
    }

    private async Task CommitAsync(IReadOnlyList<DisputeEvent> events, bool forceWrite = false)
    {
        var before = State.State;
        var respondedBefore = State.MerchantFirstRespondedAt;
        // Folded into a copy first, so the summary line committed with the events is the one they lead to.
        var after = Folded(events);
        var line = DisputeProjection.Summary(after, Now);
        try
        {
            await log.AppendAsync(events, line);
        }
        catch
        {
            // Whether or not the append landed, reload from the log before taking the next sequence number.
            DeactivateOnIdle();
            throw;
        }
        record.State = after;
        Count(events, respondedBefore);

        var stateMoved = State.State != before;
        if (stateMoved || forceWrite)
        {
            try
            {
                await record.WriteStateAsync();
                await ArmDeadlineReminderAsync();
            }
            catch (Exception ex)
            {
                // The events are committed, so the answer stands; the snapshot and reminder catch up on reactivation.
                logger.LogWarning(ex, "Dispute {DisputeId}: snapshot after seq {Seq} not written", State.DisputeId, State.AppliedSeq);
                DeactivateOnIdle();
            }
        }
        await PublishAsync(events);
        await TellConsolesAsync(line);
        if (stateMoved || events.Any(e => e.Type is DisputeEventType.InstructionDone or DisputeEventType.Compensated or DisputeEventType.ClaimRecovered))
            await RunEffectsAsync();
    }

    /// <summary>What ops counts, once per committed change (a replay on activation folds events without coming here).</summary>
    private void Count(IReadOnlyList<DisputeEvent> events, DateTimeOffset? respondedBefore)
    {
        var city = State.Order!.City;
        foreach (var e in events)
        {
            if (e.Type == DisputeEventType.Opened) metrics.DisputeOpened(city);
            else if (e.Type == DisputeEventType.StateChanged && e.State is { } entered) metrics.StateEntered(entered, city, e.AuthorRole);
        }
        if (respondedBefore is null && State.MerchantFirstRespondedAt is { } responded)
            metrics.FirstResponse(responded - State.OpenedAt, city);
    }

    /// <summary>
    /// Durable first, then published: a stream that drops an item loses nothing, because clients resume from the
    /// log by sequence number and the edge backfills gaps. Each item carries the trace of the call that made it.
    /// </summary>
    private async Task PublishAsync(IEnumerable<DisputeEvent> events)
    {
        var trace = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;
        try
        {
            foreach (var e in events) await DisputeStream.OnNextAsync(DisputePrivacy.Published(e, State) with { TraceParent = trace });
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Dispute {DisputeId}: publishing up to seq {Seq} failed; clients recover it from the log", State.DisputeId, State.AppliedSeq);
        }
    }

    private async Task SignalAsync(PartySignal signal)
    {
        try
        {
            await DisputeStream.OnNextAsync(new DisputeStreamItem(null, signal));
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Dispute {DisputeId}: signal {Kind} not published", State.DisputeId, signal.Kind);
        }
    }

    private IAsyncStream<DisputeStreamItem> DisputeStream =>
        _stream ??= this.GetStreamProvider(MediationStreams.Provider)
            .GetStream<DisputeStreamItem>(StreamId.Create(MediationStreams.Disputes, State.DisputeId));

    private IAsyncStream<DisputeStreamItem>? _stream;

    private PartyNews News => _news ??= new PartyNews(this.GetStreamProvider(MediationStreams.Provider), logger);
    private PartyNews? _news;
    private IGrainTimer? _newsWindow;
    private bool _newsPending;

    /// <summary>
    /// The consoles' one-line news, coalesced: the first change goes out at once and opens a window; changes inside
    /// it are sent as one line, the latest state, when it closes. Two stream items per chat message were most of what
    /// a busy dispute cost (bench: saturation 3,000/s with a line per event, ≥ 5,000/s without).
    /// </summary>
    private async Task TellConsolesAsync(DisputeSummary? current = null)
    {
        if (_newsWindow is not null)
        {
            _newsPending = true;
            return;
        }
        await News.PublishAsync(current ?? DisputeProjection.Summary(State, Now));
        _newsWindow = this.RegisterGrainTimer(CloseNewsWindowAsync, new GrainTimerCreationOptions(_clocks.ConsoleNewsWindow, Timeout.InfiniteTimeSpan));
    }

    private async Task CloseNewsWindowAsync(CancellationToken cancellationToken)
    {
        _newsWindow?.Dispose();
        _newsWindow = null;
        if (!_newsPending) return;
        _newsPending = false;
        await TellConsolesAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A line still folded in its window goes out before the activation does.
        if (_newsPending && State.Exists) await News.PublishAsync(DisputeProjection.Summary(State, Now));
    }
    private readonly Dictionary<Role, IGrainTimer> _typing = [];

    public async Task TypingAsync(Caller caller)
    {
        var role = Require(caller, DisputeAction.SendMessage);
        var until = Now + _clocks.TypingIndicator;
        if (_typing.Remove(role, out var previous)) previous.Dispose();
        // Transient: never stored; a grain timer clears it unless the party keeps typing.
        _typing[role] = this.RegisterGrainTimer(StopTypingAsync, (caller, role), new GrainTimerCreationOptions(_clocks.TypingIndicator, Timeout.InfiniteTimeSpan));
        await SignalAsync(new PartySignal(State.DisputeId, PartySignal.Typing, caller.UserId, Roles.WireName(role), Now) { Until = until });
    }

    private async Task StopTypingAsync((Caller Caller, Role Role) typing, CancellationToken cancellationToken)
    {
        if (!_typing.Remove(typing.Role, out var timer)) return;
        timer.Dispose();
        await SignalAsync(new PartySignal(State.DisputeId, PartySignal.TypingStopped, typing.Caller.UserId, Roles.WireName(typing.Role), Now));
    }

    public async Task MarkReadAsync(Caller caller, long seq)
    {
        var role = Authorize(caller);
        if (seq < 0 || seq > State.AppliedSeq)
            throw MediationException.Invalid($"seq {seq} is outside the timeline (1 to {State.AppliedSeq})");
        var current = role == Role.Merchant ? State.MerchantReadSeq : State.ConsumerReadSeq;
        if (seq <= current) return;
        if (role == Role.Merchant) State.MerchantReadSeq = seq;
        else State.ConsumerReadSeq = seq;
        // Stored with the summary line (one batched row), not by rewriting the record.
        var line = DisputeProjection.Summary(State, Now);
        await log.SaveSummaryAsync(line);
        await SignalAsync(new PartySignal(State.DisputeId, PartySignal.Read, caller.UserId, Roles.WireName(role), Now) { Seq = seq });
        await TellConsolesAsync(line);
    }

    /// <summary>
    /// The durable reminder first fires at the next deadline and then every <c>ReminderPeriod</c> until the grain
    /// re-arms it, so a tick missed (a silo died, a range moved) costs at most one period. A deadline only moments
    /// away also gets a grain timer, which fires on time while this activation lives.
    /// </summary>
    private async Task ArmDeadlineReminderAsync()
    {
        _deadlineTimer?.Dispose();
        _deadlineTimer = null;
        var next = DisputeStateMachine.NextDeadline(State.Facts(Now));
        // A side effect that failed is tried again at the reminder's next tick at the latest.
        if (_effectsPending && (next is null || next.Value.At > Now + _clocks.ReminderPeriod))
            next = (Now + _clocks.ReminderPeriod, next?.Kind ?? DeadlineKind.ExpiresAt);
        if (next is null)
        {
            _armedFor = null;
            var existing = await this.GetReminder(DeadlineReminder);
            if (existing is not null) await this.UnregisterReminder(existing);
            return;
        }
        var due = next.Value.At - Now;
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (_armedFor != next.Value.At)
        {
            await this.RegisterOrUpdateReminder(DeadlineReminder, due, _clocks.ReminderPeriod);
            _armedFor = next.Value.At;
        }
        if (due <= NearDeadline)
            _deadlineTimer = this.RegisterGrainTimer(OnDeadlineAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    private static readonly TimeSpan NearDeadline = TimeSpan.FromMinutes(2);
    private IGrainTimer? _deadlineTimer;
    private DateTimeOffset? _armedFor;

    private Role Authorize(Caller caller)
    {
        if (!State.Exists) throw MediationException.NotFound($"dispute {this.GetPrimaryKeyString()} does not exist");
        return AccessPolicy.PartOf(State, caller) ?? throw MediationException.Forbidden($"{caller} is not a party to dispute {State.DisputeId}");
    }

    private Role Require(Caller caller, DisputeAction action)
    {
        var role = Authorize(caller);
        if (AccessPolicy.RoleRefusal(role, action) is { } never) throw MediationException.Forbidden(never);
        var refusal = DisputeStateMachine.Refusal(State.Facts(Now), role, action);
        if (refusal is not null) throw MediationException.Conflict(refusal);
        return role;
    }

    private OpenOffer RequireOpenOffer(long offerSeq) => RequireOpen(State.OpenOffer!, State.OpenOffer!.Seq, offerSeq, "offer");

    /// <summary>The open offer or proposal, if <paramref name="asked"/> names it; otherwise why not (no such event, or not the open one).</summary>
    private T RequireOpen<T>(T open, long openSeq, long asked, string what) =>
        asked == openSeq ? open
        : throw (asked < 1 || asked > State.AppliedSeq
            ? MediationException.NotFound($"dispute {State.DisputeId} has no event {asked}")
            : MediationException.Conflict($"event {asked} is not the open {what}; the open {what} is {openSeq}"));

    private DisputeEvent NewEvent(DisputeEventType type, Caller caller) =>
        NewEvent(type, caller.UserId, Roles.WireName(caller.Role));

    private DisputeEvent NewEvent(DisputeEventType type, string authorId, string authorRole, int seqOffset = 0) =>
        new(State.DisputeId, State.AppliedSeq + 1 + seqOffset, type, authorId, Now) { AuthorRole = authorRole };

}
