using System.Collections.Concurrent;
using System.Diagnostics;

namespace Mediation.Bench;

/// <summary>
/// The kill scenario (<c>--kill-silo-after S</c>, production topology, load in this process): S seconds into the sweep
/// the last silo gets SIGKILL, and every send and delivery is kept with its time, so that the report can say what the
/// kill cost: failed calls and latency before the kill, in the 10 s after it, and from then on.
/// </summary>
public static class SiloKill
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private static readonly ConcurrentQueue<long> Sends = new();
    private static readonly ConcurrentQueue<long> Failures = new();
    private static readonly ConcurrentQueue<(long SentAt, double Ms)> Deliveries = new();
    private static long _killedAt;

    public static bool Recording { get; private set; }

    public static void Start() => Recording = true;

    public static void Sent() => Sends.Enqueue(Stopwatch.GetTimestamp());
    public static void Failed() => Failures.Enqueue(Stopwatch.GetTimestamp());
    public static void Delivered(long sentAt, double ms) => Deliveries.Enqueue((sentAt, ms));

    /// <summary>SIGKILL, as a node dies: no shutdown code runs.</summary>
    public static void Kill(ServiceProcess victim)
    {
        Interlocked.Exchange(ref _killedAt, Stopwatch.GetTimestamp());
        Process.GetProcessById(victim.ProcessId).Kill();
    }

    public static KillRun Summarize(string victim)
    {
        Recording = false;
        var killedAt = Interlocked.Read(ref _killedAt);
        var windowEnd = killedAt + (long)(Window.TotalSeconds * Stopwatch.Frequency);
        KillWindow Of(string name, long from, long to) => new(name,
            Sends.Count(t => t >= from && t < to), Failures.Count(t => t >= from && t < to),
            Deliveries.Where(d => d.SentAt >= from && d.SentAt < to).Select(d => d.Ms).Order().ToArray());
        return new KillRun(victim, [Of("before the kill", long.MinValue, killedAt), Of("0-10 s after", killedAt, windowEnd), Of("from 10 s after", windowEnd, long.MaxValue)]);
    }
}

/// <summary>What a silo kill cost, per window of send time (failures by the time they were answered).</summary>
public sealed record KillRun(string Victim, IReadOnlyList<KillWindow> Windows);

public sealed record KillWindow(string Name, int Sent, int Failed, double FailedPercent, int Delivered, double P50Ms, double P99Ms, double MaxMs)
{
    public KillWindow(string name, int sent, int failed, double[] sortedMs) : this(name, sent, failed,
        sent == 0 ? 0 : 100.0 * failed / sent, sortedMs.Length, Pct(sortedMs, 0.5), Pct(sortedMs, 0.99), sortedMs.Length == 0 ? double.NaN : sortedMs[^1]) { }

    private static double Pct(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
