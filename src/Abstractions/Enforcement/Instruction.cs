namespace Mediation;

/// <summary>
/// An outcome turned into money or goods moving: what the payment platform is told to do, identified by
/// <see cref="InstructionId"/> (the receiver applies it at most once by that id).
/// </summary>
[GenerateSerializer, Immutable, Alias("Mediation.Instruction")]
public sealed record Instruction(
    [property: Id(0)] string InstructionId,
    [property: Id(1)] string DisputeId,
    [property: Id(2)] string OrderId,
    [property: Id(3)] string ConsumerId,
    [property: Id(4)] string MerchantId,
    [property: Id(5)] Remedy Remedy,
    /// <summary>Money to the consumer (0 for an exchange or a repair).</summary>
    [property: Id(6)] decimal Amount,
    [property: Id(7)] string Currency,
    /// <summary>The goods were returned before this was issued.</summary>
    [property: Id(8)] bool ReturnFirst,
    /// <summary>The order is a guaranteed trade: its funds are held in escrow.</summary>
    [property: Id(9)] bool Guaranteed,
    [property: Id(10)] DateTimeOffset IssuedAt,
    /// <summary>Not done by then, the compensation fund pays.</summary>
    [property: Id(11)] DateTimeOffset DueBy,
    /// <summary>Where the outcome came from: <c>settlement</c>, <c>proposal</c> or <c>ruling</c>.</summary>
    [property: Id(12)] string Source);

/// <summary>An instruction and what has become of it.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.InstructionStatus")]
public sealed record InstructionStatus(
    [property: Id(0)] Instruction Instruction,
    /// <summary>Null while the platform has not reported.</summary>
    [property: Id(1)] InstructionOutcome? Outcome,
    [property: Id(2)] string? Reason,
    /// <summary>Webhook attempts made so far, and whether one was answered with a 2xx.</summary>
    [property: Id(3)] int DeliveryAttempts,
    [property: Id(4)] bool Delivered,
    [property: Id(5)] DateTimeOffset? ReportedAt);
