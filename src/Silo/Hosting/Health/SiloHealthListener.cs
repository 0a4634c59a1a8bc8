using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mediation.Silo.Hosting.Health;

/// <summary>
/// The standalone silo is a generic host without HTTP; Kubernetes' httpGet probes need a port. This listener is a
/// minimal Kestrel app on <see cref="MediationSiloOptions.HealthPort"/> that serves only the health paths, answered by
/// the silo host's own health checks.
/// </summary>
public static class SiloHealthHosting
{
    /// <summary>
    /// Health checks of a standalone silo and their listener. Call it before <c>AddMediationSilo</c>: hosted services
    /// start in order, so the probes answer (live, not ready) while the silo joins, and stop after it.
    /// </summary>
    public static IHostApplicationBuilder AddMediationSiloHealth(this IHostApplicationBuilder builder, MediationSiloOptions? options = null)
    {
        options ??= MediationSiloOptions.From(builder.Configuration);
        builder.Services.AddMediationHealthChecks(options)
            .AddCheck<SiloMembershipHealthCheck>("silo", tags: [MediationHealth.Ready], timeout: MediationHealth.CheckTimeout);
        if (options.HealthPort > 0)
            builder.Services.AddHostedService(sp => new SiloHealthListener(sp, options.HealthPort, sp.GetRequiredService<ILogger<SiloHealthListener>>()));
        return builder;
    }
}

internal sealed class SiloHealthListener(IServiceProvider silo, int port, ILogger<SiloHealthListener> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(port));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(silo.GetRequiredService<HealthCheckService>());
        _app = builder.Build();
        _app.MapMediationHealthProbes();
        await _app.StartAsync(cancellationToken);
        logger.LogInformation("Health probes answer on port {Port} ({Live}, {Ready})", port, MediationHealth.LivePath, MediationHealth.ReadyPath);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _app?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
