using System.Globalization;

namespace Mediation.Bench;

/// <summary>The command line. Everything has a default, so a bare <c>dotnet run</c> runs N = 100 for 30 s.</summary>
public sealed class BenchOptions
{
    public int Disputes { get; private set; } = 100;
    /// <summary>Sends per second per connection, in each phase.</summary>
    public double Rate { get; private set; } = 0.5;
    public double DurationSeconds { get; private set; } = 30;
    /// <summary>Before the measured phases each party sends one message and one typing signal (not measured).</summary>
    public double WarmupSeconds { get; private set; } = 5;
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

    public const string Usage = """
        Mediation.Bench — end-to-end latency and throughput of the negotiation chat, with a typing-signal baseline.

          dotnet run -c Release --project bench/Mediation.Bench -- [options]

          --disputes N         disputes, each with a consumer and a merchant connection (default 100 → 200 connections)
          --rate R             sends per second per connection in each phase (default 0.5)
          --duration S         seconds of each measured phase, typing then messages (default 30)
          --warmup S           seconds of the unmeasured warm-up: one message and one typing per party (default 5)
          --drain S            seconds to wait for late deliveries after a phase (default 5)
          --setup-concurrency  HTTP requests in flight while creating orders and disputes (default 32)
          --connect-concurrency  connections opened and joined at a time (default 32)
          --url URL            use a running service instead of starting one
          --env KEY=VALUE      extra environment variable for the started service (repeatable)
          --label NAME         the run's name in the report (default: embedded, or external with --url)
          --json FILE          also write the figures as JSON
          --service-log FILE   write everything the started service prints to FILE
          --build              rebuild src/Api in Release before starting it (default: only if missing)
          --compare            run the scenario twice in one invocation: the embedded default (SQLite), then
                               PostgreSQL (a throwaway server from scripts/pg.sh, Mediation__Storage=PostgreSql);
                               prints both reports and a side-by-side table with the ratio postgres/embedded.
                               --env applies to both runs; --json writes both runs and the ratios;
                               --service-log FILE writes FILE.embedded and FILE.postgres (and FILE.postgres-server)
          --order O            with --compare: embedded-first (default) or postgres-first
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        var orderGiven = false;
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
                case "--warmup": o.WarmupSeconds = NonNegative(name); break;
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
        o.Label ??= o.Compare ? "compare" : o.Url is not null ? "external" : "embedded";
        return o;
    }
}
