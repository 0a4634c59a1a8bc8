using System.Security.Claims;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mediation.Api.Apis;

public static class PartiesApi
{
    public static IEndpointRouteBuilder MapPartiesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/merchants/{merchantId}/disputes", ListMerchantDisputes).WithTags("Merchants").RequireAuthorization()
            .WithName("ListMerchantDisputes").WithSummary("All of a merchant's disputes with state and running deadline, and its figures.");
        app.MapGet("/api/consumers/{consumerId}/disputes", ListConsumerDisputes).WithTags("Consumers").RequireAuthorization()
            .WithName("ListConsumerDisputes").WithSummary("All of a consumer's disputes and its figures.");
        return app;
    }

    public static async Task<Results<Ok<PartyDisputes>, ProblemHttpResult>> ListMerchantDisputes(string merchantId, ClaimsPrincipal user, IGrainFactory grains) =>
        Validation.IsId(merchantId)
            ? TypedResults.Ok(await grains.GetGrain<IMerchantGrain>(merchantId).ListAsync(user.ToCaller()))
            : ApiProblems.NoSuch("merchant", merchantId);

    public static async Task<Results<Ok<PartyDisputes>, ProblemHttpResult>> ListConsumerDisputes(string consumerId, ClaimsPrincipal user, IGrainFactory grains) =>
        Validation.IsId(consumerId)
            ? TypedResults.Ok(await grains.GetGrain<IConsumerGrain>(consumerId).ListAsync(user.ToCaller()))
            : ApiProblems.NoSuch("consumer", consumerId);
}
