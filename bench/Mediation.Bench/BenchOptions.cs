using System.Globalization;

namespace Mediation.Bench;

/// <summary>The command line. Everything has a default, so a bare <c>dotnet run</c> runs N = 100 for 30 s.</summary>
public sealed class BenchOptions
{
    public int Disputes { get; private set; } = 100;
    /// <summary>Sends per second per connection, in each phase.</summary>
    public double Rate { get; private set; } = 0.5;
    public double DurationSeconds { get; private set; } = 30;
    /// <summary>
    /// Before the measured phases each party sends one message (and, under --compare, one typing signal), not measured.
    /// 0 by default (5 under --compare): the ratio run's window starts right after the joins, so that every dispute's
    /// first merchant answer, a state change, is measured.
    /// </summary>
    public double WarmupSeconds { get; private set; }
    /// <summary>Offered rates of the sweep, total events/s over all connections; empty: one rate, connections × <see cref="Rate"/>.</summary>
    public List<double> Rates { get; } = [];
    public HubProtocol Protocol { get; private set; } = HubProtocol.MessagePack;
    /// <summary>Seconds with every party joined and nothing sent, to measure the idle cost (0: no idle phase).</summary>
    public double IdleSeconds { get; private set; }
    /// <summary>Extra disputes that warm the JIT (servers and clients) before the sweep; never measured.</summary>
    public int JitWarmupDisputes { get; private set; } = 20;
    /// <summary>Worker processes holding the connections (0: this process holds them).</summary>
    public int LoadProcesses { get; private set; }
    /// <summary>PostgreSQL, standalone silos and API nodes as Orleans clients instead of the embedded default.</summary>
    public bool Production { get; private set; }
    public int Silos { get; private set; } = 1;
    public int ApiNodes { get; private set; } = 2;
    public Spread Spread { get; private set; } = Spread.ByDispute;
    public bool NoRelay { get; private set; }
    public bool RelayOnly { get; private set; }
    public bool NoTyping { get; private set; }
    /// <summary>Run every rate of the sweep even after one failed.</summary>
    public bool KeepGoing { get; private set; }
    /// <summary>Run --rates in the order given (an overload between two normal phases) instead of lowest first.</summary>
    public bool RatesInOrder { get; private set; }
    /// <summary>Production topology: SIGKILL the last silo this many seconds into the sweep (the kill scenario).</summary>
    public double? KillSiloAfterSeconds { get; private set; }
    /// <summary>Only redraw the chart of a JSON file a run wrote, beside it.</summary>
    public string? ChartFrom { get; private set; }
    /// <summary>Internal: run as a load worker on this slice file (see <see cref="WorkerLoad"/>).</summary>
    public string? WorkerSlice { get; private set; }

    /// <summary>The offered rates asked for, or null when they follow from --rate per connection.</summary>
    public IReadOnlyList<double>? OfferedRates() => Rates.Count > 0 ? Rates : null;

    /// <summary>The offered rates (events/s in all), lowest first, for this many connections under load.</summary>
    public IReadOnlyList<double> OfferedRates(int connections) => Rates.Count > 0 ? Rates : [connections * Rate];
    /// <summary>After a phase's last send, how long to wait for the last deliveries before calling the rest undelivered.</summary>
    public double DrainSeconds { get; private set; } = 5;
    /// <summary>HTTP requests in flight during setup.</summary>
    public int SetupConcurrency { get; private set; } = 32;
    /// <summary>Connections being opened (and joined) at the same time.</summary>
    public int ConnectConcurrency { get; private set; } = 32;
    public Uri? Url { get; private set; }
    public List<KeyValuePair<string, string>> Environment { get; } = [];
    public string? Label { get; private set; }
    public string? JsonFile { get; private set; }
    public string? ServiceLog { get; private set; }
    /// <summary>Rebuild the service in Release even if a build is there.</summary>
    public bool Build { get; private set; }
    public bool ShowHelp { get; private set; }
    /// <summary>Run the scenario twice in one invocation, embedded (SQLite) and PostgreSQL, and compare them.</summary>
    public bool Compare { get; private set; }
    /// <summary>With <see cref="Compare"/>: run PostgreSQL first instead of the embedded mode (to check order effects).</summary>
    public bool PostgresFirst { get; private set; }
    /// <summary>The flood scenario (<see cref="Flood"/>): probe disputes' p99 with and without one client flooding.</summary>
    public bool Flood { get; private set; }
    /// <summary>With <see cref="Flood"/>: rounds of (no flood, flood), each phase --duration s.</summary>
    public int FloodRounds { get; private set; } = 3;
    /// <summary>With <see cref="Flood"/>: REST requests the flooder keeps in flight.</summary>
    public int FloodInFlight { get; private set; } = 64;
    /// <summary>With <see cref="Flood"/>: the flooder reads its disputes (REST GETs of the dispute and its timeline) instead of sending messages.</summary>
    public bool FloodReads { get; private set; }
    /// <summary>With <see cref="Flood"/>: the flooder's REST requests carry a forged token (every one a 401) instead of its own.</summary>
    public bool FloodForged { get; private set; }

