using System.Security.Claims;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mediation.Api.Apis;

/// <summary>The payment platform's report on an instruction: <c>Done</c>, or <c>Failed</c> with a reason.</summary>
public sealed record InstructionResultBody(InstructionOutcome Outcome, string? Reason = null);

public static class InstructionsApi
{
    public static IEndpointRouteBuilder MapInstructionsApi(this IEndpointRouteBuilder app)
    {
        var instructions = app.MapGroup("/api/instructions").WithTags("Enforcement").RequireAuthorization();
        instructions.MapPost("/{instructionId}/result", ReportResult)
            .WithName("ReportInstructionResult")
            .WithSummary("The payment platform (ops) reports an instruction done, or failed with a reason; the same report again answers the same.")
            .AddEndpointFilter<IdempotencyFilter>();
        instructions.MapGet("/{instructionId}", GetInstruction)
            .WithName("GetInstruction")
            .WithSummary("An instruction, its delivery and what the platform reported (its consumer, merchant, mediators, ops).");

        app.MapGroup("/api/orders").WithTags("Enforcement").RequireAuthorization()
            .MapGet("/{orderId}/ledger", GetLedger)
            .WithName("GetOrderLedger")
            .WithSummary("The order's double-entry ledger: entries, balances per account, open claims (its consumer, merchant, mediators, ops).");
        return app;
    }

    public static async Task<Results<Ok<InstructionStatus>, ProblemHttpResult>> ReportResult(
        string instructionId, InstructionResultBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Validation.IsId(instructionId)) return ApiProblems.NoSuch("instruction", instructionId);
        return TypedResults.Ok(await grains.GetGrain<IInstructionGrain>(instructionId).ReportAsync(user.ToCaller(), body.Outcome, body.Reason));
    }

    public static async Task<Results<Ok<InstructionStatus>, ProblemHttpResult>> GetInstruction(string instructionId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Validation.IsId(instructionId)) return ApiProblems.NoSuch("instruction", instructionId);
        return TypedResults.Ok(await grains.GetGrain<IInstructionGrain>(instructionId).GetAsync(user.ToCaller()));
    }

    public static async Task<Results<Ok<LedgerView>, ProblemHttpResult>> GetLedger(string orderId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Validation.IsId(orderId)) return ApiProblems.NoSuch("order", orderId);
        return TypedResults.Ok(await grains.GetGrain<ILedgerGrain>(orderId).GetAsync(user.ToCaller()));
    }
}
