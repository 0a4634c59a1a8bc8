using System.Text.Json;
using Mediation.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Mediation.Grains.Enforcement;

/// <summary>
/// One instruction: a durable outbox entry delivered to the payment platform by a signed webhook until a 2xx
/// (<see cref="WebhookOutbox"/>, the delivery of every webhook), then
/// the platform's report, passed on to the dispute until it acknowledges. A grain timer drives the fast retries
/// (exponential backoff with jitter) while the activation lives; a reminder brings the work back after a restart
/// or the loss of a silo.
/// </summary>
public sealed class InstructionGrain(
    [PersistentState("instruction", MediationStorage.Name)] IPersistentState<InstructionRecord> record,
    WebhookOutbox outbox,
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock,
    ILogger<InstructionGrain> logger) : Grain, IInstructionGrain, IRemindable
{
    private OutboxSchedule? _schedule;

    private OutboxSchedule Schedule => _schedule ??= new(this, outbox.Options.ReminderPeriod, WorkAsync);
    private InstructionRecord State => record.State;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Woken by the reminder, a call or a restart: pick up what was left at once (or when the next attempt is due).
        Schedule.Resume(State.HasWork, State, Now);
        return Task.CompletedTask;
    }

    public async Task IssueAsync(Instruction instruction)
    {
        if (instruction.InstructionId != this.GetPrimaryKeyString())
            throw MediationException.Invalid($"instruction {instruction.InstructionId} was sent to instruction {this.GetPrimaryKeyString()}");
        if (instruction.Amount < 0) throw MediationException.Invalid($"instruction {instruction.InstructionId} has a negative amount");
        if (State.Instruction is { } stored)
        {
            if (stored == instruction) return;
            throw MediationException.Conflict($"instruction {instruction.InstructionId} was already issued with different details");
        }
        State.Instruction = instruction;
        State.NextAttemptAt = Now;
        await record.WriteStateAsync();
        await Schedule.StartAsync();
    }

    public async Task<InstructionStatus> ReportAsync(Caller caller, InstructionOutcome outcome, string? reason)
    {
        if (caller.Role != Role.Ops) throw MediationException.Forbidden($"{caller} may not report on instructions; the payment platform (ops) does");
        var instruction = RequireInstruction();
        reason = outcome == InstructionOutcome.Failed || !string.IsNullOrWhiteSpace(reason)
            ? Validation.RequireText(reason, Validation.MaxMessageLength, "reason")
            : null;
        if (State.Outcome == outcome) return State.Status();
        if (State.Outcome == InstructionOutcome.Done)
            throw MediationException.Conflict($"instruction {instruction.InstructionId} was reported done; it cannot be reported {outcome.ToString().ToLowerInvariant()} now");

        // none -> Done, none -> Failed, Failed -> Done (carried out late: the compensated claim is recovered).
        State.Outcome = outcome;
        State.Reason = reason;
        State.ReportedAt = Now;
        // A report means the platform has the instruction: the outbox stops.
        State.Delivered = true;
        State.NextAttemptAt = null;
        State.Unnotified.Add(new InstructionNotice(outcome, reason));
        await record.WriteStateAsync();
        await Schedule.ArmAsync();
        await TellDisputeAsync();
        return State.Status();
    }

    public Task<InstructionStatus> GetAsync(Caller caller)
    {
        var instruction = RequireInstruction();
        var mayRead = AccessPolicy.ReadsMoney(caller, instruction.ConsumerId, instruction.MerchantId);
        return mayRead
            ? Task.FromResult(State.Status())
            : throw MediationException.Forbidden($"{caller} may not read instruction {instruction.InstructionId}");
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Schedule.ReceiveReminder(reminderName);

    /// <summary>One pass over what is outstanding: a delivery attempt (the reminder's only once due), then the dispute's notices.</summary>
    private async Task WorkAsync(bool onlyWhenDue, CancellationToken cancellationToken)
    {
        if (State.AwaitsDelivery && (!onlyWhenDue || WebhookOutbox.IsDue(State, Now)))
        {
            var instruction = State.Instruction!;
            var body = JsonSerializer.Serialize(InstructionWebhook.From(instruction), MediationJson.Options);
            var webhook = new OutgoingWebhook(WebhookTargets.PaymentPlatform, instruction.InstructionId, body);
            // A report may come in while the call is out: then the outbox has nothing to record.
            var attempt = await outbox.AttemptAsync(State, webhook, () => State.AwaitsDelivery, record.WriteStateAsync, Now, cancellationToken);
            if (attempt.RetryIn is { } delay) Schedule.RunIn(delay);
        }
        await TellDisputeAsync();
    }

    /// <summary>Passes each report on to the dispute, oldest first, until it acknowledges; on failure the reminder tries again.</summary>
    private async Task TellDisputeAsync()
    {
        var instruction = State.Instruction!;
        while (State.Unnotified.Count > 0)
        {
            var notice = State.Unnotified[0];
            try
            {
                // The dispute may call back while it takes the report (issuing the instruction again is one of its
                // retried effects): let that call chain in rather than deadlock on this turn.
                using var reentrant = RequestContext.AllowCallChainReentrancy();
                await GrainFactory.GetGrain<IDisputeGrain>(instruction.DisputeId)
                    .InstructionReportedAsync(instruction.InstructionId, notice.Outcome, notice.Reason);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Dispute {DisputeId} has not taken the report {Outcome} of instruction {InstructionId} yet; retried every {Period}",
                    instruction.DisputeId, notice.Outcome, instruction.InstructionId, outbox.Options.ReminderPeriod);
                return;
            }
            State.Unnotified.RemoveAt(0);
            await record.WriteStateAsync();
        }
        await DisarmReminderIfIdleAsync();
    }

    private async Task DisarmReminderIfIdleAsync()
    {
        if (!State.HasWork) await Schedule.DisarmAsync();
    }

    private Instruction RequireInstruction() =>
        State.Instruction ?? throw MediationException.NotFound($"instruction {this.GetPrimaryKeyString()} does not exist");
}
