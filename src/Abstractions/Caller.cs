namespace Mediation;

/// <summary>The authenticated identity behind a request, passed to grains so they can authorize.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.Caller")]
public sealed record Caller([property: Id(0)] string UserId, [property: Id(1)] Role Role)
{
    public override string ToString() => $"{Role.WireName()} {UserId}";
}
