using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mediation.Bench;

/// <summary>The ratio run's figures: each system's setup, memory, idle cost and sweep, and Mediation over the relay.</summary>
public sealed class SweepReport
{
    public static readonly JsonSerializerOptions JsonOptions = new(Report.JsonOptions) { Converters = { new JsonStringEnumConverter() } };

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
    public required string Label { get; init; }
    public required Report.MachineInfo Machine { get; init; }
    public required string Command { get; init; }
    public required int Disputes { get; init; }
    public required string Protocol { get; init; }
    public required string Topology { get; init; }
    public required int LoadProcesses { get; init; }
    public required double DurationSeconds { get; init; }
    public required double DrainSeconds { get; init; }
    public required double WarmupSeconds { get; init; }
    /// <summary>Extra disputes, never measured, that exchanged messages and typing before the sweep (JIT warm-up).</summary>
    public int JitWarmupDisputes { get; init; }
    /// <summary>The offered rates asked for (total events/s); null when derived from --rate per connection.</summary>
    public required IReadOnlyList<double>? OfferedRates { get; init; }
    public required List<SystemRun> Systems { get; init; }

    [JsonIgnore]
    public SystemRun? Relay => Systems.FirstOrDefault(s => s.Label == Deployment.RelayLabel);
    [JsonIgnore]
    public SystemRun? Mediation => Systems.FirstOrDefault(s => s.Label == Deployment.MediationLabel);

    /// <summary>Mediation / relay at each offered rate both measured.</summary>
    public List<RatioRow> Ratios =>
        Relay is { } relay && Mediation is { } mediation
            ? mediation.Points.Join(relay.Points, m => m.OfferedPerSecond, r => r.OfferedPerSecond, (m, r) => new RatioRow(
                m.OfferedPerSecond, m.P50Ms / r.P50Ms, m.P95Ms / r.P95Ms, m.P99Ms / r.P99Ms, m.ServerCpuCores / r.ServerCpuCores)).ToList()
            : [];

    public double? SaturationRatio =>
        Relay?.SaturatingPerSecond is > 0 and var r && Mediation?.SaturatingPerSecond is { } m ? m / r : null;

    public sealed record RatioRow(double OfferedPerSecond, double P50, double P95, double P99, double ServerCpu);

