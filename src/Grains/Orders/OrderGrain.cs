using Mediation.Grains.Disputes;
using Orleans.Runtime;

namespace Mediation.Grains.Orders;

[GenerateSerializer, Alias("Mediation.OrderRecord")]
public sealed class OrderRecord
{
    [Id(0)] public Order? Order { get; set; }
    /// <summary>The one dispute of this order: returned while it runs, and the reason a new one is refused once it ended.</summary>
    [Id(1)] public string? CurrentDisputeId { get; set; }
}

public sealed class OrderGrain(
    [PersistentState("order", MediationStorage.Name)] IPersistentState<OrderRecord> record) : Grain, IOrderGrain
{
    public async Task<(Order Order, bool Created)> SubmitAsync(Order order)
    {
        if (record.State.Order is { } stored)
        {
            if (stored.SameAs(order)) return (stored, false);
            throw MediationException.Conflict($"order {order.OrderId} is already stored with different details; orders are immutable");
        }
        record.State.Order = order;
        await record.WriteStateAsync();
        return (order, true);
    }

    public Task<Order> GetAsync(Caller caller)
    {
        var order = RequireOrder();
        var mayRead = caller.Role switch
        {
            Role.Consumer => caller.UserId == order.ConsumerId,
            Role.Merchant => caller.UserId == order.MerchantId,
            Role.Ops => true,
            _ => false,
        };
        return mayRead ? Task.FromResult(order) : throw MediationException.Forbidden($"{caller} may not read order {order.OrderId}");
    }

    public Task<OpenDisputeResult> OpenDisputeAsync(Caller caller, OpenDisputeRequest request)
    {
        var order = RequireOrder();
        if (caller.Role != Role.Consumer || caller.UserId != order.ConsumerId)
            throw MediationException.Forbidden($"only the consumer who paid order {order.OrderId} can open a dispute on it");
        return OpenAsync(order, request, caller, (dispute, checkedRequest) => dispute.OpenAsync(order, checkedRequest, caller));
    }

    public Task<OpenDisputeResult> ForwardComplaintAsync(Caller forwardedBy, OpenDisputeRequest request, string platform)
    {
        var order = RequireOrder();
        if (forwardedBy.Role != Role.Regulator)
            throw MediationException.Forbidden($"{forwardedBy} may not forward complaints; a consumers' association or regulator does");
        // The forwarded dispute is the consumer's: an open one is shown as the consumer sees it.
        var consumer = new Caller(order.ConsumerId, Role.Consumer);
        return OpenAsync(order, request, consumer, (dispute, checkedRequest) => dispute.OpenForwardedAsync(order, checkedRequest, forwardedBy, platform));
    }

    private async Task<OpenDisputeResult> OpenAsync(Order order, OpenDisputeRequest request, Caller consumer,
        Func<IDisputeGrain, OpenDisputeRequest, Task<DisputeView>> open)
    {
        request = request with
        {
            ClaimedAmount = Validation.RequireMoney(request.ClaimedAmount, order.Currency, request.RequestedRemedy.PaysMoney(), "the claimed amount"),
            Description = Validation.RequireText(request.Description, Validation.MaxDescriptionLength, "description"),
        };
        if (request.ClaimedAmount > order.Total)
            throw MediationException.Invalid($"the claimed amount {request.ClaimedAmount} is above the order total {order.Total}");

        if (record.State.CurrentDisputeId is { } currentId)
        {
            var current = GrainFactory.GetGrain<IDisputeGrain>(currentId);
            try
            {
                var view = await current.GetAsync(consumer);
                // A closed case stays closed. Anything not ended (escalated included: a mediator is on it) is the
                // dispute the consumer already has, so it is returned as it is.
                if (view.State.HasEnded())
                    throw MediationException.Conflict(
                        $"order {order.OrderId} already had dispute {currentId}, which is {view.State.ToString().ToLowerInvariant()}; a dispute that ended cannot be opened again");
                return new OpenDisputeResult(view, Created: false);
            }
            catch (MediationException e) when (e.Code == ErrorCode.NotFound)
            {
                // The id was claimed but the dispute never opened (a crash in between): open it now under the same id.
                return new OpenDisputeResult(await open(current, request), Created: true);
            }
        }

        // Claim the id first, so a crash after this point reopens the same dispute instead of a second one.
        var disputeId = "d-" + Guid.NewGuid().ToString("N");
        record.State.CurrentDisputeId = disputeId;
        await record.WriteStateAsync();
        var opened = await open(GrainFactory.GetGrain<IDisputeGrain>(disputeId), request);
        return new OpenDisputeResult(opened, Created: true);
    }

    private Order RequireOrder() =>
        record.State.Order ?? throw MediationException.NotFound($"order {this.GetPrimaryKeyString()} does not exist");
}
