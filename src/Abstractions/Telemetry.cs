namespace Mediation;

/// <summary>Mediation's own telemetry: one Meter and one ActivitySource of this name in every process (silo and edge).</summary>
public static class MediationTelemetry
{
    public const string Name = "Mediation";
}
