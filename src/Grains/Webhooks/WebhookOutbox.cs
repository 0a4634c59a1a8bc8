using Microsoft.Extensions.Options;

namespace Mediation.Grains.Webhooks;

/// <summary>The delivery bookkeeping a grain keeps in its stored record for one outgoing webhook.</summary>
public interface IWebhookOutboxEntry
{
    int DeliveryAttempts { get; set; }
    bool Delivered { get; set; }
    /// <summary>When the next attempt is due while undelivered.</summary>
    DateTimeOffset? NextAttemptAt { get; set; }
}

/// <summary>
/// The one delivery mechanism of every webhook Mediation sends (instructions to the payment platform, complaints to
/// partner platforms): a signed attempt through <see cref="IWebhookSender"/>, recorded in the owning grain's stored
/// entry, and retried with exponential backoff and jitter until a 2xx. The owning grain persists the entry, runs the
/// retry on a grain timer, and keeps a reminder so that a restart or a lost silo resumes it.
/// </summary>
public sealed class WebhookOutbox(IWebhookSender sender, IOptions<WebhookOptions> options)
{
    public WebhookOptions Options => options.Value;

    /// <summary>Whether the entry's next attempt is due (the reminder's pass never runs ahead of the backoff).</summary>
    public static bool IsDue(IWebhookOutboxEntry entry, DateTimeOffset now) => entry.NextAttemptAt is not { } next || next <= now;

    /// <summary>One signed attempt; nothing is recorded (the owner may have learnt meanwhile that it is no longer needed).</summary>
    public Task<WebhookDelivery> SendAsync(OutgoingWebhook webhook, DateTimeOffset now, CancellationToken cancellationToken) =>
        sender.DeliverAsync(webhook, now, cancellationToken);

    /// <summary>Records what an attempt came to; answers when to try again after a failure.</summary>
    public TimeSpan? Record(IWebhookOutboxEntry entry, WebhookDelivery result, DateTimeOffset now)
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
    public static bool WorthWarning(int attempts) => attempts >= 4 && (attempts & (attempts - 1)) == 0;

    /// <summary>Exponential from the base delay, capped, with half of it random so that many retries do not march in step.</summary>
    private TimeSpan RetryDelay(int attempts)
    {
        var o = Options;
        var exponential = o.RetryBaseDelay * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = exponential < o.RetryMaxDelay ? exponential : o.RetryMaxDelay;
        return capped / 2 + capped / 2 * Random.Shared.NextDouble();
    }
}
