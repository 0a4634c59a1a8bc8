using System.Text;
using System.Text.Json;

namespace Mediation.Bench;

/// <summary>
/// --compare: the same scenario against the embedded default (SQLite) and against PostgreSQL, in one invocation,
/// then both reports and a side-by-side table with the ratio postgres / embedded.
/// </summary>
public static class Compare
{
    public const string EmbeddedLabel = "embedded";
    public const string PostgresLabel = "postgres";

    public static readonly string Notes =
        $"PostgreSQL here is scripts/pg.sh's throwaway server, started with {PostgresServer.Settings}: its commits never wait " +
        "for the disk, while the embedded run's SQLite (WAL, synchronous=FULL) fsyncs every batch it commits. So the postgres " +
        "figures are optimistic about durable-write latency; a production server (fsync=on, synchronous_commit=on) adds a WAL " +
        "flush to every commit. Both services co-host API and silo in one process; PostgreSQL mode also keeps Orleans membership " +
        "in the database (ADO.NET clustering) where the embedded mode uses localhost clustering. SQLite's CPU is inside 'service " +
        "CPU'; the PostgreSQL server's is its own row, so compare 'service + database'. The two runs are sequential on one shared " +
        "machine with the bench: tails (p99, max) vary from run to run by more than small ratios; --order postgres-first checks " +
        "for order effects.";

    public sealed record Row(string Section, string Figure, double? Embedded, double? Postgres, double? Ratio,
        [property: System.Text.Json.Serialization.JsonIgnore] string Format);

    public sealed record LogSummary(int Count, IReadOnlyDictionary<string, int> Kinds);

    public sealed record Comparison(
        DateTimeOffset At, string Label, string Order, string Notes,
        Report? Embedded, Report? Postgres, IReadOnlyList<Row> Ratios,
        LogSummary? DatabaseServerLog, IReadOnlyList<string> Failures);

    public static async Task<int> RunAsync(BenchOptions options, TextWriter progress, CancellationToken cancel)
    {
        var order = options.PostgresFirst ? new[] { PostgresLabel, EmbeddedLabel } : new[] { EmbeddedLabel, PostgresLabel };
        Report? embedded = null, postgres = null;
        LogSummary? databaseLog = null;
        var failures = new List<RunFailedException>();
        string? LogFile(string suffix) => options.ServiceLog is null ? null : $"{options.ServiceLog}.{suffix}";

        for (var i = 0; i < order.Length; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var rebuild = options.Build && i == 0; // one build is enough: both runs use the same binary
            if (i > 0)
            {
                // Let the first run's connections, service and garbage go before the second run measures anything.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await Task.Delay(TimeSpan.FromSeconds(3), cancel);
            }
            progress.WriteLine();
            progress.WriteLine($"=== run {i + 1} of 2: {order[i]} ===");
            try
            {
                if (order[i] == EmbeddedLabel)
                {
                    embedded = await BenchRun.RunAsync(options, new RunSpec(EmbeddedLabel, options.Environment, rebuild, LogFile(EmbeddedLabel),
                        "SQLite, embedded in the service process (WAL, synchronous=FULL), a file in a fresh temp folder"), progress, cancel);
                }
                else
                {
                    var server = await PostgresServer.StartAsync(progress, cancel);
                    try
                    {
                        var environment = new List<KeyValuePair<string, string>>
                        {
                            new("Mediation__Storage", "PostgreSql"),
                            new("ConnectionStrings__Mediation", server.ConnectionString),
                            // PostgreSQL mode always opens a gateway (30000 unless set) and advertises the host's address:
                            // keep both on loopback and off fixed ports, as the embedded run's silo port is.
                            new("Mediation__GatewayPort", ServiceProcess.FreePort().ToString()),
                            new("Mediation__AdvertisedAddress", "127.0.0.1"),
                        };
                        environment.AddRange(options.Environment); // the user's --env may override the last two
                        postgres = await BenchRun.RunAsync(options, new RunSpec(PostgresLabel, environment, rebuild, LogFile(PostgresLabel),
                            $"PostgreSQL from scripts/pg.sh on 127.0.0.1:{server.Port} ({PostgresServer.Settings}: commits do not wait for the disk)",
                            server.CpuTime), progress, cancel);
                    }
                    finally
                    {
                        var (count, kinds) = server.LogProblems(LogFile("postgres-server"));
                        databaseLog = new(count, kinds.Take(15).ToDictionary(k => k.Problem, k => k.Count));
                        await server.DisposeAsync();
                    }
                }
            }
            catch (RunFailedException e)
            {
                failures.Add(e);
                progress.WriteLine($"the {order[i]} run failed: {e.InnerException?.Message}");
                if (e.ServiceTail is { Length: > 0 } tail) progress.WriteLine($"the service's last output:\n{tail}");
            }
        }

        var comparison = new Comparison(DateTimeOffset.UtcNow, options.Label!, string.Join(", then ", order), Notes,
            embedded, postgres, embedded is not null && postgres is not null ? Rows(embedded, postgres, databaseLog) : [],
            databaseLog, failures.Select(f => f.Message).ToList());

        foreach (var label in order)
            if ((label == EmbeddedLabel ? embedded : postgres) is { } report)
            {
                Console.Out.Write(report.ToText());
                Console.Out.WriteLine();
            }
        Console.Out.Write(ToText(comparison));
        if (options.JsonFile is not null)
        {
            await File.WriteAllTextAsync(options.JsonFile, JsonSerializer.Serialize(comparison, Report.JsonOptions), CancellationToken.None);
            progress.WriteLine($"wrote {options.JsonFile}");
        }
        return failures.Count == 0 ? 0 : 1;
    }

