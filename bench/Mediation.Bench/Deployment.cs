namespace Mediation.Bench;

/// <summary>Where the parties of a dispute connect when a deployment has two edge nodes.</summary>
public enum Spread
{
    /// <summary>Both parties of dispute i on node i % nodes: every push stays on the node of its sender.</summary>
    ByDispute,
    /// <summary>Consumers on node 0, merchants on node 1: every push crosses from one API node to the other.</summary>
    Cross,
}

/// <summary>
/// One system under test, started by the bench and stopped by it: the bare relay, the embedded service, or the
/// production topology (PostgreSQL, silos, API nodes as Orleans clients). Knows its processes, so it can tell their
/// CPU and memory, and where clients connect.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public const string RelayLabel = "relay";
    public const string MediationLabel = "mediation";

    private readonly List<ServiceProcess> _processes = [];
    private PostgresServer? _database;

    public required string Label { get; init; }
    public required string Description { get; init; }
    /// <summary>The edge nodes clients connect to (HTTP and SignalR); setup goes to the first.</summary>
    public List<Uri> Nodes { get; } = [];
    public Spread Spread { get; init; } = Spread.ByDispute;
    public IReadOnlyList<ServiceProcess> Processes => _processes;
    public bool Started => _processes.Count > 0;

    /// <summary>The node a party connects to.</summary>
    public Uri NodeOf(int disputeIndex, string role) => Nodes.Count == 1 ? Nodes[0]
        : Spread == Spread.Cross ? Nodes[role == "consumer" ? 0 : 1 % Nodes.Count]
        : Nodes[disputeIndex % Nodes.Count];

    /// <summary>CPU seconds so far per process (role#n), and the database server's when there is one.</summary>
    public Dictionary<string, double?> CpuSeconds()
    {
        var cpu = _processes.Select((p, i) => (Name: ProcessName(p), Cpu: p.ProcCpuSeconds)).ToDictionary(p => p.Name, p => p.Cpu);
        if (_database is not null) cpu["database"] = _database.CpuTime()?.TotalSeconds;
        return cpu;
    }

    public Dictionary<string, long?> RssBytes() => _processes.ToDictionary(ProcessName, p => p.RssBytes);

    private string ProcessName(ServiceProcess p) =>
        _processes.Count(q => q.Role == p.Role) == 1 ? p.Role : $"{p.Role}{_processes.Where(q => q.Role == p.Role).ToList().IndexOf(p) + 1}";

    public IReadOnlyList<(string Problem, int Count)> Problems() =>
        _processes.SelectMany(p => p.Problems().Select(q => (Problem: $"{ProcessName(p)}: {q.Problem}", q.Count)))
            .OrderByDescending(p => p.Count).ToList();

    /// <param name="except">A process the run killed on purpose (the kill scenario's silo).</param>
    public string? ExitedProcesses(ServiceProcess? except = null) =>
        _processes.Where(p => p.ExitCode is not null && p != except).Select(p => $"{ProcessName(p)} exited with {p.ExitCode}").ToList() is { Count: > 0 } exited
            ? string.Join("; ", exited) : null;

    public string NameOf(ServiceProcess process) => ProcessName(process);

    public string Tails() => string.Join("\n", _processes.Select(p => $"--- {ProcessName(p)}:\n{p.Tail()}"));

    /// <summary>
    /// Every simulated user connects from 127.0.0.1, so the per-address allowance for opening disputes (1,000 at once,
    /// then 100/s) would throttle the setup; per-user limits and the hub's per-connection limit stay at their defaults
    /// (a party of the sweep sends at most a few calls a second). --env may set it again.
    /// </summary>
    public static readonly KeyValuePair<string, string> OneAddressForEveryone = new("Mediation__RateLimits__Disputes__PerIp__TokenLimit", "0");

    public static Deployment External(Uri url) => new() { Label = MediationLabel, Description = $"external service at {url} (not started by the bench)", Nodes = { url } };

    /// <summary>The bare relay (bench/Mediation.Relay), one process per node; parties of a dispute share a node.</summary>
    public static async Task<Deployment> StartRelayAsync(int nodes, bool rebuild, string? log, TextWriter progress)
    {
        var d = new Deployment
        {
            Label = RelayLabel,
            Description = $"bench/Mediation.Relay: bare ASP.NET Core SignalR hub relaying to the dispute's group, no Orleans, no storage ({nodes} process{(nodes > 1 ? "es" : "")})",
        };
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                var port = ServiceProcess.FreePort();
                await d.AddAsync(new ServiceProcess.Launch("relay", ServiceProcess.Relay, [], port, null), rebuild, Suffix(log, "relay", i, nodes), progress);
                d.Nodes.Add(new Uri($"http://127.0.0.1:{port}"));
            }
        }
        catch
        {
            await d.DisposeAsync();
            throw;
        }
        return d;
    }

    /// <summary>The service as it ships by default: one process, API and silo co-hosted, SQLite in a temp folder.</summary>
    public static async Task<Deployment> StartEmbeddedAsync(IReadOnlyList<KeyValuePair<string, string>> environment, bool rebuild, string? log, TextWriter progress)
    {
        var d = new Deployment
        {
            Label = MediationLabel,
            Description = "src/Api embedded default: API and silo in one process, SQLite in a fresh temp folder (WAL, synchronous=FULL)",
        };
        try
        {
            var port = ServiceProcess.FreePort();
            var settings = new List<KeyValuePair<string, string>> { new("Mediation__SiloPort", ServiceProcess.FreePort().ToString()), OneAddressForEveryone };
            settings.AddRange(environment);
            await d.AddAsync(new ServiceProcess.Launch("service", ServiceProcess.Api, settings, port, null), rebuild, Suffix(log, "mediation", 0, 1), progress);
            d.Nodes.Add(new Uri($"http://127.0.0.1:{port}"));
        }
        catch
        {
            await d.DisposeAsync();
            throw;
        }
        return d;
    }

    /// <summary>
    /// Production mode on this machine: a throwaway PostgreSQL (scripts/pg.sh), <paramref name="silos"/> standalone
    /// silos and <paramref name="apiNodes"/> API nodes as Orleans clients, all on loopback.
    /// </summary>
    public static async Task<Deployment> StartProductionAsync(int silos, int apiNodes, Spread spread, IReadOnlyList<KeyValuePair<string, string>> environment,
        bool rebuild, string? log, TextWriter progress, CancellationToken cancel)
    {
        var d = new Deployment
        {
            Label = MediationLabel,
            Spread = spread,
            Description = $"production mode: PostgreSQL ({PostgresServer.Settings}), {silos} silo{(silos > 1 ? "s" : "")} (src/Silo), " +
                          $"{apiNodes} API node{(apiNodes > 1 ? "s" : "")} as Orleans clients; parties {(spread == Spread.Cross ? "consumer on node 1, merchant on node 2" : "of dispute i on node i % nodes")}",
        };
        try
        {
            d._database = await PostgresServer.StartAsync(progress, cancel);
            var shared = new List<KeyValuePair<string, string>>
            {
                new("Mediation__Storage", "PostgreSql"),
                new("ConnectionStrings__Mediation", d._database.ConnectionString),
                new("Mediation__AdvertisedAddress", "127.0.0.1"),
            };
            for (var i = 0; i < silos; i++)
            {
                var gateway = ServiceProcess.FreePort();
                var settings = new List<KeyValuePair<string, string>>(shared)
                {
                    new("Mediation__SiloPort", ServiceProcess.FreePort().ToString()),
                    new("Mediation__GatewayPort", gateway.ToString()),
                };
                settings.AddRange(environment);
                await d.AddAsync(new ServiceProcess.Launch("silo", ServiceProcess.Silo, settings, null, gateway), rebuild, Suffix(log, "silo", i, silos), progress);
            }
            for (var i = 0; i < apiNodes; i++)
            {
                var port = ServiceProcess.FreePort();
                var settings = new List<KeyValuePair<string, string>>(shared) { new("Mediation__ApiHosting", "Client"), OneAddressForEveryone };
                settings.AddRange(environment);
                await d.AddAsync(new ServiceProcess.Launch("api", ServiceProcess.Api, settings, port, null), rebuild, Suffix(log, "api", i, apiNodes), progress);
                d.Nodes.Add(new Uri($"http://127.0.0.1:{port}"));
            }
        }
        catch
        {
            await d.DisposeAsync();
            throw;
        }
        return d;
    }

    private static string? Suffix(string? log, string role, int i, int count) => log is null ? null : count == 1 ? $"{log}.{role}" : $"{log}.{role}{i + 1}";

    private async Task AddAsync(ServiceProcess.Launch launch, bool rebuild, string? log, TextWriter progress)
    {
        progress.WriteLine($"[{Label}] starting {launch.Role} ({launch.Project.Folder}, Release)");
        var process = await ServiceProcess.StartAsync(launch, rebuild, log, progress);
        _processes.Add(process);
        progress.WriteLine($"  {launch.Role} ready at {process.BaseAddress} (pid {process.ProcessId})");
    }

    /// <summary>Stops the API nodes first (they hold the connections), then the silos, then the database.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes.AsEnumerable().Reverse()) await p.DisposeAsync();
        _processes.Clear();
        if (_database is not null) await _database.DisposeAsync();
        _database = null;
    }
}
