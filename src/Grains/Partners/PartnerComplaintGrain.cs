using System.Text.Json;
using Mediation.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;
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
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock) : Grain, IPartnerComplaintGrain, IRemindable
{
    private OutboxSchedule? _schedule;

    private OutboxSchedule Schedule => _schedule ??= new(this, outbox.Options.ReminderPeriod, AttemptAsync);
    private PartnerComplaintRecord State => record.State;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Schedule.Resume(State.AwaitsDelivery, State, Now);
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
        await Schedule.StartAsync();
    }

    public Task<(int Attempts, bool Delivered)> GetDeliveryAsync() => Task.FromResult((State.DeliveryAttempts, State.Delivered));

    public Task ReceiveReminder(string reminderName, TickStatus status) => Schedule.ReceiveReminder(reminderName);

    private async Task AttemptAsync(bool onlyWhenDue, CancellationToken cancellationToken)
    {
        if (!State.AwaitsDelivery)
        {
            await Schedule.DisarmAsync();
            return;
        }
        if (onlyWhenDue && !WebhookOutbox.IsDue(State, Now)) return;
        var complaint = State.Complaint!;
        var body = JsonSerializer.Serialize(PartnerComplaintWebhook.From(complaint), MediationJson.Options);
        var webhook = new OutgoingWebhook(WebhookTargets.Partner(complaint.Platform), complaint.ComplaintId, body);
        var attempt = await outbox.AttemptAsync(State, webhook, () => State.AwaitsDelivery, record.WriteStateAsync, Now, cancellationToken);
        if (attempt.RetryIn is { } delay) Schedule.RunIn(delay);
        else if (attempt.Delivered) await Schedule.DisarmAsync();
    }
}
