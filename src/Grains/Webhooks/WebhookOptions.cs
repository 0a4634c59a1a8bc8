namespace Mediation.Grains.Webhooks;

/// <summary>
/// Where instructions go (the payment platform) and how every webhook is retried, instructions and forwarded
/// complaints alike. Bound from <c>Mediation:Webhooks</c>; partner platforms' endpoints are <see cref="PartnerOptions"/>.
/// </summary>
public sealed class WebhookOptions
{
    public const string Section = "Mediation:Webhooks";

    /// <summary>The platform's endpoint. Unset: instructions wait in the outbox (a warning is logged once).</summary>
    public string? Url { get; set; }

    /// <summary>The shared secret of the HMAC-SHA256 signature.</summary>
    public string? Secret { get; set; }

    /// <summary>The first retry waits about this long; each later one twice as long, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>One attempt waits this long for an answer before it counts as failed.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The period of the durable reminder that resumes delivery (and the dispute's notice) after a restart or a silo
    /// loss. Orleans' minimum is one minute; the fast retries in between run on a grain timer.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);
}
