using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mediation.Bench;

/// <summary>The figures of one run, as text for people and as JSON for comparing runs.</summary>
public sealed class Report
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
    public required string Label { get; init; }
    public required bool StartedService { get; init; }
    /// <summary>Set when the started service stopped by itself during the run: the figures after that are void.</summary>
    public int? ServiceExitCode { get; init; }
    /// <summary>Names only: values may hold connection strings.</summary>
    public required List<string> ServiceEnvironment { get; init; }
    /// <summary>What the service stored into, when the bench knows (it started the service, or --compare).</summary>
    public string? Storage { get; init; }
    /// <summary>The machine's 1-minute load average just before the run (/proc/loadavg): others' work shows here.</summary>
    public double? LoadAverageBefore { get; init; }
    public required MachineInfo Machine { get; init; }
    public required int Disputes { get; init; }
    public required int DisputesCreated { get; init; }
    public required int Connections { get; init; }
    public required int ConnectionsJoined { get; init; }
    public required int ConnectionsUnderLoad { get; init; }
    public required double RatePerConnection { get; init; }
    public required double DurationSeconds { get; init; }
    public required SetupFigures Setup { get; init; }
    public required Phase.Summary Typing { get; init; }
    public required Phase.Summary Messages { get; init; }
    public required ObservedFigures Observations { get; init; }

    public Ratios MessagesOverTyping => new(
        Messages.P50Ms / Typing.P50Ms, Messages.P95Ms / Typing.P95Ms, Messages.P99Ms / Typing.P99Ms,
        Messages.DeliveredPerSecond / Typing.DeliveredPerSecond);

    public sealed record MachineInfo(int ProcessorCount, string Os, string Runtime, string? Cpu);

    public sealed record SetupFigures(
        int Orders, double OrdersSeconds, double OrdersPerSecond,
        int Disputes, double DisputesSeconds, double DisputesPerSecond, int SetupFailures,
        int Connections, double ConnectSeconds, double ConnectionsPerSecond,
        double ConnectP50Ms, double ConnectP99Ms, double JoinP50Ms, double JoinP99Ms,
        IReadOnlyDictionary<string, int> ConnectFailures, IReadOnlyDictionary<string, int> SetupFailureKinds);

    public sealed record ObservedFigures(
        long ConnectionsClosed, long DuplicateMessageEvents, long MessagesReceivedWithoutAnswer, long TypingSignalsUnmatched,
        long TypingSignalsReceived, long DuplicateTypingSignals,
        long HeartbeatsReceived, double HeartbeatsExpected, IReadOnlyDictionary<string, int> ConnectionNotes, long WarmupErrors,
        IReadOnlyDictionary<string, int> WarmupErrorKinds,
        double? ServiceWorkingSetMb, IReadOnlyDictionary<string, int> ServiceLogProblems, int ServiceLogProblemCount);

    public sealed record Ratios(double P50, double P95, double P99, double Throughput);

    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static double? LoadAverage()
    {
        try
        {
            return double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public string ToText()
    {
        var s = new StringBuilder();
        void Line(string text = "") => s.AppendLine(text);
        Line($"== Mediation.Bench: {Label} ==  {At:yyyy-MM-dd HH:mm} UTC");
        Line($"machine      {Machine.ProcessorCount} logical CPUs{(Machine.Cpu is null ? "" : $" ({Machine.Cpu})")}, {Machine.Os}, {Machine.Runtime}" +
             (LoadAverageBefore is { } load ? $"; load average before the run {load:F2}" : ""));
        Line($"service      {(StartedService ? "started by the bench (Release build, its own temp data dir)" : "external (--url)")}" +
             (ServiceEnvironment.Count > 0 ? $"; extra env: {string.Join(", ", ServiceEnvironment)}" : ""));
        if (Storage is not null) Line($"storage      {Storage}");
        if (ServiceExitCode is { } code)
            Line($"!! THE SERVICE EXITED DURING THE RUN (exit code {code}); figures from then on measure a dead service");
        Line($"load         N = {Disputes} disputes ({DisputesCreated} created), {Connections} connections ({ConnectionsJoined} joined, {ConnectionsUnderLoad} under load)");
        Line($"             {RatePerConnection}/s per connection, {DurationSeconds} s per phase → offered {ConnectionsUnderLoad * RatePerConnection:F0} sends/s");
        Line($"             bench and service share the machine: both figures include the other's CPU contention");
        Line();
        Line("setup");
        Line($"  orders     {Setup.Orders} in {Setup.OrdersSeconds:F1} s = {Setup.OrdersPerSecond:F0}/s");
        Line($"  disputes   {Setup.Disputes} in {Setup.DisputesSeconds:F1} s = {Setup.DisputesPerSecond:F0}/s{(Setup.SetupFailures > 0 ? $"  ({Setup.SetupFailures} failed)" : "")}");
        Line($"  connect+join {Setup.Connections} in {Setup.ConnectSeconds:F1} s = {Setup.ConnectionsPerSecond:F0}/s;" +
             $" connect p50 {Setup.ConnectP50Ms:F0} ms p99 {Setup.ConnectP99Ms:F0} ms; join p50 {Setup.JoinP50Ms:F0} ms p99 {Setup.JoinP99Ms:F0} ms");
        foreach (var (failure, count) in Setup.SetupFailureKinds) Line($"    setup failure ×{count}: {failure}");
        foreach (var (failure, count) in Setup.ConnectFailures) Line($"    connect failure ×{count}: {failure}");
        Line();
        Line("end-to-end latency: sender's invoke start → counterpart's receipt of the push (ms)");
        Line($"  {"phase",-9} {"sent",7} {"answered",8} {"delivered",9} {"deliv/s",8} {"errors",6} {"undeliv",7} {"p50",8} {"p95",8} {"p99",8} {"max",8} {"mean",8}   service CPU");
        foreach (var p in new[] { Typing, Messages })
            Line($"  {p.Name,-9} {p.Sent,7} {p.Acked,8} {p.Delivered,9} {p.DeliveredPerSecond,8:F1} {p.Errors,6} {p.Undelivered,7} {p.P50Ms,8:F1} {p.P95Ms,8:F1} {p.P99Ms,8:F1} {p.MaxMs,8:F1} {p.MeanMs,8:F1}   " +
                 (double.IsNaN(p.ServiceCpuSeconds) ? "n/a" : $"{p.ServiceCpuSeconds:F1} s over {p.WallSeconds:F0} s = {p.ServiceCpuSeconds / p.WallSeconds:F2} cores") +
                 $" (bench {p.BenchCpuSeconds / p.WallSeconds:F2}" +
                 (double.IsNaN(p.DatabaseCpuSeconds) ? ")" : $", database server {p.DatabaseCpuSeconds / p.WallSeconds:F2})"));
        foreach (var p in new[] { Typing, Messages })
            foreach (var (kind, count) in p.ErrorKinds) Line($"    {p.Name} error ×{count}: {kind}");
        var r = MessagesOverTyping;
        Line();
        Line($"messages / typing   p50 ×{r.P50:F2}   p95 ×{r.P95:F2}   p99 ×{r.P99:F2}   throughput ×{r.Throughput:F2}");
        Line("  (typing = same hub, grain and stream fan-out, nothing written; the difference is the durable append,");
        Line("   and the party-index update that each message also does)");
        Line();
        Line("observations");
        var o = Observations;
        Line($"  connections closed during the run: {o.ConnectionsClosed}; duplicate message events: {o.DuplicateMessageEvents};" +
             $" messages received whose send failed: {o.MessagesReceivedWithoutAnswer}");
        Line($"  typing signals received: {o.TypingSignalsReceived}, of which the same signal twice: {o.DuplicateTypingSignals}, with no send to match: {o.TypingSignalsUnmatched}");
        Line($"  heartbeats received: {o.HeartbeatsReceived} of ~{o.HeartbeatsExpected:F0} expected (one per connection every 5 s); warm-up errors: {o.WarmupErrors}" +
             (o.ServiceWorkingSetMb is { } mb ? $"; service working set at the end: {mb:F0} MB" : ""));
        foreach (var (kind, count) in o.WarmupErrorKinds) Line($"    warm-up error ×{count}: {kind}");
        foreach (var (note, count) in o.ConnectionNotes) Line($"    ×{count}: {note}");
        if (StartedService)
        {
            Line($"  service log: {o.ServiceLogProblemCount} warnings/errors");
            foreach (var (problem, count) in o.ServiceLogProblems) Line($"    ×{count}: {problem}");
        }
        return s.ToString();
    }
}
