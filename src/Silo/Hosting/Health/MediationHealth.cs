using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mediation.Silo.Hosting.Health;

/// <summary>
/// The probes Kubernetes asks every process: live (the process answers; no dependency, so a database outage never
/// restarts pods) and ready (this process can serve: its cluster and its database answer). Shared by the API nodes
/// and the standalone silo's health listener, so both answer the same paths with the same body.
/// </summary>
public static class MediationHealth
{
    public const string Live = "live";
    public const string Ready = "ready";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>How long one check may take before it counts as failed: under the probes' 3 s timeout in k8s/.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2.5);

    /// <summary>
    /// The checks every host has: the process itself (live) and the database (ready). An API node that is a client
    /// of silos on the embedded SQLite file (a development setup) has no database of its own to check.
    /// </summary>
    public static IHealthChecksBuilder AddMediationHealthChecks(this IServiceCollection services, MediationSiloOptions options, bool database = true)
    {
        var checks = services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy("the process answers"), tags: [Live]);
        if (database)
            checks.Add(new HealthCheckRegistration("database", _ => new DatabaseHealthCheck(options), HealthStatus.Unhealthy, [Ready], CheckTimeout));
        return checks;
    }

    /// <summary>/health/live, /health/ready and /health (the ready check under its older name), answered with JSON.</summary>
    public static IEndpointRouteBuilder MapMediationHealthProbes(this IEndpointRouteBuilder endpoints)
    {
        var live = new HealthCheckOptions { Predicate = r => r.Tags.Contains(Live), ResponseWriter = WriteAsync };
        var ready = new HealthCheckOptions { Predicate = r => r.Tags.Contains(Ready), ResponseWriter = WriteAsync };
        // Probes are never refused: not for want of a token, nor by a rate limit.
        endpoints.MapHealthChecks(LivePath, live).AllowAnonymous().DisableRateLimiting();
        endpoints.MapHealthChecks(ReadyPath, ready).AllowAnonymous().DisableRateLimiting();
        endpoints.MapHealthChecks("/health", ready).AllowAnonymous().DisableRateLimiting();
        return endpoints;
    }

    /// <summary>
    /// Each check's name, status, our description and its data; never an exception's text, which may carry a host
    /// name or a connection detail (the service logs it).
    /// </summary>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        // Written to a buffer first: the serializer flushes synchronously, which the server does not allow.
        var body = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(body)) Write(json, report);
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }

    private static void Write(Utf8JsonWriter json, HealthReport report)
    {
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
        json.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", entry.Status.ToString());
            if (entry.Description is { } description) json.WriteString("description", description);
            json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
            if (entry.Data.Count > 0)
            {
                json.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    json.WritePropertyName(key);
                    JsonSerializer.Serialize(json, value, value?.GetType() ?? typeof(object));
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
