namespace Mediation.Grains.Webhooks;

/// <summary>What one delivery attempt came to.</summary>
public enum WebhookDelivery
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,
    /// <summary>Refused, an error status, no answer in time, or nobody listening: try again later.</summary>
    Failed,
    /// <summary>The target has no URL or secret configured: the webhook waits in its outbox.</summary>
    NotConfigured,
}

/// <summary>
/// One webhook to send: to whom (<see cref="WebhookTargets"/>), the key the receiver applies it once by (the
/// <c>Idempotency-Key</c> header), and the JSON body that is signed.
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.OutgoingWebhook")]
public sealed record OutgoingWebhook([property: Id(0)] string Target, [property: Id(1)] string Key, [property: Id(2)] string Body);

/// <summary>Who webhooks go to: the payment platform (instructions), or a partner platform (forwarded complaints).</summary>
public static class WebhookTargets
{
    public const string PaymentPlatform = "payment-platform";

    public static string Partner(string platform) => "partner:" + platform;

    /// <summary>The partner platform a target names, or null.</summary>
    public static string? PartnerOf(string target) => target.StartsWith("partner:", StringComparison.Ordinal) ? target["partner:".Length..] : null;
}

/// <summary>
/// Makes one signed delivery attempt of a webhook (<c>Mediation-Signature</c>, <see cref="WebhookSignature"/>); the host
/// provides it, since HTTP lives outside the grains. Retrying is <see cref="WebhookOutbox"/>'s.
/// </summary>
public interface IWebhookSender
{
    /// <param name="sentAt">The signature's timestamp: the grain's clock.</param>
    Task<WebhookDelivery> DeliverAsync(OutgoingWebhook webhook, DateTimeOffset sentAt, CancellationToken cancellationToken);
}
