using System.Net;
using Mediation.Grains;
using Mediation.Grains.Disputes;
using Mediation.Grains.Webhooks;
using Mediation.Silo.EventLog;
using Mediation.Silo.Evidence;
using Mediation.Silo.Schema;
using Mediation.Silo.Sqlite;
using Mediation.Silo.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mediation.Silo.Hosting;

public static class MediationSiloHosting
{
    /// <summary>SQLite through the Orleans ADO.NET providers: Orleans maps this invariant to Microsoft.Data.Sqlite.</summary>
    public const string SqliteInvariant = "System.Data.SQLite";
    public const string PostgresInvariant = "Npgsql";

    /// <summary>Hosts a Mediation silo in this process, configured from the builder's configuration.</summary>
    public static IHostApplicationBuilder AddMediationSilo(this IHostApplicationBuilder builder, MediationSiloOptions? options = null)
    {
        options ??= MediationSiloOptions.From(builder.Configuration);
        var telemetry = TelemetryOptions.From(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            silo.AddMediationClustering(options);
            silo.AddMediation(options, builder.Configuration);
            // Membership stays in PostgreSQL; Kubernetes hosting adds pod names, labels and faster death of deleted pods.
            if (options.Kubernetes) silo.UseKubernetesHosting();
            // A grain call joins its caller's trace (the hub call of a chat message, say).
            silo.AddActivityPropagation();
            // Every silo feeds the dashboard; the API node shows it (ops only).
            if (telemetry.Dashboard) silo.AddDashboard(o => o.HideTrace = true);
        });
        builder.Services.AddEvidenceStore(options);
        return builder;
    }

    /// <summary>Cities and their mediators, bound once however many hosts (silo, edge) ask for them.</summary>
    public static IServiceCollection AddCityOptions(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(CityOptionsBound))) return services;
        services.AddSingleton<CityOptionsBound>();
        services.AddOptions<CityOptions>().Bind(configuration.GetSection(CityOptions.Section))
            .Validate(o => o.Cities.Values.Select(c => c.ReturnPolicy).Append(o.ReturnPolicy)
                    .All(p => p is null || (p.NoReasonReturnDays is null or >= 0 && p.Offers.All(x => Enum.IsDefined(x.Remedy) && x.Share is >= 0m and <= 1m))),
                "Mediation:ReturnPolicy and Mediation:Cities:{city}:ReturnPolicy: each offer's Share is 0 to 1 and its Remedy a known remedy")
            .ValidateOnStart();
        return services;
    }

    private sealed class CityOptionsBound;

    /// <summary>Partner platforms (their after-sales endpoints and secrets), bound once for the silo and the edge alike.</summary>
    public static IServiceCollection AddPartnerOptions(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(PartnerOptionsBound))) return services;
        services.AddSingleton<PartnerOptionsBound>();
        services.AddOptions<PartnerOptions>().Bind(configuration.GetSection(PartnerOptions.Section));
        return services;
    }

    private sealed class PartnerOptionsBound;

    public static ISiloBuilder AddMediationClustering(this ISiloBuilder silo, MediationSiloOptions options)
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = options.ProbeTimeout;
            o.NumMissedProbesLimit = options.MissedProbesLimit;
            o.NumVotesForDeathDeclaration = options.VotesForDeath;
            o.IAmAliveTablePublishTimeout = options.IAmAlivePeriod;
            // A silo that is itself starved of CPU waits longer before it suspects others, instead of voting wrongly.
            o.ExtendProbeTimeoutDuringDegradation = true;
        });
        if (options.Storage == StorageKind.Sqlite)
        {
            IPEndPoint? primary = options.PrimarySiloPort is { } port ? new IPEndPoint(IPAddress.Loopback, port) : null;
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, options.ServiceId, options.ClusterId);
        }
        else
        {
            silo.UseAdoNetClustering(o => { o.Invariant = PostgresInvariant; o.ConnectionString = RequirePostgres(options); });
            var gatewayPort = options.GatewayPort == 0 ? 30000 : options.GatewayPort;
            if (options.AdvertisedAddress is { Length: > 0 } advertised)
                silo.ConfigureEndpoints(IPAddress.Parse(advertised), options.SiloPort, gatewayPort, listenOnAnyHostAddress: true);
            else
                silo.ConfigureEndpoints(options.SiloPort, gatewayPort, listenOnAnyHostAddress: true);
        }
        return silo;
    }

    /// <summary>Grains, storage, reminders and the message history; clustering is the caller's (tests bring their own).</summary>
    public static ISiloBuilder AddMediation(this ISiloBuilder silo, MediationSiloOptions options, IConfiguration configuration)
    {
        silo.Services.AddOptions<DisputeDeadlineOptions>().Bind(configuration.GetSection(DisputeDeadlineOptions.Section));
        silo.Services.AddCityOptions(configuration);
        silo.Services.AddOptions<Mediation.Grains.Mediators.MediationDeskOptions>().Bind(configuration.GetSection(Mediation.Grains.Mediators.MediationDeskOptions.Section));
        silo.Services.AddOptions<Mediation.Grains.Merchants.StandingOptions>().Bind(configuration.GetSection(Mediation.Grains.Merchants.StandingOptions.Section));
        // Instructions (to the payment platform) and forwarded complaints (to partner platforms) go out as signed
        // webhooks through one outbox; each owning grain keeps its entry durable and retries it.
        silo.Services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section));
        silo.Services.AddPartnerOptions(configuration);
        silo.Services.AddHttpClient(HttpWebhookSender.ClientName);
        silo.Services.AddSingleton<IWebhookSender, HttpWebhookSender>();
        silo.Services.AddSingleton<WebhookOutbox>();
        silo.Services.AddSingleton<MediationMetrics>();
        var (invariant, connectionString) = options.Storage switch
        {
            StorageKind.Sqlite => (SqliteInvariant, options.SqliteConnectionString),
            _ => (PostgresInvariant, RequirePostgres(options)),
        };

        silo.AddIncomingGrainCallFilter<DatabaseFaults>();

        // The schema must be in place before any provider touches the database: the first stage of the silo's start.
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new SchemaOnStart(options));

        if (options.Storage == StorageKind.Sqlite)
        {
            // Every write of the embedded database goes through one writer thread, batched and off the grain threads.
            silo.Services.AddSingleton(sp => new SqliteWriter(connectionString, sp.GetRequiredService<ILoggerFactory>().CreateLogger<SqliteWriter>(),
                sp.GetService<ISqliteCommitProbe>()));
            silo.Services.AddGrainStorage(MediationStorage.Name, (sp, name) => new SqliteGrainStorage(name,
                sp.GetRequiredService<SqliteWriter>(), sp.GetRequiredService<IGrainStorageSerializer>(), sp.GetRequiredService<IActivatorProvider>()));
            silo.AddReminders();
            silo.Services.AddSingleton<IReminderTable>(sp => new SqliteReminderTable(sp.GetRequiredService<SqliteWriter>(), options.ServiceId));
            silo.Services.AddSingleton<IDisputeEventLog>(sp => new SqliteDisputeEventLog(sp.GetRequiredService<SqliteWriter>()));
            // Stream subscriptions belong to this process's own edge and die with it: kept in memory, never on disk,
            // so a restart never finds stale subscribers of a process that no longer exists.
            silo.AddMemoryGrainStorage("PubSubStore");
        }
        else
        {
            silo.AddAdoNetGrainStorage(MediationStorage.Name, o => { o.Invariant = invariant; o.ConnectionString = connectionString; });
            silo.UseAdoNetReminderService(o => { o.Invariant = invariant; o.ConnectionString = connectionString; });
            silo.AddAdoNetGrainStorage("PubSubStore", o => { o.Invariant = invariant; o.ConnectionString = connectionString; });
            silo.Services.AddSingleton<IDisputeEventLog>(sp =>
                new PostgresDisputeEventLog(connectionString, sp.GetRequiredService<ILogger<PostgresDisputeEventLog>>()));
        }
        // Streams fan events out to the API nodes. Memory streams are not durable; that is acceptable because every
        // event is in the log first and the edge recovers anything a stream drops (resume by seq, gap backfill, heartbeat).
        // The pulling agents poll their queues: the period is the floor of live delivery's latency, and its idle cost
        // is one local queue read per queue per period (bench/README.md has the figures behind the default).
        silo.AddMemoryStreams(MediationStreams.Provider, streams =>
        {
            streams.ConfigurePartitioning(options.StreamQueues);
            streams.ConfigurePullingAgent(agent => agent.Configure(o => o.GetQueueMsgsTimerPeriod = options.StreamPollPeriod));
        });
        if (options.MinimumReminderPeriod is { } minimum) silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = minimum);
        return silo;
    }

    /// <summary>
    /// An HTTP/SignalR edge that is not a silo: it joins the cluster as an Orleans client (production mode, where
    /// API nodes and silos scale separately). Streams must be configured as on the silos.
    /// </summary>
    public static IHostApplicationBuilder AddMediationClient(this IHostApplicationBuilder builder, MediationSiloOptions? options = null)
    {
        options ??= MediationSiloOptions.From(builder.Configuration);
        var telemetry = TelemetryOptions.From(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            client.AddActivityPropagation();
            if (telemetry.Dashboard) client.AddDashboard(o => o.HideTrace = true);
            client.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
            if (options.Storage == StorageKind.Sqlite)
                client.UseLocalhostClustering(options.GatewayPort == 0 ? 30000 : options.GatewayPort, options.ServiceId, options.ClusterId);
            else
                client.UseAdoNetClustering(o => { o.Invariant = PostgresInvariant; o.ConnectionString = RequirePostgres(options); });
            client.AddMemoryStreams(MediationStreams.Provider, streams => streams.ConfigurePartitioning(options.StreamQueues));
        });
        builder.Services.AddEvidenceStore(options);
        return builder;
    }

    /// <summary>
    /// Where evidence bytes live: uploads and downloads are handled at the edge, so co-hosted and client API nodes
    /// both get the store. Files under the data directory in the embedded default; PostgreSQL in production, so that
    /// every node reads what any node stored.
    /// </summary>
    public static IServiceCollection AddEvidenceStore(this IServiceCollection services, MediationSiloOptions options)
    {
        services.AddSingleton<IEvidenceStore>(options.Storage == StorageKind.Sqlite
            ? new FileEvidenceStore(options.EvidenceDirectory)
            : new PostgresEvidenceStore(RequirePostgres(options)));
        return services;
    }

    /// <summary>Applies the schema scripts for the configured storage; also the documented <c>--apply-schema</c> command.</summary>
    public static async Task ApplySchemaAsync(MediationSiloOptions options, CancellationToken cancellationToken = default)
    {
        if (options.Storage == StorageKind.Sqlite)
        {
            Directory.CreateDirectory(options.DataDirectory);
            await SchemaInstaller.ApplySqliteAsync(options.SqliteConnectionString, cancellationToken);
        }
        else
        {
            await SchemaInstaller.ApplyPostgreSqlAsync(RequirePostgres(options), cancellationToken);
        }
    }

    private sealed class SchemaOnStart(MediationSiloOptions options) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaOnStart), ServiceLifecycleStage.First, ct => ApplySchemaAsync(options, ct));
    }

    /// <summary>
    /// The PostgreSQL connection string with each pool bounded (<see cref="MediationSiloOptions.PostgresMaxPoolSize"/>)
    /// unless it sets its own: Npgsql's default of 100 per pool, times two pools per silo, times a scaled-out cluster,
    /// exceeds a server's max_connections (a fourth silo joining under load met "53300: too many clients").
    /// </summary>
    private static string RequirePostgres(MediationSiloOptions options)
    {
        var connectionString = options.PostgresConnectionString
            ?? throw new InvalidOperationException("Mediation:Storage is PostgreSql but ConnectionStrings:Mediation is not set");
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(k => k.Replace(" ", "").ToLowerInvariant() is "maxpoolsize" or "maximumpoolsize")) return connectionString;
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = options.PostgresMaxPoolSize }.ConnectionString;
    }
}
