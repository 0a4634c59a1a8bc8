namespace Mediation;

[GenerateSerializer, Immutable, Alias("Mediation.OrderItem")]
public sealed record OrderItem(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Spec,
    [property: Id(2)] int Quantity,
    [property: Id(3)] decimal Price);

/// <summary>A paid order as the payment platform pushes it in. Immutable once stored.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.Order")]
public sealed record Order(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string ConsumerId,
    [property: Id(2)] string MerchantId,
    [property: Id(3)] string StoreName,
    [property: Id(4)] string City,
    [property: Id(5)] IReadOnlyList<OrderItem> Items,
    [property: Id(6)] decimal Total,
    [property: Id(7)] string Currency,
    [property: Id(8)] DateTimeOffset PaidAt,
    [property: Id(9)] string PaymentChannel)
{
    /// <summary>A guaranteed trade: its funds are held in escrow while a dispute on it is open.</summary>
    [Id(10)] public bool Guaranteed { get; init; }

    /// <summary>Value equality including the items (a record compares its list by reference), so an identical re-push is recognised.</summary>
    public bool SameAs(Order other) =>
        this with { Items = other.Items } == other && Items.SequenceEqual(other.Items);
}

/// <summary>What a consumer says when opening a dispute; everything else comes from the order.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.OpenDisputeRequest")]
public sealed record OpenDisputeRequest(
    [property: Id(0)] string OrderId,
    [property: Id(1)] DisputeCategory Category,
    [property: Id(2)] Remedy RequestedRemedy,
    [property: Id(3)] decimal ClaimedAmount,
    [property: Id(4)] string Description);

[GenerateSerializer, Immutable, Alias("Mediation.OpenDisputeResult")]
public sealed record OpenDisputeResult([property: Id(0)] DisputeView Dispute, [property: Id(1)] bool Created);
