using System.Text;
using System.Text.Json;
using Mediation.Grains.Enforcement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediation.Silo.Webhooks;

/// <summary>
/// One signed POST of an instruction to the payment platform. Retrying is the instruction grain's (durable, with
/// backoff); this only makes one attempt, bounded by <see cref="WebhookOptions.AttemptTimeout"/>.
/// </summary>
public sealed class HttpInstructionWebhook(IHttpClientFactory clients, IOptions<WebhookOptions> options, ILogger<HttpInstructionWebhook> logger)
    : IInstructionWebhook
{
    public const string ClientName = "mediation-webhooks";

    private int _warnedNotConfigured;

    public async Task<WebhookDelivery> DeliverAsync(Instruction instruction, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.IsConfigured || string.IsNullOrEmpty(o.Secret))
        {
            if (Interlocked.Exchange(ref _warnedNotConfigured, 1) == 0)
                logger.LogWarning("{Section}:Url and {Section}:Secret are not both set: instructions wait in the outbox until they are",
                    WebhookOptions.Section, WebhookOptions.Section);
            return WebhookDelivery.NotConfigured;
        }

        var body = JsonSerializer.Serialize(InstructionWebhook.From(instruction), MediationJson.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, o.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookSignature.HeaderName, WebhookSignature.Sign(o.Secret, sentAt, body));
        request.Headers.Add(WebhookSignature.IdempotencyHeaderName, instruction.InstructionId);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(o.AttemptTimeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, attempt.Token);
            if (response.IsSuccessStatusCode) return WebhookDelivery.Delivered;
            logger.LogInformation("Instruction {InstructionId}: the platform answered {Status}", instruction.InstructionId, (int)response.StatusCode);
            return WebhookDelivery.Failed;
        }
        catch (HttpRequestException e)
        {
            logger.LogInformation("Instruction {InstructionId}: the platform could not be reached ({Error})", instruction.InstructionId, e.Message);
            return WebhookDelivery.Failed;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Instruction {InstructionId}: no answer within {Timeout}", instruction.InstructionId, o.AttemptTimeout);
            return WebhookDelivery.Failed;
        }
    }
}
