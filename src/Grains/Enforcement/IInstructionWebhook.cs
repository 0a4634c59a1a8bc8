namespace Mediation.Grains.Enforcement;

/// <summary>What one delivery attempt came to.</summary>
public enum WebhookDelivery
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,
    /// <summary>Refused, an error status, no answer in time, or nobody listening: try again later.</summary>
    Failed,
    /// <summary>No webhook URL is configured: the instruction waits in the outbox.</summary>
    NotConfigured,
}

/// <summary>Sends one instruction to the payment platform, signed; the host provides it (HTTP lives outside the grains).</summary>
public interface IInstructionWebhook
{
    /// <param name="sentAt">The signature's timestamp: the grain's clock.</param>
    Task<WebhookDelivery> DeliverAsync(Instruction instruction, DateTimeOffset sentAt, CancellationToken cancellationToken);
}
