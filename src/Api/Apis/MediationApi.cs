using System.Security.Claims;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Apis;

public sealed record EvidenceRequestBody(Role Of, string Text, DateTimeOffset DueBy);
public sealed record ProposalBody(Remedy Remedy, decimal Amount, string Text, bool ReturnFirst = false);
public sealed record RulingBody(DisputeCategory Category, Responsibility Responsibility, Remedy Remedy, decimal Amount, string Reasons, bool ReturnFirst = false);
public sealed record ReturnShipmentBody(string Carrier, string TrackingNumber);
public sealed record ReturnReceiptBody(GoodsCondition Condition, string? Note = null);
public sealed record FeedbackBody(int Rating, string? Comment = null);
public sealed record AvailabilityBody(bool Available);
public sealed record MerchantProfileBody(bool Verified, string? City = null, string? ReturnAddress = null);

/// <summary>The mediation half: the mediator's actions, the parties' answers, the return leg, feedback, the case file, the desks, merchants.</summary>
public static class MediationApi
{
    public static IEndpointRouteBuilder MapMediationApi(this IEndpointRouteBuilder app)
    {
        var disputes = app.MapGroup("/api/disputes").WithTags("Mediation").RequireAuthorization();
        var actions = disputes.MapGroup("/").AddEndpointFilter<IdempotencyFilter>();

        actions.MapPost("/{disputeId}/evidence-requests", RequestEvidence).WithName("RequestEvidence")
            .WithSummary("The mediator asks one party for specific evidence by a deadline.");
        actions.MapPost("/{disputeId}/proposals", Propose).WithName("Propose")
            .WithSummary("The mediator proposes a settlement; both parties accepting it settles the dispute.");
        actions.MapPost("/{disputeId}/proposals/{seq:long}/accept", AcceptProposal).WithName("AcceptProposal").WithSummary("A party accepts the mediator's open proposal.");
        actions.MapPost("/{disputeId}/proposals/{seq:long}/reject", RejectProposal).WithName("RejectProposal").WithSummary("A party rejects the mediator's open proposal.");
        actions.MapPost("/{disputeId}/ruling", Rule).WithName("Rule")
            .WithSummary("The mediator rules: classification, responsibility, remedy, amount, return first, reasons. Final inside the platform.");
        actions.MapPost("/{disputeId}/return-shipment", ShipReturn).WithName("ShipReturn").WithSummary("The consumer records the return shipment.");
        actions.MapPost("/{disputeId}/return-receipt", AcknowledgeReturn).WithName("AcknowledgeReturn")
            .WithSummary("The merchant acknowledges the returned goods and their condition.");
        actions.MapPost("/{disputeId}/feedback", GiveFeedback).WithName("GiveFeedback").WithSummary("Once closed, each party rates the process once (1-5).");
        disputes.MapGet("/{disputeId}/case-file", GetCaseFile).WithName("GetCaseFile")
            .WithSummary("The whole case as JSON, or as a printable page with Accept: text/html or ?format=html.");

        var mediators = app.MapGroup("/api/mediators").WithTags("Mediators").RequireAuthorization();
        mediators.MapGet("/{mediatorId}/queue", GetQueue).WithName("GetMediatorQueue").WithSummary("The mediator's cases and the city's waiting queue, oldest first.");
        mediators.MapPut("/{mediatorId}/availability", SetAvailability).WithName("SetMediatorAvailability").WithSummary("The mediator is available or away.");

        var merchants = app.MapGroup("/api/merchants").WithTags("Merchants").RequireAuthorization();
        merchants.MapPut("/{merchantId}/profile", SetProfile).WithName("SetMerchantProfile").WithSummary("Ops: verified flag, city and return address.");
        merchants.MapGet("/{merchantId}/standing", GetStanding).WithName("GetMerchantStanding").WithSummary("The merchant's standing, computed from its record.");
        return app;
    }

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> RequestEvidence(string disputeId, EvidenceRequestBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.RequestEvidenceAsync(user.ToCaller(), body.Of, body.Text, body.DueBy));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> Propose(string disputeId, ProposalBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.ProposeAsync(user.ToCaller(), body.Remedy, body.Amount, body.ReturnFirst, body.Text));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> AcceptProposal(string disputeId, long seq, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.AcceptProposalAsync(user.ToCaller(), seq));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> RejectProposal(string disputeId, long seq, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.RejectProposalAsync(user.ToCaller(), seq));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> Rule(string disputeId, RulingBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.RuleAsync(user.ToCaller(),
            new Ruling(body.Category, body.Responsibility, body.Remedy, body.Amount, body.ReturnFirst, body.Reasons)));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> ShipReturn(string disputeId, ReturnShipmentBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.ShipReturnAsync(user.ToCaller(), body.Carrier, body.TrackingNumber));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> AcknowledgeReturn(string disputeId, ReturnReceiptBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.AcknowledgeReturnAsync(user.ToCaller(), body.Condition, body.Note));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> GiveFeedback(string disputeId, FeedbackBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.GiveFeedbackAsync(user.ToCaller(), body.Rating, body.Comment));

