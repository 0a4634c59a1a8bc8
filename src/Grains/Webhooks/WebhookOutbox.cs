using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Mediation.Grains.Webhooks;

/// <summary>The delivery bookkeeping a grain keeps in its stored record for one outgoing webhook.</summary>
public interface IWebhookOutboxEntry
{
    int DeliveryAttempts { get; set; }
    bool Delivered { get; set; }
    /// <summary>When the next attempt is due while undelivered.</summary>
    DateTimeOffset? NextAttemptAt { get; set; }
}

/// <summary>What an attempt came to, for the owner's schedule.</summary>
public readonly record struct WebhookAttempt(bool Delivered, TimeSpan? RetryIn)
{
    /// <summary>Not recorded: nobody to send to yet, or the owner no longer needs it; the reminder looks again.</summary>
    public static readonly WebhookAttempt Waiting = new(false, null);
}

/// <summary>
/// The one delivery mechanism of every webhook Mediation sends (instructions to the payment platform, complaints to
/// partner platforms): a signed attempt through <see cref="IWebhookSender"/>, recorded in the owning grain's stored
/// entry, counted and logged, and retried with exponential backoff and jitter until a 2xx. The owning grain persists
/// the entry; its <see cref="OutboxSchedule"/> runs the retries on a grain timer and keeps a reminder so that a
/// restart or a lost silo resumes them.
/// </summary>
public sealed class WebhookOutbox(IWebhookSender sender, IOptions<WebhookOptions> options, MediationMetrics metrics, ILogger<WebhookOutbox> logger)
{
    public WebhookOptions Options => options.Value;

    /// <summary>
    /// One attempt of the entry's webhook: sent, then — unless no endpoint is configured or the owner no longer needs
    /// it (<paramref name="stillNeeded"/>, asked after the call: a report may have come in meanwhile) — recorded,
    /// persisted by <paramref name="persist"/>, counted and logged.
    /// </summary>
    public async Task<WebhookAttempt> AttemptAsync(IWebhookOutboxEntry entry, OutgoingWebhook webhook, Func<bool> stillNeeded,
        Func<CancellationToken, Task> persist, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = await sender.DeliverAsync(webhook, now, cancellationToken);
        if (result == WebhookDelivery.NotConfigured || !stillNeeded()) return WebhookAttempt.Waiting;
        var retryIn = Record(entry, result, now);
        await persist(cancellationToken);
        metrics.WebhookAttempted(result == WebhookDelivery.Delivered, entry.DeliveryAttempts);
        if (retryIn is { } delay)
            logger.Log(WorthWarning(entry.DeliveryAttempts) ? LogLevel.Warning : LogLevel.Information,
                "Webhook {Key} to {Target} not delivered (attempt {Attempts}); next attempt in {Delay}", webhook.Key, webhook.Target, entry.DeliveryAttempts, delay);
        else
            logger.LogInformation("Webhook {Key} delivered to {Target} after {Attempts} attempt(s)", webhook.Key, webhook.Target, entry.DeliveryAttempts);
        return new WebhookAttempt(retryIn is null, retryIn);
    }

    /// <summary>Whether the entry's next attempt is due (the reminder's pass never runs ahead of the backoff).</summary>
    public static bool IsDue(IWebhookOutboxEntry entry, DateTimeOffset now) => entry.NextAttemptAt is not { } next || next <= now;

    /// <summary>Records what an attempt came to; answers when to try again after a failure.</summary>
    private TimeSpan? Record(IWebhookOutboxEntry entry, WebhookDelivery result, DateTimeOffset now)
    {
        switch (result)
        {
            case WebhookDelivery.Delivered:
                entry.DeliveryAttempts++;
                entry.Delivered = true;
                entry.NextAttemptAt = null;
                return null;
            case WebhookDelivery.Failed:
                entry.DeliveryAttempts++;
                var delay = RetryDelay(entry.DeliveryAttempts);
                entry.NextAttemptAt = now + delay;
                return delay;
            default:
                // Not configured: stays in the outbox; the owner's reminder looks again every period.
                return null;
        }
    }

    /// <summary>Whether this failed attempt is worth a warning: the 4th, 8th, 16th... so that a long outage is seen but not flooded.</summary>
    private static bool WorthWarning(int attempts) => attempts >= 4 && (attempts & (attempts - 1)) == 0;

    /// <summary>Exponential from the base delay, capped, with half of it random so that many retries do not march in step.</summary>
    private TimeSpan RetryDelay(int attempts)
    {
        var o = Options;
        var exponential = o.RetryBaseDelay * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = exponential < o.RetryMaxDelay ? exponential : o.RetryMaxDelay;
        return capped / 2 + capped / 2 * Random.Shared.NextDouble();
    }
}

/// <summary>
/// When a grain's outbox works: a grain timer for the next pass while the activation lives (the backoff's quick
/// retries), and a reminder while anything is outstanding, so that a restart or a lost silo brings the work back. One
/// per activation; the owner says what a pass does (<c>onlyWhenDue</c>: the reminder's pass never runs ahead of the
/// backoff, the timer's was set for the attempt) and when nothing is outstanding any more.
/// </summary>
public sealed class OutboxSchedule(Grain grain, TimeSpan reminderPeriod, Func<bool, CancellationToken, Task> pass)
{
    public const string Reminder = "outbox";

    private IGrainTimer? _timer;
    private bool _armed;

    /// <summary>On activation: picks up what was left, at once or when the entry's next attempt is due.</summary>
    public void Resume(bool hasWork, IWebhookOutboxEntry entry, DateTimeOffset now)
    {
        if (hasWork) RunIn(entry.NextAttemptAt is { } next && next > now ? next - now : TimeSpan.Zero);
    }

    /// <summary>New work, already stored: the reminder armed, and a pass at once.</summary>
    public async Task StartAsync()
    {
        await ArmAsync();
        RunIn(TimeSpan.Zero);
    }

    /// <summary>The next pass on the grain timer (one at a time: a new one replaces the old).</summary>
    public void RunIn(TimeSpan due)
    {
        _timer?.Dispose();
        _timer = grain.RegisterGrainTimer(cancellation => pass(false, cancellation), new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    public async Task ArmAsync()
    {
        if (_armed) return;
        await grain.RegisterOrUpdateReminder(Reminder, reminderPeriod, reminderPeriod);
        _armed = true;
    }

    /// <summary>Nothing outstanding any more: the reminder goes.</summary>
    public async Task DisarmAsync()
    {
        if (await grain.GetReminder(Reminder) is { } existing) await grain.UnregisterReminder(existing);
        _armed = false;
    }

    /// <summary>The owner's <see cref="IRemindable.ReceiveReminder"/>: the reminder's pass.</summary>
    public Task ReceiveReminder(string reminderName) => reminderName == Reminder ? pass(true, CancellationToken.None) : Task.CompletedTask;
}
