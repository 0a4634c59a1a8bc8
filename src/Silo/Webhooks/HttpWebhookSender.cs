using System.Collections.Concurrent;
using System.Text;
using Mediation.Grains.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mediation.Silo.Webhooks;

/// <summary>
/// One signed POST of a webhook to its target: the payment platform (<c>Mediation:Webhooks:Url</c>/<c>Secret</c>) or
/// a partner platform (<c>Mediation:Partners:Platforms:{platform}:AfterSalesUrl</c>/<c>Secret</c>). Retrying is the
/// outbox's (durable, with backoff); this only makes one attempt, bounded by <see cref="WebhookOptions.AttemptTimeout"/>.
/// </summary>
public sealed class HttpWebhookSender(
    IHttpClientFactory clients, IOptions<WebhookOptions> options, IOptions<PartnerOptions> partners, ILogger<HttpWebhookSender> logger)
    : IWebhookSender
{
    public const string ClientName = "mediation-webhooks";

    private readonly ConcurrentDictionary<string, bool> _warnedNotConfigured = new();

    public async Task<WebhookDelivery> DeliverAsync(OutgoingWebhook webhook, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        var (url, secret, settings) = Endpoint(webhook.Target);
        if (string.IsNullOrWhiteSpace(url) || string.IsNullOrEmpty(secret))
        {
            if (_warnedNotConfigured.TryAdd(webhook.Target, true))
                logger.LogWarning("{Settings} are not both set: webhooks to {Target} wait in the outbox until they are", settings, webhook.Target);
            return WebhookDelivery.NotConfigured;
        }

        var timeout = options.Value.AttemptTimeout;
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(webhook.Body, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookSignature.HeaderName, WebhookSignature.Sign(secret, sentAt, webhook.Body));
        request.Headers.Add(WebhookSignature.IdempotencyHeaderName, webhook.Key);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, attempt.Token);
            if (response.IsSuccessStatusCode) return WebhookDelivery.Delivered;
            logger.LogInformation("Webhook {Key} to {Target}: answered {Status}", webhook.Key, webhook.Target, (int)response.StatusCode);
            return WebhookDelivery.Failed;
        }
        catch (HttpRequestException e)
        {
            logger.LogInformation("Webhook {Key} to {Target}: could not be reached ({Error})", webhook.Key, webhook.Target, e.Message);
            return WebhookDelivery.Failed;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Webhook {Key} to {Target}: no answer within {Timeout}", webhook.Key, webhook.Target, timeout);
            return WebhookDelivery.Failed;
        }
    }

    private (string? Url, string? Secret, string Settings) Endpoint(string target)
    {
        if (WebhookTargets.PartnerOf(target) is { } platform)
        {
            var configured = partners.Value.Configured(platform);
            var partner = configured is null ? null : partners.Value.Platforms[configured];
            return (partner?.AfterSalesUrl, partner?.Secret, $"{PartnerOptions.Section}:Platforms:{platform}:AfterSalesUrl and Secret");
        }
        var o = options.Value;
        return (o.Url, o.Secret, $"{WebhookOptions.Section}:Url and Secret");
    }
}
