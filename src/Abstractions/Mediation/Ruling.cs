namespace Mediation;

/// <summary>A mediator's ruling: classification, responsibility, remedy, and why.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.Ruling")]
public sealed record Ruling(
    /// <summary>The category, confirmed or changed.</summary>
    [property: Id(0)] DisputeCategory Category,
    [property: Id(1)] Responsibility Responsibility,
    [property: Id(2)] Remedy Remedy,
    [property: Id(3)] decimal Amount,
    /// <summary>The goods go back to the merchant before the money moves.</summary>
    [property: Id(4)] bool ReturnFirst,
    [property: Id(5)] string Reasons);
