using System.Collections.Concurrent;
using System.Diagnostics;

namespace Mediation.Bench;

/// <summary>What one phase (typing or messages) counted: sends, answers, errors, deliveries and their latencies.</summary>
public sealed class Phase(string name)
{
    private readonly object _lock = new();
    private readonly List<double> _latenciesMs = [];
    private readonly ConcurrentDictionary<string, int> _errorKinds = new();
    private readonly List<(long SentAt, double Ms)> _timed = [];
    private readonly ConcurrentQueue<long> _errorTimes = new();
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private long _sent;
    private long _acked;
    private long _errors;

    public string Name { get; } = name;
    /// <summary>Wall time from the phase's first scheduled send to its last one.</summary>
    public double SendingSeconds { get; set; }
    /// <summary>Wall time over which the CPU figures were taken: sending, then waiting for the last answers and deliveries.</summary>
    public double WallSeconds { get; set; }
    public double ServiceCpuSeconds { get; set; }
    public double BenchCpuSeconds { get; set; }
    /// <summary>CPU of a separate database server over the phase (PostgreSQL under --compare); NaN when there is none to watch.</summary>
    public double DatabaseCpuSeconds { get; set; } = double.NaN;
    public long Undelivered { get; set; }

    public long Sent => Interlocked.Read(ref _sent);
    public long Acked => Interlocked.Read(ref _acked);
    public long Errors => Interlocked.Read(ref _errors);

    public void SendStarted()
    {
        Interlocked.Increment(ref _sent);
        if (SiloKill.Recording) SiloKill.Sent();
    }
    public void SendAcked() => Interlocked.Increment(ref _acked);

    public void SendFailed(Exception e)
    {
        Interlocked.Increment(ref _errors);
        if (SiloKill.Recording) SiloKill.Failed();
        _errorTimes.Enqueue(Stopwatch.GetTimestamp());
        _errorKinds.AddOrUpdate(ErrorKind(e), 1, (_, n) => n + 1);
    }

    public void Delivered(long sentTimestamp, long receivedTimestamp)
    {
        var ms = Stopwatch.GetElapsedTime(sentTimestamp, receivedTimestamp).TotalMilliseconds;
        lock (_lock)
        {
            _latenciesMs.Add(ms);
            _timed.Add((sentTimestamp, ms));
        }
        if (SiloKill.Recording) SiloKill.Delivered(sentTimestamp, ms);
    }

    /// <summary>Every delivery's latency so far, in milliseconds, unsorted.</summary>
    public double[] Latencies()
    {
        lock (_lock) return [.. _latenciesMs];
    }

    /// <summary>p99 of the deliveries of the sends started in each second of the phase (NaN: none delivered).</summary>
    public double[] P99BySecond()
    {
        (long SentAt, double Ms)[] timed;
        lock (_lock) timed = [.. _timed];
        if (timed.Length == 0) return [];
        var seconds = timed.GroupBy(t => (int)Math.Max(0, Stopwatch.GetElapsedTime(_startedAt, t.SentAt).TotalSeconds)).ToDictionary(g => g.Key, g => g.Select(t => t.Ms).Order().ToArray());
        return Enumerable.Range(0, seconds.Keys.Max() + 1).Select(i => seconds.TryGetValue(i, out var ms)
            ? ms[Math.Clamp((int)Math.Ceiling(0.99 * ms.Length) - 1, 0, ms.Length - 1)] : double.NaN).ToArray();
    }

    /// <summary>Failed sends by the second of the phase in which they were answered.</summary>
    public int[] ErrorsBySecond()
    {
        var at = _errorTimes.Select(t => (int)Stopwatch.GetElapsedTime(_startedAt, t).TotalSeconds).ToArray();
        return at.Length == 0 ? [] : Enumerable.Range(0, at.Max() + 1).Select(i => at.Count(a => a == i)).ToArray();
    }

    public IReadOnlyDictionary<string, int> ErrorKinds() => _errorKinds.ToDictionary(k => k.Key, k => k.Value);

    public Summary Summarize()
    {
        double[] sorted;
        lock (_lock) sorted = [.. _latenciesMs];
        Array.Sort(sorted);
        double Pct(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Summary(
            Name, Sent, Acked, sorted.Length, SendingSeconds > 0 ? sorted.Length / SendingSeconds : 0, Errors, Undelivered,
            Pct(0.50), Pct(0.95), Pct(0.99), sorted.Length == 0 ? double.NaN : sorted[^1],
            sorted.Length == 0 ? double.NaN : sorted.Average(),
            SendingSeconds, WallSeconds, ServiceCpuSeconds, BenchCpuSeconds, DatabaseCpuSeconds,
            _errorKinds.OrderByDescending(k => k.Value).ToDictionary(k => k.Key, k => k.Value));
    }

    private static string ErrorKind(Exception e)
    {
        var message = e switch
        {
            OperationCanceledException => "timed out waiting for the answer",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
        // Keep error kinds few: drop the ids that differ from one dispute to the next.
        var words = message.Split(' ').Select(w => w.StartsWith("b") && w.Contains('-') && w.Length > 8 ? "…" : w);
        var kind = string.Join(' ', words);
        return kind.Length > 200 ? kind[..200] + "…" : kind;
    }

    public sealed record Summary(
        string Name, long Sent, long Acked, long Delivered, double DeliveredPerSecond, long Errors, long Undelivered,
        double P50Ms, double P95Ms, double P99Ms, double MaxMs, double MeanMs,
        double SendingSeconds, double WallSeconds, double ServiceCpuSeconds, double BenchCpuSeconds, double DatabaseCpuSeconds,
        IReadOnlyDictionary<string, int> ErrorKinds);
}
