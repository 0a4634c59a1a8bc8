
namespace Mediation.Production.Tests;

/// <summary>
/// The environment of one production-mode deployment: PostgreSQL storage, its own cluster and service ids, loopback
/// addresses, a 1 s feed heartbeat, and whatever a test adds (shortened deadlines). Keys as environment variables.
/// </summary>
public sealed class ProductionSettings(string connectionString)
{
    public string ConnectionString { get; } = connectionString;
    public string ClusterId { get; } = $"cluster-{Guid.NewGuid():N}"[..16];
    public string ServiceId { get; } = $"service-{Guid.NewGuid():N}"[..16];
    public Dictionary<string, string> Extra { get; } = new();

    /// <summary>The deployment's settings; a key in <see cref="Extra"/> wins (a test that wants the production heartbeat, say).</summary>
    private Dictionary<string, string> Shared()
    {
        var shared = new Dictionary<string, string>
        {
            ["Mediation__Storage"] = "PostgreSql",
            ["ConnectionStrings__Mediation"] = ConnectionString,
            ["Mediation__AdvertisedAddress"] = "127.0.0.1",
            ["Mediation__ClusterId"] = ClusterId,
            ["Mediation__ServiceId"] = ServiceId,
            ["Mediation__HeartbeatPeriod"] = "00:00:01",
        };
        foreach (var (key, value) in Extra) shared[key] = value;
        return shared;
    }

    /// <summary>A standalone silo (or a co-hosting API node) on fresh loopback ports.</summary>
    public Dictionary<string, string> Silo() => new(Shared())
    {
        ["Mediation__SiloPort"] = FreePort.Next().ToString(),
        ["Mediation__GatewayPort"] = FreePort.Next().ToString(),
    };

    /// <summary>An API node that joins the silos as an Orleans client.</summary>
    public Dictionary<string, string> ClientApi() => new(Shared()) { ["Mediation__ApiHosting"] = "Client" };

    /// <summary>The same settings for an in-process <see cref="ApiFactory"/> (configuration keys, not variables).</summary>
    public ApiFactory CoHostedFactory()
    {
        var factory = new ApiFactory();
        foreach (var (key, value) in Silo())
            if (key != "Mediation__SiloPort") factory.Settings[key.Replace("__", ":")] = value;
        return factory;
    }
}
