using System.Security.Claims;
using System.Text.Json;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Apis;

/// <summary>
/// A complaint a consumers' association or regulator forwards to a partner platform: the order as the platform knows
/// it (its own order id, the seller as <c>merchantId</c>, the consumer as <c>consumerId</c>) and the complaint.
/// </summary>
public sealed record PartnerComplaintBody(
    string Platform, Order Order, DisputeCategory Category, Remedy RequestedRemedy, decimal ClaimedAmount, string Description);

public sealed record PartnerPlatformInfo(string Platform, string Name);

/// <summary>
/// Routing to partner platforms: forwarded complaints become prioritised disputes delivered to the platform's
/// after-sales endpoint (signed, retried, durable: the instructions' outbox), and the platform's signed answers land
/// on the dispute's timeline.
/// </summary>
public static class PartnersApi
{
    public static IEndpointRouteBuilder MapPartnersApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/partner-complaints").WithTags("Partners").RequireAuthorization()
            .MapPost("/", ForwardComplaint).WithName("ForwardPartnerComplaint")
            .WithSummary("A consumers' association or regulator forwards a complaint to a partner platform: a prioritised dispute, delivered to the platform by signed webhook.")
            .AddEndpointFilter<IdempotencyFilter>();
        var partners = app.MapGroup("/api/partners").WithTags("Partners");
        partners.MapGet("/", ListPartners).WithName("ListPartnerPlatforms").RequireAuthorization()
            .WithSummary("The partner platforms complaints can be forwarded to.");
        // Authenticated by the platform's signature over the body, not by a user's token.
        partners.MapPost("/{platform}/answers", Answer).WithName("PartnerAnswer").AllowAnonymous().Accepts<PartnerAnswer>("application/json")
            .WithSummary("A partner platform answers about a complaint forwarded to it (Mediation-Signature with its secret); the answer appears on the dispute's timeline.");
        return app;
    }

    public static Ok<PartnerPlatformInfo[]> ListPartners(IOptions<PartnerOptions> partners) =>
        TypedResults.Ok(partners.Value.Platforms.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
            .Select(p => new PartnerPlatformInfo(p.Key, p.Value.Name)).ToArray());

    public static async Task<Results<Created<DisputeView>, Ok<DisputeView>, ValidationProblem, ProblemHttpResult>> ForwardComplaint(
        PartnerComplaintBody body, ClaimsPrincipal user, IGrainFactory grains, IOptions<PartnerOptions> partners, TimeProvider clock)
    {
        var caller = user.ToCaller();
        if (caller.Role != Role.Regulator)
            return TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: "complaints are forwarded by a consumers' association or regulator");
        if (partners.Value.Configured(body.Platform ?? "") is not { } platform) return ApiProblems.NoSuch("partner platform", body.Platform ?? "");

        var given = body.Order.Normalized();
        var problems = given.Problems(clock.GetUtcNow()).ToDictionary(p => "order." + p.Key, p => p.Value);
        // The platform's order id, kept apart from the payment platform's orders.
        var order = given with { OrderId = $"{platform}:{given.OrderId}" };
        var request = new OpenDisputeRequest(order.OrderId, body.Category, body.RequestedRemedy, body.ClaimedAmount, body.Description).Normalized();
        foreach (var (key, value) in request.Problems()) problems.TryAdd(key == "orderId" ? "order.orderId" : key, value);
        if (problems.Count > 0) return TypedResults.ValidationProblem(problems, detail: "the complaint is not valid");

        var orderGrain = grains.GetGrain<IOrderGrain>(order.OrderId);
        await orderGrain.SubmitAsync(order);
        var result = await orderGrain.ForwardComplaintAsync(caller, request, platform);
        return result.Created
            ? TypedResults.Created($"/api/disputes/{result.Dispute.DisputeId}", result.Dispute)
            : TypedResults.Ok(result.Dispute);
    }

    public static async Task<Results<Created<DisputeEvent>, Ok<DisputeEvent>, ProblemHttpResult>> Answer(
        string platform, HttpRequest request, IGrainFactory grains, IOptions<PartnerOptions> partners,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, TimeProvider clock)
    {
        if (partners.Value.Configured(platform) is not { } name) return ApiProblems.NoSuch("partner platform", platform);
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        var secret = partners.Value.Platforms[name].Secret;
        var check = string.IsNullOrEmpty(secret)
            ? WebhookSignatureCheck.BadSignature
            : WebhookSignature.Verify(secret, request.Headers[WebhookSignature.HeaderName].ToString(), body, clock.GetUtcNow());
        if (check != WebhookSignatureCheck.Valid)
            return TypedResults.Problem(statusCode: 401, title: "Unauthorized", detail: check switch
            {
                WebhookSignatureCheck.Malformed => $"the {WebhookSignature.HeaderName} header is missing or malformed (t=<unix seconds>,v1=<hex HMAC-SHA256>)",
                WebhookSignatureCheck.TooOld => $"the {WebhookSignature.HeaderName} timestamp is more than {WebhookSignature.DefaultTolerance.TotalMinutes} minutes off",
                _ => $"the {WebhookSignature.HeaderName} signature does not match the body under {name}'s secret",
            });

        var answer = JsonSerializer.Deserialize<PartnerAnswer>(body, json.Value.SerializerOptions)
            ?? throw MediationException.Invalid("the answer must be a JSON object");
        if (!Validation.IsId(answer.ComplaintId)) return ApiProblems.NoSuch("complaint", answer.ComplaintId);
        var (answered, created) = await grains.GetGrain<IDisputeGrain>(answer.ComplaintId).RecordPartnerAnswerAsync(name, answer);
        return created ? TypedResults.Created($"/api/disputes/{answered.DisputeId}/events?afterSeq={answered.Seq - 1}", answered) : TypedResults.Ok(answered);
    }
}
