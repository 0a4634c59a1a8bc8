namespace Mediation;

/// <summary>
/// Cities and their mediators, bound from <c>Mediation:Cities</c> (<c>Mediation:Cities:{city}:Mediators:0 = m-1</c>):
/// a new city is configuration, not code.
/// </summary>
public sealed class CityOptions
{
    /// <summary>Bound at this section, so that its <c>Cities</c> are <c>Mediation:Cities</c>.</summary>
    public const string Section = "Mediation";

    public Dictionary<string, CityMediators> Cities { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The city whose pool holds <paramref name="mediatorId"/>, or null.</summary>
    public string? CityOf(string mediatorId) =>
        Cities.FirstOrDefault(c => c.Value.Mediators.Contains(mediatorId, StringComparer.Ordinal)).Key;
}

public sealed class CityMediators
{
    public List<string> Mediators { get; set; } = [];
}