    private static IReadOnlyList<Row> Rows(Report e, Report p, LogSummary? databaseLog)
    {
        var rows = new List<Row>();
        void Add(string section, string figure, double? embedded, double? postgres, string format)
        {
            static double? Clean(double? v) => v is { } d && double.IsFinite(d) ? d : null;
            embedded = Clean(embedded);
            postgres = Clean(postgres);
            double? ratio = embedded is { } a && postgres is { } b && a != 0 ? b / a : null;
            rows.Add(new Row(section, figure, embedded, postgres, ratio, format));
        }

        Add("setup", "orders/s", e.Setup.OrdersPerSecond, p.Setup.OrdersPerSecond, "F1");
        Add("setup", "disputes/s", e.Setup.DisputesPerSecond, p.Setup.DisputesPerSecond, "F1");
        Add("setup", "connect+join/s", e.Setup.ConnectionsPerSecond, p.Setup.ConnectionsPerSecond, "F1");
        Add("setup", "join p50 (ms)", e.Setup.JoinP50Ms, p.Setup.JoinP50Ms, "F1");
        Add("setup", "join p99 (ms)", e.Setup.JoinP99Ms, p.Setup.JoinP99Ms, "F1");
        Add("setup", "setup + connect failures", e.Setup.SetupFailures + e.Setup.ConnectFailures.Values.Sum(),
            p.Setup.SetupFailures + p.Setup.ConnectFailures.Values.Sum(), "F0");

        foreach (var (pe, pp) in new[] { (e.Typing, p.Typing), (e.Messages, p.Messages) })
        {
            var section = pe.Name;
            Add(section, "delivered/s", pe.DeliveredPerSecond, pp.DeliveredPerSecond, "F1");
            Add(section, "errors", pe.Errors, pp.Errors, "F0");
            Add(section, "undelivered", pe.Undelivered, pp.Undelivered, "F0");
            Add(section, "p50 (ms)", pe.P50Ms, pp.P50Ms, "F1");
            Add(section, "p95 (ms)", pe.P95Ms, pp.P95Ms, "F1");
            Add(section, "p99 (ms)", pe.P99Ms, pp.P99Ms, "F1");
            Add(section, "max (ms)", pe.MaxMs, pp.MaxMs, "F1");
            Add(section, "service CPU (cores)", pe.ServiceCpuSeconds / pe.WallSeconds, pp.ServiceCpuSeconds / pp.WallSeconds, "F2");
            Add(section, "database server CPU (cores)", pe.DatabaseCpuSeconds / pe.WallSeconds, pp.DatabaseCpuSeconds / pp.WallSeconds, "F2");
            Add(section, "service + database CPU (cores)", Total(pe), Total(pp), "F2");
        }

        Add("messages / typing", "p50", e.MessagesOverTyping.P50, p.MessagesOverTyping.P50, "F2");
        Add("messages / typing", "p99", e.MessagesOverTyping.P99, p.MessagesOverTyping.P99, "F2");

        Add("other", "service log warnings/errors", e.Observations.ServiceLogProblemCount, p.Observations.ServiceLogProblemCount, "F0");
        Add("other", "database server log warnings/errors", null, databaseLog?.Count, "F0");
        Add("other", "heartbeats received (% of expected)",
            100 * e.Observations.HeartbeatsReceived / e.Observations.HeartbeatsExpected,
            100 * p.Observations.HeartbeatsReceived / p.Observations.HeartbeatsExpected, "F0");
        Add("other", "connections closed", e.Observations.ConnectionsClosed, p.Observations.ConnectionsClosed, "F0");
        Add("other", "service working set at the end (MB)", e.Observations.ServiceWorkingSetMb, p.Observations.ServiceWorkingSetMb, "F0");
        return rows;

        // SQLite works inside the service; a separate server's CPU is added when it was measured.
        static double Total(Phase.Summary s) =>
            (s.ServiceCpuSeconds + (double.IsNaN(s.DatabaseCpuSeconds) ? 0 : s.DatabaseCpuSeconds)) / s.WallSeconds;
    }

