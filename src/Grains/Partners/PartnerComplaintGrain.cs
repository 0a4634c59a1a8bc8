using System.Text.Json;
using Mediation.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Mediation.Grains.Partners;

/// <summary>A forwarded complaint's outbox entry, as stored.</summary>
[GenerateSerializer, Alias("Mediation.PartnerComplaintRecord")]
public sealed class PartnerComplaintRecord : IWebhookOutboxEntry
{
    [Id(0)] public PartnerComplaint? Complaint { get; set; }
    [Id(1)] public int DeliveryAttempts { get; set; }
    [Id(2)] public bool Delivered { get; set; }
    [Id(3)] public DateTimeOffset? NextAttemptAt { get; set; }

    public bool AwaitsDelivery => Complaint is not null && !Delivered;
}

/// <summary>
/// One complaint forwarded to a partner platform's after-sales endpoint, keyed by its dispute: delivered through the
/// same outbox as instructions (<see cref="WebhookOutbox"/>: signed, retried with backoff until a 2xx, resumed by a
/// reminder after a restart). The platform's answers come back through the API to the dispute's timeline.
/// </summary>
public sealed class PartnerComplaintGrain(
    [PersistentState("partner-complaint", MediationStorage.Name)] IPersistentState<PartnerComplaintRecord> record,
    WebhookOutbox outbox,
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock,
    ILogger<PartnerComplaintGrain> logger) : Grain, IPartnerComplaintGrain, IRemindable
{
    private const string OutboxReminder = "outbox";
    private IGrainTimer? _workTimer;

    private PartnerComplaintRecord State => record.State;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.AwaitsDelivery) ScheduleAttempt(State.NextAttemptAt is { } next && next > Now ? next - Now : TimeSpan.Zero);
        return Task.CompletedTask;
    }

    public async Task ForwardAsync(PartnerComplaint complaint)
    {
        if (complaint.ComplaintId != this.GetPrimaryKeyString())
            throw MediationException.Invalid($"complaint {complaint.ComplaintId} was sent to complaint {this.GetPrimaryKeyString()}");
        if (State.Complaint is not null) return; // forwarded once; the dispute retrying its effect changes nothing
        State.Complaint = complaint;
        State.NextAttemptAt = Now;
        await record.WriteStateAsync();
        await this.RegisterOrUpdateReminder(OutboxReminder, outbox.Options.ReminderPeriod, outbox.Options.ReminderPeriod);
        ScheduleAttempt(TimeSpan.Zero);
    }

    public Task<(int Attempts, bool Delivered)> GetDeliveryAsync() => Task.FromResult((State.DeliveryAttempts, State.Delivered));

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == OutboxReminder && WebhookOutbox.IsDue(State, Now) ? AttemptAsync(CancellationToken.None) : Task.CompletedTask;

    private async Task AttemptAsync(CancellationToken cancellationToken)
    {
        if (!State.AwaitsDelivery)
        {
            await DisarmReminderAsync();
            return;
        }
        var complaint = State.Complaint!;
        var body = JsonSerializer.Serialize(PartnerComplaintWebhook.From(complaint), MediationJson.Options);
        var webhook = new OutgoingWebhook(WebhookTargets.Partner(complaint.Platform), complaint.ComplaintId, body);
        var result = await outbox.SendAsync(webhook, Now, cancellationToken);
        if (result == WebhookDelivery.NotConfigured) return; // the reminder looks again every period
        var retryIn = outbox.Record(State, result, Now);
        await record.WriteStateAsync(cancellationToken);
        if (retryIn is { } delay)
        {
            logger.Log(WebhookOutbox.WorthWarning(State.DeliveryAttempts) ? LogLevel.Warning : LogLevel.Information,
                "Complaint {ComplaintId} not delivered to {Platform} (attempt {Attempts}); next attempt in {Delay}",
                complaint.ComplaintId, complaint.Platform, State.DeliveryAttempts, delay);
            ScheduleAttempt(delay);
            return;
        }
        logger.LogInformation("Complaint {ComplaintId} delivered to {Platform} after {Attempts} attempt(s)", complaint.ComplaintId, complaint.Platform, State.DeliveryAttempts);
        await DisarmReminderAsync();
    }

    private void ScheduleAttempt(TimeSpan due)
    {
        _workTimer?.Dispose();
        _workTimer = this.RegisterGrainTimer(AttemptAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    private async Task DisarmReminderAsync()
    {
        if (await this.GetReminder(OutboxReminder) is { } existing) await this.UnregisterReminder(existing);
    }
}
