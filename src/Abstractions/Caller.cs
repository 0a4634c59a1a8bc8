namespace Mediation;

/// <summary>The authenticated identity behind a request, passed to grains so they can authorize.</summary>
/// <param name="City">The city a regulator (or mediator) works in, when the token names one; a regulator without one sees every city.</param>
[GenerateSerializer, Immutable, Alias("Mediation.Caller")]
public sealed record Caller([property: Id(0)] string UserId, [property: Id(1)] Role Role, [property: Id(2)] string? City = null)
{
    public override string ToString() => $"{Role.WireName()} {UserId}";
}
