using Mediation.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mediation.Silo.Hosting;

/// <summary>Where metrics and traces go, bound once from <c>Mediation:Telemetry</c>.</summary>
public sealed record TelemetryOptions
{
    public const string Section = "Mediation:Telemetry";

    /// <summary>The API node's Prometheus scrape endpoint at <c>/metrics</c>.</summary>
    public bool Prometheus { get; init; } = true;

    /// <summary>A standalone silo has no HTTP host: when set, it serves its own <c>/metrics</c> on this port.</summary>
    public int? PrometheusPort { get; init; }

    public OtlpSettings Otlp { get; init; } = new();

    /// <summary>Traces are recorded when an OTLP endpoint is configured, or when this says so (null: follow OTLP).</summary>
    public bool? Traces { get; init; }

    /// <summary>
    /// Orleans' own calls (stream queues, membership, reminders) as spans too: off by default, because the stream
    /// agents' queue polls alone make a trace every few milliseconds per queue.
    /// </summary>
    public bool OrleansRuntimeTraces { get; init; }

    /// <summary>
    /// The Orleans Dashboard on every silo and, for the ops role, on the API node. Off unless asked: its grain-call
    /// profiler and counters run on the hot path (a short chat bench ran slower with it, on a loaded machine).
    /// </summary>
    public bool Dashboard { get; init; }

    /// <summary>An OTLP endpoint is configured: <c>Otlp:Endpoint</c>, or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public bool OtlpEnabled { get; private init; }

    public bool TracesEnabled => Traces ?? OtlpEnabled;

    public sealed record OtlpSettings
    {
        /// <summary>e.g. <c>http://collector:4317</c>; <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> works as well.</summary>
        public string? Endpoint { get; init; }

        /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
        public string? Protocol { get; init; }
    }

    public static TelemetryOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        return options with
        {
            OtlpEnabled = !string.IsNullOrWhiteSpace(options.Otlp.Endpoint)
                || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]),
        };
    }
}

public static class MediationTelemetryHosting
{
    // Orleans 10's names (Orleans.Diagnostics): its meter, and the sources of grain calls made by our code and by its runtime.
    public const string OrleansMeter = "Microsoft.Orleans";
    public const string OrleansApplicationSource = "Microsoft.Orleans.Application";
    public const string OrleansRuntimeSource = "Microsoft.Orleans.Runtime";

    /// <summary>
    /// Metrics and traces every Mediation process shares: the Mediation meter and source, Orleans, Npgsql, outgoing
    /// HTTP (webhooks) and the runtime, exported over OTLP when configured. The edge adds ASP.NET Core and SignalR.
    /// </summary>
    public static OpenTelemetryBuilder AddMediationTelemetry(this IHostApplicationBuilder builder, TelemetryOptions options, string serviceName)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named ? named : serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MediationTelemetry.Name, OrleansMeter)
                    .AddRuntimeInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddNpgsqlInstrumentation();
                if (options.PrometheusPort is { } port)
                {
                    // On every interface (Prometheus scrapes the pod's address), not only localhost as the exporter would.
                    metrics.AddPrometheusHttpListener(o =>
                    {
                        o.Port = port;
                        o.ConfigureHttpListener = (_, listener) => { listener.Prefixes.Clear(); listener.Prefixes.Add($"http://+:{port}/"); };
                    });
                }
            });
        if (options.TracesEnabled)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddSource(MediationTelemetry.Name, OrleansApplicationSource)
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                if (options.OrleansRuntimeTraces) tracing.AddSource(OrleansRuntimeSource);
            });
        }
        if (!string.IsNullOrWhiteSpace(options.Otlp.Endpoint))
        {
            var protocol = options.Otlp.Protocol switch
            {
                null or "" or "grpc" => OtlpExportProtocol.Grpc,
                "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
                var other => throw new InvalidOperationException($"{TelemetryOptions.Section}:Otlp:Protocol is '{other}': grpc or http/protobuf"),
            };
            otel.UseOtlpExporter(protocol, new Uri(options.Otlp.Endpoint));
        }
        else if (options.OtlpEnabled)
        {
            // OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS: the exporter reads the standard variables itself.
            otel.UseOtlpExporter();
        }
        return otel;
    }
}