    public static async Task<Results<Ok<CaseFile>, ContentHttpResult, ProblemHttpResult>> GetCaseFile(
        string disputeId, ClaimsPrincipal user, IGrainFactory grains, HttpRequest request, string? format = null)
    {
        if (!Validation.IsId(disputeId)) return ApiProblems.NoSuch("dispute", disputeId);
        if (format is not (null or "json" or "html"))
            return TypedResults.Problem(statusCode: 400, title: "Bad request", detail: "format must be json or html");
        var file = await grains.GetGrain<IDisputeGrain>(disputeId).GetCaseAsync(user.ToCaller());
        var html = format == "html" || (format is null && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)));
        return html ? TypedResults.Content(CaseFilePage.Render(file), "text/html; charset=utf-8") : TypedResults.Ok(file);
    }

    public static async Task<Results<Ok<MediatorQueue>, ProblemHttpResult>> GetQueue(string mediatorId, ClaimsPrincipal user, IGrainFactory grains, IOptions<CityOptions> cities)
    {
        if (!Validation.IsId(mediatorId) || cities.Value.CityOf(mediatorId) is not { } city) return ApiProblems.NoSuch("mediator", mediatorId);
        var caller = user.ToCaller();
        if (caller.Role != Role.Mediator || caller.UserId != mediatorId)
            return TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: $"{caller} may not see the queue of mediator {mediatorId}");
        return TypedResults.Ok(await grains.GetGrain<IMediationDeskGrain>(city).GetQueueAsync(caller));
    }

    public static async Task<Results<Ok<MediatorQueue>, ProblemHttpResult>> SetAvailability(
        string mediatorId, AvailabilityBody body, ClaimsPrincipal user, IGrainFactory grains, IOptions<CityOptions> cities)
    {
        if (!Validation.IsId(mediatorId) || cities.Value.CityOf(mediatorId) is not { } city) return ApiProblems.NoSuch("mediator", mediatorId);
        var caller = user.ToCaller();
        if (caller.Role != Role.Mediator || caller.UserId != mediatorId)
            return TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: $"{caller} may not set the availability of mediator {mediatorId}");
        return TypedResults.Ok(await grains.GetGrain<IMediationDeskGrain>(city).SetAvailabilityAsync(caller, body.Available));
    }

    public static async Task<Results<Ok<MerchantProfile>, ProblemHttpResult>> SetProfile(string merchantId, MerchantProfileBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Validation.IsId(merchantId)) return ApiProblems.NoSuch("merchant", merchantId);
        var profile = new MerchantProfile(merchantId, body.Verified, body.City, body.ReturnAddress);
        return TypedResults.Ok(await grains.GetGrain<IMerchantProfileGrain>(merchantId).SetAsync(user.ToCaller(), profile));
    }

    public static async Task<Results<Ok<MerchantStanding>, ProblemHttpResult>> GetStanding(string merchantId, ClaimsPrincipal user, IGrainFactory grains) =>
        Validation.IsId(merchantId)
            ? TypedResults.Ok(await grains.GetGrain<IMerchantProfileGrain>(merchantId).GetStandingAsync())
            : ApiProblems.NoSuch("merchant", merchantId);

    /// <summary>The same answer as every event-producing call of the negotiation.</summary>
    private static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> Act(
        string disputeId, IGrainFactory grains, Func<IDisputeGrain, Task<DisputeEvent>> act) => DisputesApi.Act(disputeId, grains, act);
}
