using Microsoft.Extensions.Configuration;

namespace Mediation.Silo.Hosting;

public enum ApiHosting
{
    /// <summary>The API process is also a silo: the embedded default, and a simple production shape.</summary>
    CoHosted,
    /// <summary>The API process is an Orleans client of separately run silos (<c>src/Silo</c>).</summary>
    Client,
}

public enum StorageKind
{
    /// <summary>The embedded default: one SQLite file under <c>MEDIATION_DATA_DIR</c>.</summary>
    Sqlite,
    /// <summary>Production: PostgreSQL through Npgsql.</summary>
    PostgreSql,
}

/// <summary>How the silo is hosted, read from configuration (appsettings or environment variables).</summary>
public sealed record MediationSiloOptions
{
    public StorageKind Storage { get; init; } = StorageKind.Sqlite;

    /// <summary>Folder of the embedded database; from <c>MEDIATION_DATA_DIR</c>, else a per-user folder.</summary>
    public string DataDirectory { get; init; } = DefaultDataDirectory();

    /// <summary>PostgreSQL connection string (<c>ConnectionStrings:Mediation</c>) in production mode.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>
    /// Connections per PostgreSQL pool of a process (a silo has two: the event log and the Orleans providers). Every
    /// silo of a scaled-out cluster must fit the server's max_connections: silos × 2 × this, plus API nodes.
    /// </summary>
    public int PostgresMaxPoolSize { get; init; } = 20;

    public int SiloPort { get; init; } = 11111;

    /// <summary>0 opens no gateway: the embedded default co-hosts its only client.</summary>
    public int GatewayPort { get; init; }

    /// <summary>For a second local silo: the port of the first one to join (embedded mode, development only).</summary>
    public int? PrimarySiloPort { get; init; }

    /// <summary>How the API process reaches the cluster: it co-hosts a silo (default) or joins as a client.</summary>
    public ApiHosting ApiHosting { get; init; } = ApiHosting.CoHosted;

    /// <summary>The address other silos and clients reach this silo at (production); e.g. the pod IP. Host's address if unset.</summary>
    public string? AdvertisedAddress { get; init; }

    /// <summary>How often the stream agents look for new events: the floor of live delivery's latency.</summary>
    public TimeSpan StreamPollPeriod { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Queues of the memory stream provider (each one polled by one agent every <see cref="StreamPollPeriod"/>).</summary>
    public int StreamQueues { get; init; } = 4;

    /// <summary>Orleans' floor for reminder periods; tests lower it to see deadlines re-fire quickly.</summary>
    public TimeSpan? MinimumReminderPeriod { get; init; }

    /// <summary>
    /// How long a silo waits for a probe's answer, and so how often it probes (Orleans: 5 s). A killed pod is found
    /// after about <see cref="MissedProbesLimit"/> × this: 3 × 2 s ≈ 6 s, inside issue 8's 10 s; below ~2 s a silo
    /// starved of CPU for a moment (a GC, a throttled pod on a busy node) is suspected by mistake, and a false death
    /// costs more than a slow detection: it kills a healthy silo's activations.
    /// </summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes before a silo suspects another (Orleans: 3): one lost packet or pause is not a death.</summary>
    public int MissedProbesLimit { get; init; } = 3;

    /// <summary>
    /// Suspicions needed to declare a silo dead (Orleans: 2): two independent views, so one silo with a bad link to
    /// another cannot evict it alone; Orleans caps it at the number of other active silos, so two silos still work.
    /// </summary>
    public int VotesForDeath { get; init; } = 2;

    /// <summary>
    /// How often a silo writes "I am alive" to the membership table (Orleans: 30 s). A starting silo skips entries older
    /// than two of these when it checks connectivity, so a pod killed while no one was left to vote it dead does not
    /// stop a new one from joining (a joining silo's ValidateInitialConnectivity was cancelled in issue 8's runs).
    /// </summary>
    public TimeSpan IAmAlivePeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The silo runs in a Kubernetes pod (<c>Mediation:Kubernetes</c>): Orleans' Kubernetes hosting names the silo
    /// after its pod and marks silos whose pods are gone as dead. Off for local runs and tests.
    /// </summary>
    public bool Kubernetes { get; init; }

    /// <summary>Port of a standalone silo's health listener (<c>Mediation:Silo:HealthPort</c>); 0 turns it off.</summary>
    public int HealthPort { get; init; } = 8081;

    public string ClusterId { get; init; } = "mediation";
    public string ServiceId { get; init; } = "mediation";

    public string SqlitePath => Path.Combine(DataDirectory, "mediation.db");

    /// <summary>Evidence files of the embedded default (production keeps evidence in PostgreSQL).</summary>
    public string EvidenceDirectory => Path.Combine(DataDirectory, "evidence");

    public string SqliteConnectionString => $"Data Source={SqlitePath};Cache=Private;Pooling=True;Default Timeout=30";

    public static MediationSiloOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Mediation");
        var defaults = new MediationSiloOptions();
        return new MediationSiloOptions
        {
            Storage = section.GetValue("Storage", defaults.Storage),
            DataDirectory = configuration["MEDIATION_DATA_DIR"] is { Length: > 0 } dir ? Path.GetFullPath(dir) : defaults.DataDirectory,
            PostgresConnectionString = configuration.GetConnectionString("Mediation"),
            PostgresMaxPoolSize = section.GetValue("PostgresMaxPoolSize", defaults.PostgresMaxPoolSize),
            SiloPort = section.GetValue("SiloPort", defaults.SiloPort),
            GatewayPort = section.GetValue("GatewayPort", defaults.GatewayPort),
            PrimarySiloPort = section.GetValue<int?>("PrimarySiloPort"),
            ApiHosting = section.GetValue("ApiHosting", defaults.ApiHosting),
            AdvertisedAddress = section["AdvertisedAddress"],
            StreamPollPeriod = section.GetValue("StreamPollPeriod", defaults.StreamPollPeriod),
            StreamQueues = section.GetValue("StreamQueues", defaults.StreamQueues),
            MinimumReminderPeriod = section.GetValue<TimeSpan?>("MinimumReminderPeriod"),
            ProbeTimeout = section.GetValue("ProbeTimeout", defaults.ProbeTimeout),
            MissedProbesLimit = section.GetValue("MissedProbesLimit", defaults.MissedProbesLimit),
            VotesForDeath = section.GetValue("VotesForDeath", defaults.VotesForDeath),
            IAmAlivePeriod = section.GetValue("IAmAlivePeriod", defaults.IAmAlivePeriod),
            Kubernetes = section.GetValue("Kubernetes", defaults.Kubernetes),
            HealthPort = section.GetValue("Silo:HealthPort", defaults.HealthPort),
            ClusterId = section.GetValue("ClusterId", defaults.ClusterId)!,
            ServiceId = section.GetValue("ServiceId", defaults.ServiceId)!,
        };
    }

    private static string DefaultDataDirectory()
    {
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        if (string.IsNullOrEmpty(root)) root = Path.Combine(Path.GetTempPath(), Environment.UserName);
        return Path.Combine(root, "mediation");
    }
}
