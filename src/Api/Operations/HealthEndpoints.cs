using Mediation.Silo.Hosting;
using Mediation.Silo.Hosting.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mediation.Api.Operations;

/// <summary>
/// An API node's probes: live answers while the process does; ready needs the cluster (a round trip to a silo, the
/// node's own in the embedded default, a gateway's as a client) and the database. /health stays as ready.
/// </summary>
public static class HealthEndpoints
{
    public static WebApplicationBuilder AddMediationHealth(this WebApplicationBuilder builder, MediationSiloOptions hosting)
    {
        var database = hosting.Storage == StorageKind.PostgreSql || hosting.ApiHosting == ApiHosting.CoHosted;
        builder.Services.AddMediationHealthChecks(hosting, database)
            .AddCheck<ClusterHealthCheck>("cluster", tags: [MediationHealth.Ready], timeout: MediationHealth.CheckTimeout);
        return builder;
    }

    public static WebApplication MapMediationHealth(this WebApplication app)
    {
        app.MapMediationHealthProbes();
        return app;
    }
}

/// <summary>The cluster answers a grain call and has an active silo: what every request of this node needs.</summary>
internal sealed class ClusterHealthCheck(IClusterClient cluster) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var silos = await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken);
            var data = new Dictionary<string, object> { ["activeSilos"] = silos.Count };
            return silos.Count > 0
                ? HealthCheckResult.Healthy("the cluster answers", data)
                : HealthCheckResult.Unhealthy("no silo is active", data: data);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the cluster does not answer", e);
        }
    }
}