    public string ToText()
    {
        var s = new StringBuilder();
        void Line(string text = "") => s.AppendLine(text);
        Line($"== Mediation.Bench: {Label} — Mediation against a bare SignalR relay ==  {At:yyyy-MM-dd HH:mm} UTC");
        Line($"command      {Command}");
        Line($"machine      {Machine.ProcessorCount} logical CPUs{(Machine.Cpu is null ? "" : $" ({Machine.Cpu})")}, {Machine.Os}, {Machine.Runtime}");
        Line($"load         N = {Disputes} disputes, {2 * Disputes} connections ({Protocol}), {(LoadProcesses == 0 ? "one load process (this one)" : $"{LoadProcesses} load worker processes")};" +
             $" {DurationSeconds} s per phase + {DrainSeconds} s drain");
        Line($"             warm-up of the measured disputes: {(WarmupSeconds > 0 ? $"{WarmupSeconds} s, one message per party" : "none (each one's first merchant answer is inside the first phase)")};" +
             $" JIT warm-up: {(JitWarmupDisputes > 0 ? $"{JitWarmupDisputes} disputes of their own, not measured" : "none")}");
        foreach (var sys in Systems)
            Line($"{sys.Label,-12} {sys.Description}{(sys.LoadAverageBefore is { } l ? $"; load average before: {l:F2}" : "")}");
        foreach (var sys in Systems.Where(x => x.Failure is not null)) Line($"!! {sys.Label} FAILED: {sys.Failure}");
        foreach (var sys in Systems.Where(x => x.ExitedProcesses is not null)) Line($"!! {sys.Label}: {sys.ExitedProcesses} DURING THE RUN; figures after that are void");

        Line();
        Line("setup");
        foreach (var sys in Systems.Where(x => x.Setup is not null))
        {
            var u = sys.Setup!;
            Line($"  {sys.Label,-10} orders {u.OrdersPerSecond,6:F0}/s  disputes {u.DisputesPerSecond,6:F0}/s{(u.SetupFailures > 0 ? $" ({u.SetupFailures} failed)" : "")}" +
                 $"  connect+join {u.JoinsPerSecond,6:F0}/s ({u.Joined} of {u.Parties} in {u.JoinSeconds:F1} s; join p50 {u.JoinP50Ms:F0} ms p99 {u.JoinP99Ms:F0} ms)");
            foreach (var (kind, count) in u.SetupFailureKinds.Take(3)) Line($"    setup failure ×{count}: {kind}");
            foreach (var (kind, count) in u.ConnectFailures.Take(3)) Line($"    connect failure ×{count}: {kind}");
        }

        Line();
        Line("memory: resident (VmRSS) after start → after setup and joins; the growth per open dispute (processes holding disputes)");
        Line("        or per connection (processes holding connections; an API or relay node: its share of them)");
        foreach (var sys in Systems.Where(x => x.Memory is not null))
            foreach (var p in sys.Memory!.Processes)
                Line($"  {sys.Label,-10} {p.Process,-9} {p.StartMb,7:F0} MB → {p.JoinedMb,7:F0} MB   +{p.GrowthMb:F0} MB" +
                     (double.IsNaN(p.GrowthPerDisputeKb) ? "" : $" = {p.GrowthPerDisputeKb:F1} KB per open dispute") +
                     (double.IsNaN(p.GrowthPerConnectionKb) ? "" : $"{(double.IsNaN(p.GrowthPerDisputeKb) ? " =" : ", or")} {p.GrowthPerConnectionKb:F1} KB per connection"));

        if (Systems.Any(x => x.Idle is not null))
        {
            Line();
            Line("idle: every party joined, no traffic (CPU as a fraction of one core)");
            foreach (var sys in Systems.Where(x => x.Idle is not null))
                Line($"  {sys.Label,-10} {sys.Idle!.Seconds:F0} s: {CpuText(sys.Idle.CpuCores)}" +
                     (sys.Idle.Heartbeats is { } h ? $"; heartbeats received {h}" : ""));
        }

        Line();
        Line("messages: end-to-end latency, sender's invoke start → counterpart's receipt of the push (ms), by offered rate (events/s in all)");
        Line($"  {"system",-10} {"offered/s",11} {"sent",7} {"answered",8} {"deliv/s",8} {"errors",6} {"undeliv",7} {"p50",8} {"p95",8} {"p99",8} {"max",8}  {"server CPU",10}  {"bench",5}  ok");
        foreach (var sys in Systems)
            foreach (var p in sys.Points.Append(sys.Typing).OfType<RatePoint>())
                Line(PointLine(sys.Label, p));
        foreach (var sys in Systems)
            foreach (var p in sys.Points.Append(sys.Typing).OfType<RatePoint>())
            {
                foreach (var (kind, count) in p.ErrorKinds.Take(5)) Line($"    {sys.Label} {p.Name} error ×{count}: {kind}");
                if (p.P99BySecondMs is { Length: > 0 } bySecond)
                    Line($"    {sys.Label} {p.Name} p99 by second of send (ms): {string.Join(" ", bySecond.Select(v => double.IsNaN(v) ? "-" : v.ToString("0")))}; " +
                         $"failed by second: {string.Join(" ", p.ErrorsBySecond ?? [])}; normal (p99 < 1 s, no failure) from second {p.NormalFromSecond?.ToString() ?? "never"}");
            }
        foreach (var sys in Systems.Where(x => x.Points.Any(p => p.CpuCoresByProcess.Count > 1)))
            foreach (var p in sys.Points.Append(sys.Typing).OfType<RatePoint>())
                Line($"    {sys.Label} {p.Name} server CPU by process: {string.Join(", ", p.CpuCoresByProcess.Select(c => $"{c.Key} {(c.Value is { } v ? $"{v:F2}" : "n/a")}"))}");
        Line("  (typing rows: the same hub and fan-out with nothing stored, at the lowest rate; server CPU in cores, summed over the");
        Line("   system's processes, database server included; ok = p99 < 1 s, no error, nothing undelivered)");

        Line();
        Line("mediation / relay");
        foreach (var r in Ratios)
            Line($"  at {r.OfferedPerSecond,7:0.#}/s   p50 ×{r.P50,-8:F2} p95 ×{r.P95,-8:F2} p99 ×{r.P99,-8:F2} server CPU ×{r.ServerCpu:F2}");
        if (Relay?.Typing is { } rt && Mediation?.Typing is { } mt)
            Line($"  typing     p50 ×{mt.P50Ms / rt.P50Ms,-8:F2} p95 ×{mt.P95Ms / rt.P95Ms,-8:F2} p99 ×{mt.P99Ms / rt.P99Ms,-8:F2} server CPU ×{mt.ServerCpuCores / rt.ServerCpuCores:F2}");
        foreach (var sys in Systems)
            Line($"  saturating throughput {sys.Label,-10} {SaturationText(sys)}");
        if (SaturationRatio is { } ratio)
            Line($"  saturating throughput mediation / relay ×{ratio:F2}" + (Relay!.FailedAbovePerSecond is null
                ? " — not a measurement: the relay did not saturate at the rates tried (add higher --rates)"
                : Mediation!.FailedAbovePerSecond is null ? " — a lower bound: Mediation did not saturate at the rates tried" : ""));
        Line("  (saturating throughput: the highest offered rate with p99 < 1 s, no error and nothing undelivered; '≥' when the");
        Line("   highest rate tried passed, so the true figure may be higher; ratio = mediation / relay, both as measured)");

        foreach (var sys in Systems.Where(x => x.Kill is not null))
        {
            Line();
            Line($"{sys.Label}: {sys.Kill!.Victim} killed (SIGKILL) mid-run; by send time (failures by answer time)");
            foreach (var w in sys.Kill.Windows)
                Line($"  {w.Name,-16} sent {w.Sent,7}  failed {w.Failed,5} ({w.FailedPercent:F2} %)  delivered {w.Delivered,7}  p50 {w.P50Ms,8:F1} ms  p99 {w.P99Ms,8:F1} ms  max {w.MaxMs,8:F1} ms");
        }

        Line();
        Line("observations");
        foreach (var sys in Systems)
        {
            if (sys.Observations is { } o)
                Line($"  {sys.Label,-10} connections closed {o.ConnectionsClosed}; duplicate message events {o.DuplicateMessageEvents}; messages received whose send failed {o.MessagesReceivedWithoutAnswer};" +
                     $" typing signals duplicated {o.DuplicateTypingSignals}, unmatched {o.TypingSignalsUnmatched}; heartbeats {o.Heartbeats}" +
                     (sys.WarmupErrors > 0 ? $"; warm-up errors {sys.WarmupErrors}" : ""));
            if (sys.Setup is { } st && st.Disputes < st.Orders) Line($"  {sys.Label,-10} {st.Orders - st.Disputes} disputes could not be opened");
            if (sys.Observations is { } obs) foreach (var (note, count) in obs.Notes.Take(5)) Line($"    ×{count}: {note}");
            Line($"  {sys.Label,-10} log: {sys.LogProblemCount} warnings/errors");
            foreach (var (problem, count) in sys.LogProblems.Take(8)) Line($"    ×{count}: {problem}");
        }
        return s.ToString();
    }

    private static string PointLine(string system, RatePoint p) =>
        $"  {system,-10} {(p.Name.StartsWith("typing") ? $"typing {p.OfferedPerSecond:0}" : $"{p.OfferedPerSecond:0.#}"),11} {p.Sent,7} {p.Acked,8} {p.DeliveredPerSecond,8:F1} {p.Errors,6} {p.Undelivered,7}" +
        $" {p.P50Ms,8:F1} {p.P95Ms,8:F1} {p.P99Ms,8:F1} {p.MaxMs,8:F1}  {p.ServerCpuCores,10:F2}  {p.BenchCpuCores,5:F2}  {(p.Passed ? "yes" : "NO")}";

    private static string CpuText(Dictionary<string, double?> cores) =>
        string.Join(", ", cores.Select(c => $"{c.Key} {(c.Value is { } v ? $"{v * 100:F1} %" : "n/a")}"));

    public static string SaturationText(SystemRun sys) =>
        sys.Points.Count == 0 ? "not measured"
        : sys.SaturatingPerSecond is not { } rate ? $"below {sys.Points[0].OfferedPerSecond:0.#}/s (every rate tried failed)"
        : (sys.FailedAbovePerSecond is { } above ? $"{rate:0.#}/s (failed at {above:0.#}/s)" : $"≥ {rate:0.#}/s (the highest rate tried passed)") +
          (sys.Points.Any(p => !p.Passed && p.OfferedPerSecond < rate) ? "; a lower rate failed (the first phase holds every dispute's first answer)" : "");
}

/// <summary>One system's part of the run.</summary>
public sealed class SystemRun
{
    public required string Label { get; init; }
    public string Description { get; set; } = "";
    public double? LoadAverageBefore { get; init; }
    public string? Failure { get; set; }
    public string? ExitedProcesses { get; set; }
    public SetupRun? Setup { get; set; }
    public MemoryRun? Memory { get; set; }
    public IdleRun? Idle { get; set; }
    public long WarmupErrors { get; set; }
    public List<RatePoint> Points { get; init; } = [];
    public RatePoint? Typing { get; set; }
    public CounterSnapshot? Observations { get; set; }
    public Dictionary<string, int> LogProblems { get; set; } = [];
    public int LogProblemCount { get; set; }
    /// <summary>The kill scenario's figures (<c>--kill-silo-after</c>).</summary>
    public KillRun? Kill { get; set; }

    /// <summary>The highest offered rate that passed (p99 &lt; 1 s, no error, nothing undelivered); null if none did.</summary>
    public double? SaturatingPerSecond => Points.Where(p => p.Passed).Select(p => (double?)p.OfferedPerSecond).Max();

    /// <summary>The lowest rate above <see cref="SaturatingPerSecond"/> that failed, if one was tried.</summary>
    public double? FailedAbovePerSecond => Points.Where(p => !p.Passed && p.OfferedPerSecond > (SaturatingPerSecond ?? 0))
        .Select(p => (double?)p.OfferedPerSecond).Min();
}

public sealed record SetupRun(int Orders, double OrdersSeconds, int Disputes, double DisputesSeconds, int SetupFailures,
    IReadOnlyDictionary<string, int> SetupFailureKinds, int Parties, int Joined, int ConnectionsUnderLoad, double JoinSeconds, double JoinsPerSecond,
    double ConnectP50Ms, double ConnectP99Ms, double JoinP50Ms, double JoinP99Ms, IReadOnlyDictionary<string, int> ConnectFailures)
{
    public double OrdersPerSecond => Orders / OrdersSeconds;
    public double DisputesPerSecond => Disputes / DisputesSeconds;
}

/// <summary>Resident memory per process after start and after the joins; the growth over open disputes and connections.</summary>
public sealed record MemoryRun(int OpenDisputes, int Connections, List<MemoryRun.ProcessMemory> Processes)
{
    public sealed record ProcessMemory(string Process, double StartMb, double JoinedMb, double GrowthMb, double GrowthPerDisputeKb, double GrowthPerConnectionKb);

    /// <summary>
    /// Per dispute for the processes that hold the disputes (co-hosted service, silo, relay), per connection for those that
    /// hold the connections (service, API node, relay); each API or relay node is taken to hold its share of both.
    /// </summary>
    public static MemoryRun From(Dictionary<string, long?> start, Dictionary<string, long?> joined, int disputes, int connections)
    {
        var edges = joined.Keys.Count(k => k.StartsWith("api") || k.StartsWith("relay"));
        return new(disputes, connections, joined.Where(j => j.Value is not null && start.GetValueOrDefault(j.Key) is not null).Select(j =>
        {
            var growth = (double)(j.Value!.Value - start[j.Key]!.Value);
            var share = j.Key.StartsWith("api") || j.Key.StartsWith("relay") ? Math.Max(1, edges) : 1;
            var perDispute = j.Key.StartsWith("api") ? double.NaN : growth / 1024 / Math.Max(1, disputes / share);
            var perConnection = j.Key.StartsWith("silo") ? double.NaN : growth / 1024 / Math.Max(1, connections / share);
            return new ProcessMemory(j.Key, start[j.Key]!.Value / 1048576.0, j.Value.Value / 1048576.0, growth / 1048576.0, perDispute, perConnection);
        }).ToList());
    }
}

public sealed record IdleRun(double Seconds, Dictionary<string, double?> CpuCores, long? Heartbeats);

/// <summary>One phase at one offered rate.</summary>
public sealed record RatePoint(
    string Name, double OfferedPerSecond, double PerConnection, int Connections, long Sent, long Acked, long Delivered, double DeliveredPerSecond,
    long Errors, long Undelivered, double P50Ms, double P95Ms, double P99Ms, double MaxMs, double MeanMs, double WallSeconds,
    double ServerCpuCores, Dictionary<string, double?> CpuCoresByProcess, double BenchCpuCores, Dictionary<string, int> ErrorKinds,
    double[]? P99BySecondMs = null, int[]? ErrorsBySecond = null)
{
    /// <summary>
    /// The first second of the phase from which every second's sends had p99 &lt; 1 s and no send failed: how soon the
    /// phase was normal (after an overload phase, how long the service took to recover); null if it never was.
    /// </summary>
    public int? NormalFromSecond
    {
        get
        {
            if (P99BySecondMs is not { Length: > 0 } p99) return null;
            var errors = ErrorsBySecond ?? [];
            for (var from = 0; from < p99.Length; from++)
                if (Enumerable.Range(from, p99.Length - from).All(i => !(p99[i] >= Sweep.SaturationP99Ms) && (i >= errors.Length || errors[i] == 0)))
                    return from;
            return null;
        }
    }

    public bool Passed => Errors == 0 && Undelivered == 0 && Delivered > 0 && P99Ms < Sweep.SaturationP99Ms;

    public static RatePoint From(double offered, int connections, PhasePlan plan, PhaseResult r, Dictionary<string, double?> cpu, double wall)
    {
        var sorted = r.LatenciesMs.Order().ToArray();
        return new RatePoint(plan.Name, offered, plan.RatePerConnection, connections, r.Sent, r.Acked, sorted.Length, sorted.Length / plan.Seconds,
            r.Errors, r.Undelivered, Report.Percentile(sorted, 0.5), Report.Percentile(sorted, 0.95), Report.Percentile(sorted, 0.99),
            sorted.Length == 0 ? double.NaN : sorted[^1], sorted.Length == 0 ? double.NaN : sorted.Average(), wall,
            cpu.Count == 0 ? double.NaN : cpu.Values.Sum(v => v ?? 0), cpu, r.BenchCpuSeconds / wall, r.ErrorKinds, r.P99BySecondMs, r.ErrorsBySecond);
    }
}
