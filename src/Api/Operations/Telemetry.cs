using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Claims;
using Mediation.Silo.Hosting;
using Orleans.Dashboard;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mediation.Api.Operations;

/// <summary>
/// The API node's telemetry: everything every process exports (<see cref="MediationTelemetryHosting"/>) plus ASP.NET
/// Core, SignalR and this node's own figures; the Prometheus scrape endpoint; the Orleans Dashboard for ops.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";
    /// <summary>Not under <c>/dashboard</c>: <c>/dashboard.html</c> is the regulator's page.</summary>
    public const string DashboardPath = "/ops/orleans";
    public const string OpsPolicy = "mediation-ops";

    private const string SignalRSource = "Microsoft.AspNetCore.SignalR.Server";
    private const string SignalRConnectionsMeter = "Microsoft.AspNetCore.Http.Connections";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var options = TelemetryOptions.From(builder.Configuration);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<EdgeTelemetry>();
        builder.Services.AddAuthorizationBuilder().AddPolicy(OpsPolicy, policy => policy.RequireAuthenticatedUser().RequireAssertion(c => IsOps(c.User)));
        var otel = builder.AddMediationTelemetry(options, "mediation-api");
        otel.WithMetrics(metrics =>
        {
            // Hosting, Kestrel, routing, diagnostics, rate limiting; and SignalR's connections by transport.
            metrics.AddAspNetCoreInstrumentation().AddMeter(SignalRConnectionsMeter);
            if (options.Prometheus) metrics.AddPrometheusExporter();
        });
        if (options.TracesEnabled)
        {
            otel.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                // One activity per hub method call (ASP.NET Core 10): the root of a chat message's trace.
                .AddSource(SignalRSource));
        }
        return builder;
    }

    /// <summary><c>/metrics</c> for Prometheus (open, like a health probe: figures only, no personal data) and the dashboard.</summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<TelemetryOptions>();
        if (options.Prometheus) app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        if (options.Dashboard) app.MapOrleansDashboard(DashboardPath).RequireAuthorization(OpsPolicy);
        return app;
    }

    // The development identity spells the role as the enum ("Ops"), tokens by its wire name ("ops").
    private static bool IsOps(ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) is not null
        && string.Equals(user.FindFirstValue(ClaimTypes.Role), Role.Ops.WireName(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// What this API node measures itself: live connections, and how long an event takes from its commit to its push to
/// the dispute's group; and the <c>mediation.push</c> span that ends a chat message's trace on this node.
/// </summary>
public sealed class EdgeTelemetry
{
    private static readonly ActivitySource Source = new(MediationTelemetry.Name);

    private readonly UpDownCounter<long> _connections;
    private readonly Histogram<double> _delivery;
    private readonly TimeProvider _clock;

    public EdgeTelemetry(IMeterFactory meters, IServiceProvider services)
    {
        var meter = meters.Create(MediationTelemetry.Name);
        _connections = meter.CreateUpDownCounter<long>("mediation.connections.active", "{connection}", "Hub connections open on this API node, by role");
        _delivery = meter.CreateHistogram<double>("mediation.event.delivery.duration", "s",
            "From an event's commit (its timestamp) to its push to the dispute's group on this API node",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        // The clock the events were stamped with: the grains' (a co-hosted silo's may be a demo or test clock).
        _clock = services.GetKeyedService<TimeProvider>(Orleans.Runtime.TimeProviderNames.Grains) ?? TimeProvider.System;
    }

    public void Connected(Role role) => _connections.Add(1, new KeyValuePair<string, object?>("role", role.WireName()));

    public void Disconnected(Role role) => _connections.Add(-1, new KeyValuePair<string, object?>("role", role.WireName()));

    /// <summary>The push of a stream item to a dispute's group, as a child of the call that produced it.</summary>
    public static Activity? StartPush(string disputeId, DisputeStreamItem item)
    {
        ActivityContext.TryParse(item.TraceParent, null, isRemote: true, out var parent);
        var activity = Source.StartActivity("mediation.push", ActivityKind.Producer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("mediation.dispute_id", disputeId);
            if (item.Event is { } e) activity.SetTag("mediation.event.seq", e.Seq).SetTag("mediation.event.type", e.Type.ToString());
        }
        return activity;
    }

    /// <summary>An event reached its group: <c>path</c> is <c>live</c> (from the stream) or <c>backfill</c> (read from the log after a gap).</summary>
    public void Delivered(DisputeEvent e, bool live) =>
        _delivery.Record(Math.Max(0, (_clock.GetUtcNow() - e.At).TotalSeconds), new KeyValuePair<string, object?>("path", live ? "live" : "backfill"));
}
