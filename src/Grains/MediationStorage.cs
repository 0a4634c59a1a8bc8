namespace Mediation.Grains;

/// <summary>Names of the providers the grains expect the host to configure.</summary>
public static class MediationStorage
{
    /// <summary>The grain storage holding every grain's state.</summary>
    public const string Name = "mediation";
}