    public const string Usage = """
        Mediation.Bench — end-to-end latency and throughput of the negotiation chat against a bare SignalR relay
        (bench/Mediation.Relay) measured in the same invocation with the same clients; a typing-signal baseline.

          dotnet run -c Release --project bench/Mediation.Bench -- [options]

          --disputes N         disputes, each with a consumer and a merchant connection (default 100 → 200 connections)
          --rates R1,R2,...    offered rates to sweep, events/s over all connections, lowest first; a phase per rate
                               and system; stops after two rates in a row fail (p99 ≥ 1 s, an error, an undelivered)
          --rate R             without --rates: one rate, R sends per second per connection (default 0.5)
          --duration S         seconds of each measured phase (default 30)
          --warmup S           seconds of an unmeasured warm-up, one message per party (default 0: the window starts
                               right after the joins; 5 under --compare)
          --jit-warmup W       W extra disputes, never measured, exchange messages and typing for 4 s before the sweep,
                               so that the first phase does not measure JIT compilation (default 20; 0: none)
          --idle-seconds S     after the joins, S seconds with no traffic: the idle CPU of each process (default 0: none)
          --protocol P         messagepack (default) or json
          --load-processes K   K worker processes hold the connections (dispute i in worker i % K); 0 (default): this one
          --topology T         embedded (default: one process, SQLite) or production: PostgreSQL (scripts/pg.sh),
                               --silos standalone silos (default 1), --api-nodes API nodes as Orleans clients (default 2)
          --spread S           production: dispute (default: both parties of dispute i on node i % nodes) or cross
                               (consumers on node 1, merchants on node 2: every push crosses nodes)
          --no-relay           measure Mediation only
          --relay-only         measure the relay only
          --no-typing          skip the typing baseline
          --keep-going         run every rate even after two in a row failed
          --rates-in-order     run --rates in the order given (e.g. R,3R,R: an overload between two normal phases)
          --kill-silo-after S  production, load in this process: kill -9 the last silo S s into the sweep; the report
                               adds failed calls and p50/p99 before, 0-10 s after and from 10 s after the kill
          --chart FILE.json    only redraw the chart (FILE.png) and print the report again from an earlier run's JSON
          --drain S            seconds to wait for late deliveries after a phase (default 5)
          --setup-concurrency  HTTP requests in flight while creating orders and disputes (default 32)
          --connect-concurrency  connections opened and joined at a time (default 32)
          --url URL            use a running service instead of starting one
          --env KEY=VALUE      extra environment variable for the started service (repeatable)
          --label NAME         the run's name in the report (default: embedded, or external with --url)
          --json FILE          the figures as JSON; the chart (PNG) and the text report go beside it (FILE.png, FILE.txt).
                               Default for the relay run: bench/results/<date>-<label>-n<N>.json
          --service-log FILE   write everything the started service prints to FILE
          --build              rebuild src/Api in Release before starting it (default: only if missing)
          --compare            run the scenario twice in one invocation: the embedded default (SQLite), then
                               PostgreSQL (a throwaway server from scripts/pg.sh, Mediation__Storage=PostgreSql);
                               prints both reports and a side-by-side table with the ratio postgres/embedded.
                               --env applies to both runs; --json writes both runs and the ratios;
                               --service-log FILE writes FILE.embedded and FILE.postgres (and FILE.postgres-server)
          --order O            with --compare: embedded-first (default) or postgres-first
          --flood              the flood scenario: --disputes probe disputes chat at 2 messages/s each while, every
                               other phase, one merchant floods its 20 disputes over REST and the hub; prints the
                               probes' p50/p90/p99 without and with the flood (--duration s each phase) and what the
                               flood got through. Add --env Mediation__RateLimits__Enabled=false to see it without the limits
          --flood-rounds N     with --flood: rounds of (no flood, flood), --duration s each phase (default 3)
          --flood-in-flight N  with --flood: REST requests the flooder keeps in flight (default 64)
          --flood-kind K       with --flood: messages (default: POST …/messages and hub SendMessage) or reads
                               (GET /api/disputes/{id} and …/events over REST only)
          --flood-token T      with --flood: valid (default: the flooder's own token) or forged (a token signed with
                               a key no issuer has: every REST request is a 401; no hub connection)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        var orderGiven = false;
        var warmupGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            double Positive(string what)
            {
                var text = Value();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v <= 0 || double.IsInfinity(v))
                    throw new ArgumentException($"{what} must be a positive number, not '{text}'");
                return v;
            }
            double NonNegative(string what)
            {
                var text = Value();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || double.IsInfinity(v))
                    throw new ArgumentException($"{what} must be zero or a positive number, not '{text}'");
                return v;
            }
            int Count(string what)
            {
                var text = Value();
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 1)
                    throw new ArgumentException($"{what} must be a whole number of at least 1, not '{text}'");
                return v;
            }

            switch (name)
            {
                case "--disputes": o.Disputes = Count(name); break;
                case "--rate": o.Rate = Positive(name); break;
                case "--duration": o.DurationSeconds = Positive(name); break;
                case "--warmup": o.WarmupSeconds = NonNegative(name); warmupGiven = true; break;
                case "--rates":
                    var list = Value();
                    o.Rates.Clear();
                    foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        o.Rates.Add(double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0 && !double.IsInfinity(r)
                            ? r : throw new ArgumentException($"--rates takes positive numbers separated by commas, not '{list}'"));
                    if (o.Rates.Count == 0) throw new ArgumentException("--rates needs at least one rate");
                    break;
                case "--rates-in-order": o.RatesInOrder = true; break;
                case "--idle-seconds": o.IdleSeconds = NonNegative(name); break;
                case "--jit-warmup":
                    var w = Value();
                    o.JitWarmupDisputes = int.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var wv) && wv >= 0
                        ? wv : throw new ArgumentException($"--jit-warmup must be 0 or more, not '{w}'");
                    break;
                case "--protocol":
                    var protocol = Value();
                    o.Protocol = protocol.ToLowerInvariant() switch
                    {
                        "messagepack" or "msgpack" => HubProtocol.MessagePack,
                        "json" => HubProtocol.Json,
                        _ => throw new ArgumentException($"--protocol takes messagepack or json, not '{protocol}'"),
                    };
                    break;
                case "--load-processes":
                    var k = Value();
                    o.LoadProcesses = int.TryParse(k, NumberStyles.Integer, CultureInfo.InvariantCulture, out var kv) && kv >= 0
                        ? kv : throw new ArgumentException($"--load-processes must be 0 or more, not '{k}'");
                    break;
                case "--topology":
                    var topology = Value();
                    o.Production = topology switch
                    {
                        "embedded" => false,
                        "production" => true,
                        _ => throw new ArgumentException($"--topology takes embedded or production, not '{topology}'"),
                    };
                    break;
                case "--silos": o.Silos = Count(name); break;
                case "--api-nodes": o.ApiNodes = Count(name); break;
                case "--spread":
                    var spread = Value();
                    o.Spread = spread switch
                    {
                        "dispute" => Spread.ByDispute,
                        "cross" => Spread.Cross,
                        _ => throw new ArgumentException($"--spread takes dispute or cross, not '{spread}'"),
                    };
                    break;
                case "--no-relay": o.NoRelay = true; break;
                case "--relay-only": o.RelayOnly = true; break;
                case "--no-typing": o.NoTyping = true; break;
                case "--keep-going": o.KeepGoing = true; break;
                case "--kill-silo-after": o.KillSiloAfterSeconds = Positive(name); break;
                case "--worker": o.WorkerSlice = Value(); break;
                case "--chart": o.ChartFrom = Value(); break;
                case "--drain": o.DrainSeconds = NonNegative(name); break;
                case "--setup-concurrency": o.SetupConcurrency = Count(name); break;
                case "--connect-concurrency": o.ConnectConcurrency = Count(name); break;
                case "--url":
                    var url = Value();
                    o.Url = Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                        ? uri : throw new ArgumentException($"--url must be an absolute http(s) URL, not '{url}'");
                    break;
                case "--env":
                    var pair = Value();
                    var eq = pair.IndexOf('=');
                    if (eq < 1) throw new ArgumentException($"--env takes KEY=VALUE, not '{pair}'");
                    o.Environment.Add(new(pair[..eq], pair[(eq + 1)..]));
                    break;
                case "--label": o.Label = Value(); break;
                case "--json": o.JsonFile = Value(); break;
                case "--service-log": o.ServiceLog = Value(); break;
                case "--build": o.Build = true; break;
                case "--compare": o.Compare = true; break;
                case "--flood": o.Flood = true; break;
                case "--flood-rounds":
                    o.FloodRounds = int.TryParse(Value(), out var rounds) && rounds is > 0 and <= 100
                        ? rounds : throw new ArgumentException("--flood-rounds takes a count from 1 to 100");
                    break;
                case "--flood-in-flight":
                    o.FloodInFlight = int.TryParse(Value(), out var inFlight) && inFlight is > 0 and <= 100_000
                        ? inFlight : throw new ArgumentException("--flood-in-flight takes a count from 1 to 100000");
                    break;
                case "--flood-kind":
                    o.FloodReads = Value() switch
                    {
                        "messages" => false,
                        "reads" => true,
                        var kind => throw new ArgumentException($"--flood-kind takes messages or reads, not '{kind}'"),
                    };
                    break;
                case "--flood-token":
                    o.FloodForged = Value() switch
                    {
                        "valid" => false,
                        "forged" => true,
                        var t => throw new ArgumentException($"--flood-token takes valid or forged, not '{t}'"),
                    };
                    break;
                case "--order":
                    var order = Value();
                    o.PostgresFirst = order switch
                    {
                        "embedded-first" => false,
                        "postgres-first" => true,
                        _ => throw new ArgumentException($"--order takes embedded-first or postgres-first, not '{order}'"),
                    };
                    orderGiven = true;
                    break;
                case "-h" or "--help": o.ShowHelp = true; break;
                default: throw new ArgumentException($"unknown option '{name}'");
            }
        }
        if (o.Url is not null && (o.Environment.Count > 0 || o.Build || o.ServiceLog is not null))
            throw new ArgumentException("--env, --build and --service-log apply to a started service; they make no sense with --url");
        if (o.Compare && o.Url is not null)
            throw new ArgumentException("--compare starts both services itself; it makes no sense with --url");
        if (orderGiven && !o.Compare) throw new ArgumentException("--order applies to --compare only");
        if (o.Compare && o.Environment.Any(e => e.Key.Replace(":", "__") is var k
                && (k.Equals("Mediation__Storage", StringComparison.OrdinalIgnoreCase) || k.Equals("ConnectionStrings__Mediation", StringComparison.OrdinalIgnoreCase))))
            throw new ArgumentException("--compare sets Mediation__Storage and ConnectionStrings__Mediation itself; do not pass them with --env");
        if (o.Compare && (o.Rates.Count > 0 || o.LoadProcesses > 0 || o.Production || o.IdleSeconds > 0 || o.NoRelay))
            throw new ArgumentException("--compare runs its own two-phase scenario; --rates, --load-processes, --topology, --idle-seconds and --no-relay apply to the relay run");
        if (o.Production && o.Url is not null) throw new ArgumentException("--topology production starts the services itself; it makes no sense with --url");
        if (o.Spread == Spread.Cross && (!o.Production || o.ApiNodes < 2)) throw new ArgumentException("--spread cross needs --topology production with 2 API nodes or more");
        if (!o.RatesInOrder) o.Rates.Sort();
        if (o.KillSiloAfterSeconds is not null && (!o.Production || o.Silos < 2 || o.LoadProcesses > 0))
            throw new ArgumentException("--kill-silo-after needs --topology production, --silos 2 or more and the load in this process (--load-processes 0)");
        if (o.NoRelay && o.RelayOnly) throw new ArgumentException("--no-relay and --relay-only leave nothing to measure");
        if (o.Compare && !warmupGiven) o.WarmupSeconds = 5;
        if (o.Flood && (o.Compare || o.Production || o.Rates.Count > 0 || o.LoadProcesses > 0))
            throw new ArgumentException("--flood runs its own scenario on the embedded service; --compare, --topology, --rates and --load-processes do not apply");
        o.Label ??= o.Compare ? "compare" : o.Url is not null ? "external" : o.Production ? "production" : "embedded";
        return o;
    }
}
