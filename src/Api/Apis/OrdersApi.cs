using System.Security.Claims;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mediation.Api.Apis;

public static class OrdersApi
{
    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/orders").WithTags("Orders").RequireAuthorization();

        orders.MapPost("/", PushOrder)
            .WithName("PushOrder")
            .WithSummary("The payment platform pushes a paid order in (idempotent; a conflicting order is refused).")
            .AddEndpointFilter<IdempotencyFilter>();
        orders.MapGet("/{orderId}", GetOrder).WithName("GetOrder").WithSummary("An order as stored.");
        return app;
    }

    public static async Task<Results<Created<Order>, Ok<Order>, ValidationProblem, ProblemHttpResult>> PushOrder(
        Order order, ClaimsPrincipal user, IGrainFactory grains, TimeProvider clock)
    {
        var caller = user.ToCaller();
        if (caller.Role != Role.Ops)
            return TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: "orders are pushed by the payment platform's ops identity (X-Role: ops)");
        order = order.Normalized();
        var problems = order.Problems(clock.GetUtcNow());
        if (problems.Count > 0) return TypedResults.ValidationProblem(problems, detail: "the order is not valid");

        var (stored, created) = await grains.GetGrain<IOrderGrain>(order.OrderId).SubmitAsync(order);
        return created ? TypedResults.Created($"/api/orders/{stored.OrderId}", stored) : TypedResults.Ok(stored);
    }

    public static async Task<Results<Ok<Order>, ProblemHttpResult>> GetOrder(string orderId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!Validation.IsId(orderId)) return ApiProblems.NoSuch("order", orderId);
        return TypedResults.Ok(await grains.GetGrain<IOrderGrain>(orderId).GetAsync(user.ToCaller()));
    }
}

internal static class ApiProblems
{
    public static ProblemHttpResult NoSuch(string what, string id) =>
        TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"{what} {Truncate(id)} does not exist");

    private static string Truncate(string id) => id.Length > 80 ? id[..80] + "…" : id;
}