    public static string ToText(Comparison c)
    {
        var s = new StringBuilder();
        void Line(string text = "") => s.AppendLine(text);
        Line($"== Mediation.Bench --compare: {c.Label} — embedded (SQLite) vs postgres (PostgreSQL) ==  {c.At:yyyy-MM-dd HH:mm} UTC");
        if ((c.Embedded ?? c.Postgres) is { } any)
        {
            Line($"load         N = {any.Disputes} disputes, {any.Connections} connections, {any.RatePerConnection}/s per connection, " +
                 $"{any.DurationSeconds} s per phase (the same for both runs); run order: {c.Order}");
        }
        foreach (var failure in c.Failures) Line($"!! RUN FAILED {failure}");
        foreach (var r in new[] { c.Embedded, c.Postgres })
            if (r?.ServiceExitCode is { } code) Line($"!! the {r.Label} service exited during its run (exit code {code}): its figures are void");
        if (c.Ratios.Count > 0)
        {
            Line("ratio = postgres / embedded: above ×1 PostgreSQL is higher — slower for latencies, costlier for CPU, faster for rates");
            Line();
            Line($"  {"",-38} {"embedded",12} {"postgres",12} {"ratio",9}");
            string? section = null;
            foreach (var row in c.Ratios)
            {
                if (row.Section != section)
                {
                    section = row.Section;
                    Line(section);
                }
                var embedded = row.Embedded?.ToString(row.Format) ?? (row.Figure.StartsWith("database server CPU", StringComparison.Ordinal) ? "in service" : "—");
                var postgres = row.Postgres?.ToString(row.Format) ?? "—";
                var ratio = row.Ratio is { } x ? $"×{x:F2}" : row.Embedded == 0 && row.Postgres == 0 ? "=" : "—";
                Line($"  {row.Figure,-38} {embedded,12} {postgres,12} {ratio,9}");
            }
            if (c.DatabaseServerLog is { Count: > 0 } log)
            {
                Line();
                Line($"database server log (postgres.log): {log.Count} warnings/errors");
                foreach (var (kind, count) in log.Kinds) Line($"    ×{count}: {kind}");
            }
        }
        Line();
        Line($"notes: {c.Notes}");
        return s.ToString();
    }
}
