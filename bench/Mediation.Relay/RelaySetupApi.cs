using Microsoft.AspNetCore.Http.HttpResults;

namespace Mediation.Relay;

public sealed record OrderBody(string OrderId, string ConsumerId, string MerchantId);

public sealed record OpenDisputeBody(string OrderId, string? Description);

/// <summary>
/// The two REST calls the bench's setup makes, answered from memory with the fields it reads (the service's
/// <c>Order</c> and <c>DisputeView</c> carry more; the bench uses only <c>disputeId</c>).
/// </summary>
public static class RelaySetupApi
{
    public static void MapRelaySetupApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/orders", PushOrder).WithName("PushOrder");
        app.MapPost("/api/disputes", OpenDispute).WithName("OpenDispute");
    }

    public static Results<Created<OrderBody>, Ok<OrderBody>> PushOrder(OrderBody body, RelayDisputes disputes)
    {
        var (order, created) = disputes.PushOrder(new RelayOrder(body.OrderId, body.ConsumerId, body.MerchantId));
        var answer = new OrderBody(order.OrderId, order.ConsumerId, order.MerchantId);
        return created ? TypedResults.Created($"/api/orders/{order.OrderId}", answer) : TypedResults.Ok(answer);
    }

    public static Results<Created<DisputeCreated>, ProblemHttpResult> OpenDispute(OpenDisputeBody body, HttpRequest request, RelayDisputes disputes)
    {
        var consumerId = request.Headers["X-User-Id"].ToString();
        if (disputes.Open(body.OrderId, consumerId, body.Description ?? "") is not { } dispute)
            return TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"order {body.OrderId} of consumer {consumerId} does not exist");
        return TypedResults.Created($"/api/disputes/{dispute.DisputeId}",
            new DisputeCreated(dispute.DisputeId, dispute.Order.OrderId, dispute.Order.ConsumerId, dispute.Order.MerchantId, "AwaitingMerchant", 1));
    }
}

public sealed record DisputeCreated(string DisputeId, string OrderId, string ConsumerId, string MerchantId, string State, long LatestSeq);
