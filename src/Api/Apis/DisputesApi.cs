using System.Security.Claims;
using Mediation.Api.Admission;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mediation.Api.Apis;

public sealed record MessageBody(string Text);
public sealed record OfferBody(Remedy Remedy, decimal Amount);

public static class DisputesApi
{
    public static IEndpointRouteBuilder MapDisputesApi(this IEndpointRouteBuilder app)
    {
        var disputes = app.MapGroup("/api/disputes").WithTags("Disputes").RequireAuthorization();
        var actions = disputes.MapGroup("/").AddEndpointFilter<IdempotencyFilter>();

        actions.MapPost("/", OpenDispute).WithName("OpenDispute").RequireRateLimiting(AbuseLimits.Disputes)
            .WithSummary("The consumer opens a dispute on a paid order; the rest is filled in from the order. Returns the open one if there is one.");
        disputes.MapGet("/{disputeId}", GetDispute).WithName("GetDispute")
            .WithSummary("State, parties, order snapshot, deadlines and what the caller may do now.");
        disputes.MapGet("/{disputeId}/events", GetEvents).WithName("GetDisputeEvents")
            .WithSummary("The timeline after afterSeq, in order.");

        actions.MapPost("/{disputeId}/messages", SendMessage).WithName("SendMessage").WithSummary("A chat message.")
            .RequireRateLimiting(AbuseLimits.Messages);
        actions.MapPost("/{disputeId}/offers", MakeOffer).WithName("MakeOffer").WithSummary("An offer, or a counter-offer replacing the open one.")
            .RequireRateLimiting(AbuseLimits.Offers);
        actions.MapPost("/{disputeId}/offers/{seq:long}/accept", AcceptOffer).WithName("AcceptOffer").WithSummary("Accept the open offer; settles the dispute.")
            .RequireRateLimiting(AbuseLimits.Offers);
        actions.MapPost("/{disputeId}/offers/{seq:long}/reject", RejectOffer).WithName("RejectOffer").WithSummary("Reject the open offer.")
            .RequireRateLimiting(AbuseLimits.Offers);
        actions.MapPost("/{disputeId}/withdraw", Withdraw).WithName("Withdraw").WithSummary("The consumer withdraws the dispute.");
        actions.MapPost("/{disputeId}/escalate", Escalate).WithName("Escalate").WithSummary("Escalate to a mediator, once the rules allow it.");
        actions.MapPost("/{disputeId}/confirm", ConfirmRemedy).WithName("ConfirmRemedy").WithSummary("The consumer confirms the settled remedy was carried out.");
        return app;
    }

    public static async Task<Results<Created<DisputeView>, Ok<DisputeView>, ValidationProblem>> OpenDispute(
        OpenDisputeRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        request = request.Normalized();
        var problems = request.Problems();
        if (problems.Count > 0) return TypedResults.ValidationProblem(problems, detail: "the dispute request is not valid");
        var result = await grains.GetGrain<IOrderGrain>(request.OrderId).OpenDisputeAsync(user.ToCaller(), request);
        return result.Created
            ? TypedResults.Created($"/api/disputes/{result.Dispute.DisputeId}", result.Dispute)
            : TypedResults.Ok(result.Dispute);
    }

    public static async Task<Results<Ok<DisputeView>, ProblemHttpResult>> GetDispute(string disputeId, ClaimsPrincipal user, IGrainFactory grains) =>
        Validation.IsId(disputeId)
            ? TypedResults.Ok(await grains.GetGrain<IDisputeGrain>(disputeId).GetAsync(user.ToCaller()))
            : ApiProblems.NoSuch("dispute", disputeId);

    public static async Task<Results<Ok<IReadOnlyList<DisputeEvent>>, ProblemHttpResult>> GetEvents(
        string disputeId, ClaimsPrincipal user, IGrainFactory grains, long afterSeq = 0, int limit = 200)
    {
        if (!Validation.IsId(disputeId)) return ApiProblems.NoSuch("dispute", disputeId);
        return TypedResults.Ok(await grains.GetGrain<IDisputeGrain>(disputeId).GetEventsAsync(user.ToCaller(), afterSeq, limit));
    }

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> SendMessage(string disputeId, MessageBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.SendMessageAsync(user.ToCaller(), body.Text));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> MakeOffer(string disputeId, OfferBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.MakeOfferAsync(user.ToCaller(), body.Remedy, body.Amount));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> AcceptOffer(string disputeId, long seq, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.AcceptOfferAsync(user.ToCaller(), seq));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> RejectOffer(string disputeId, long seq, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.RejectOfferAsync(user.ToCaller(), seq));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> Withdraw(string disputeId, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.WithdrawAsync(user.ToCaller()));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> Escalate(string disputeId, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.EscalateAsync(user.ToCaller()));

    public static Task<Results<Created<DisputeEvent>, ProblemHttpResult>> ConfirmRemedy(string disputeId, ClaimsPrincipal user, IGrainFactory grains) =>
        Act(disputeId, grains, d => d.ConfirmRemedyAsync(user.ToCaller()));

    /// <summary>Every event-producing call answers with the event it created.</summary>
    internal static async Task<Results<Created<DisputeEvent>, ProblemHttpResult>> Act(
        string disputeId, IGrainFactory grains, Func<IDisputeGrain, Task<DisputeEvent>> act)
    {
        if (!Validation.IsId(disputeId)) return ApiProblems.NoSuch("dispute", disputeId);
        var e = await act(grains.GetGrain<IDisputeGrain>(disputeId));
        return TypedResults.Created($"/api/disputes/{disputeId}/events?afterSeq={e.Seq - 1}", e);
    }
}
