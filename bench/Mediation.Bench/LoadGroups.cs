using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Mediation.Bench;

/// <summary>
/// One dispute handed to a load group: its ids and the node each party connects to. A <paramref name="Warm"/> one only
/// takes part in the JIT warm-up, never in a measured phase.
/// </summary>
public sealed record SliceDispute(string DisputeId, string ConsumerId, string MerchantId, Uri ConsumerNode, Uri MerchantNode, bool Warm = false);

/// <summary>What a load group is given: its disputes and how to connect.</summary>
public sealed record Slice(HubProtocol Protocol, int ConnectConcurrency, List<SliceDispute> Disputes);

/// <summary>One phase of load: what to send, at what rate per connection, for how long; on the warm-up disputes only, or on the measured ones.</summary>
public sealed record PhasePlan(string Name, PhaseKind Kind, double RatePerConnection, double Seconds, double DrainSeconds, bool WarmDisputes = false);

public enum PhaseKind { Messages, Typing }

/// <summary>How the connections of a group went: counts, times, failures (a dispute with a party that failed is not loaded).</summary>
public sealed record JoinResult(int Parties, int Joined, int DisputesUnderLoad, int ConnectionsUnderLoad, double Seconds,
    double[] ConnectMs, double[] JoinMs, Dictionary<string, int> Failures)
{
    public static JoinResult Merge(IReadOnlyList<JoinResult> parts) => new(
        parts.Sum(p => p.Parties), parts.Sum(p => p.Joined), parts.Sum(p => p.DisputesUnderLoad), parts.Sum(p => p.ConnectionsUnderLoad),
        parts.Max(p => p.Seconds), [.. parts.SelectMany(p => p.ConnectMs)], [.. parts.SelectMany(p => p.JoinMs)], MergeCounts(parts.Select(p => p.Failures)));

    public static Dictionary<string, int> MergeCounts(IEnumerable<IReadOnlyDictionary<string, int>> parts)
    {
        var merged = new Dictionary<string, int>();
        foreach (var part in parts)
            foreach (var (key, count) in part) merged[key] = merged.GetValueOrDefault(key) + count;
        return merged.OrderByDescending(m => m.Value).ToDictionary(m => m.Key, m => m.Value);
    }
}

/// <summary>What a group counted in a phase; <see cref="Counters"/> are the group's totals so far.</summary>
public sealed record PhaseResult(string Name, long Sent, long Acked, long Errors, long Undelivered, Dictionary<string, int> ErrorKinds,
    double[] LatenciesMs, double BenchCpuSeconds, CounterSnapshot Counters, double[]? P99BySecondMs = null, int[]? ErrorsBySecond = null)
{
    public static PhaseResult Merge(IReadOnlyList<PhaseResult> parts) => new(
        parts[0].Name, parts.Sum(p => p.Sent), parts.Sum(p => p.Acked), parts.Sum(p => p.Errors), parts.Sum(p => p.Undelivered),
        JoinResult.MergeCounts(parts.Select(p => p.ErrorKinds)), [.. parts.SelectMany(p => p.LatenciesMs)], parts.Sum(p => p.BenchCpuSeconds),
        CounterSnapshot.Merge(parts.Select(p => p.Counters).ToList()),
        // by-second figures only where one process saw every send (no workers)
        parts.Count == 1 ? parts[0].P99BySecondMs : null, parts.Count == 1 ? parts[0].ErrorsBySecond : null);
}

/// <summary>The run-wide counters of one process (see <see cref="Counters"/>), so that workers can report theirs.</summary>
public sealed record CounterSnapshot(long ConnectionsClosed, long DuplicateMessageEvents, long MessagesReceivedWithoutAnswer,
    long TypingSignalsReceived, long TypingSignalsUnmatched, long DuplicateTypingSignals, long Heartbeats, Dictionary<string, int> Notes)
{
    public static CounterSnapshot Take(IEnumerable<DisputeRun> disputes) => new(
        Interlocked.Read(ref Counters.ConnectionsClosed), Interlocked.Read(ref Counters.DuplicateEvents), disputes.Sum(d => d.ReceivedUnanswered()),
        Interlocked.Read(ref Counters.TypingSignalsReceived), Interlocked.Read(ref Counters.TypingSignalsUnmatched),
        Interlocked.Read(ref Counters.DuplicateTypingSignals), Interlocked.Read(ref Counters.Heartbeats), Counters.NotesByCount().ToDictionary());

    public static CounterSnapshot Merge(IReadOnlyList<CounterSnapshot> parts) => new(
        parts.Sum(p => p.ConnectionsClosed), parts.Sum(p => p.DuplicateMessageEvents), parts.Sum(p => p.MessagesReceivedWithoutAnswer),
        parts.Sum(p => p.TypingSignalsReceived), parts.Sum(p => p.TypingSignalsUnmatched), parts.Sum(p => p.DuplicateTypingSignals),
        parts.Sum(p => p.Heartbeats), JoinResult.MergeCounts(parts.Select(p => p.Notes)));
}

/// <summary>A share of the connections: in this process, or in a worker process the bench started.</summary>
public interface ILoadGroup : IAsyncDisposable
{
    Task<JoinResult> JoinAsync(CancellationToken cancel);
    Task<PhaseResult> RunAsync(PhasePlan plan, CancellationToken cancel);
}

/// <summary>The connections of a slice, held in this process.</summary>
public sealed class ClientLoad(Slice slice, TextWriter? progress) : ILoadGroup
{
    private static readonly TimeSpan InvokeTimeout = TimeSpan.FromSeconds(30);
    private readonly List<DisputeRun> _disputes = slice.Disputes.Select(d =>
    {
        var run = new DisputeRun(d.DisputeId, d.ConsumerId, d.MerchantId);
        run.Wire();
        return run;
    }).ToList();
    private List<DisputeRun> _active = [];
    private List<Party> _load = [];
    private List<DisputeRun> _warmActive = [];
    private List<Party> _warmLoad = [];

    public async Task<JoinResult> JoinAsync(CancellationToken cancel)
    {
        var nodes = slice.Disputes.ToDictionary(d => d.DisputeId);
        var parties = _disputes.SelectMany(d => new[] { d.Consumer, d.Merchant }).ToList();
        var failures = new ConcurrentDictionary<string, int>();
        var failed = new ConcurrentDictionary<string, byte>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(parties, new ParallelOptions { MaxDegreeOfParallelism = slice.ConnectConcurrency, CancellationToken = cancel }, async (party, _) =>
        {
            var node = party.Role == "consumer" ? nodes[party.DisputeId].ConsumerNode : nodes[party.DisputeId].MerchantNode;
            try
            {
                await party.ConnectAndJoinAsync(node, TimeSpan.FromSeconds(60), slice.Protocol);
            }
            catch (Exception e)
            {
                var kind = e is OperationCanceledException or TimeoutException ? "timed out (60 s)" : $"{e.GetType().Name}: {e.Message}";
                failures.AddOrUpdate(kind.Length > 200 ? kind[..200] + "…" : kind, 1, (_, n) => n + 1);
                failed.TryAdd(party.DisputeId, 0);
            }
        });
        var seconds = watch.Elapsed.TotalSeconds;
        var warm = slice.Disputes.Where(d => d.Warm).Select(d => d.DisputeId).ToHashSet();
        _active = _disputes.Where(d => !failed.ContainsKey(d.DisputeId) && !warm.Contains(d.DisputeId)).ToList();
        _load = _active.SelectMany(d => new[] { d.Consumer, d.Merchant }).ToList();
        _warmActive = _disputes.Where(d => !failed.ContainsKey(d.DisputeId) && warm.Contains(d.DisputeId)).ToList();
        _warmLoad = _warmActive.SelectMany(d => new[] { d.Consumer, d.Merchant }).ToList();
        var joined = parties.Where(p => p.JoinMs > 0).ToList();
        return new JoinResult(parties.Count, joined.Count, _active.Count, _load.Count, seconds,
            [.. joined.Select(p => p.ConnectMs)], [.. joined.Select(p => p.JoinMs)], failures.ToDictionary());
    }

    public async Task<PhaseResult> RunAsync(PhasePlan plan, CancellationToken cancel)
    {
        var phase = new Phase(plan.Name);
        var clock = new ServiceClock(null, null);
        Func<Party, int, Task> send = plan.Kind == PhaseKind.Messages
            ? (p, k) => p.SendMessageAsync(phase, $"bench message {k} from {p.UserId}: is a partial refund of 60 fine?", InvokeTimeout)
            : (p, _) => p.TypingAsync(phase, InvokeTimeout);
        var (active, load) = plan.WarmDisputes ? (_warmActive, _warmLoad) : (_active, _load);
        if (load.Count > 0)
            await Load.RunAsync(load, phase, send, plan.Seconds, plan.RatePerConnection, plan.DrainSeconds, clock, plan.WarmDisputes ? null : progress, cancel);
        phase.Undelivered = plan.Kind == PhaseKind.Messages ? active.Sum(d => d.Undelivered(phase)) : load.Sum(p => p.TakeUndeliveredTyping(phase));
        return new PhaseResult(plan.Name, phase.Sent, phase.Acked, phase.Errors, phase.Undelivered, phase.ErrorKinds().ToDictionary(),
            phase.Latencies(), phase.BenchCpuSeconds, CounterSnapshot.Take(_active), phase.P99BySecond(), phase.ErrorsBySecond());
    }

    public async ValueTask DisposeAsync()
    {
        await Parallel.ForEachAsync(_disputes.SelectMany(d => new[] { d.Consumer, d.Merchant }).Where(p => p.Hub is not null),
            new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (p, _) =>
            {
                try
                {
                    await p.Hub!.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception) { }
            });
    }
}

/// <summary>
/// A worker: another copy of this program (<c>--worker SLICE.json</c>) holding a slice of the connections, so that
/// no process needs more sockets than its open-files limit allows. Talks in lines: it writes <c>@bench joined {json}</c>
/// once connected; for each <c>phase {json}</c> line on its input it runs the phase and writes <c>@bench result {json}</c>;
/// <c>stop</c> (or the end of its input) closes its connections and ends it. Its standard error is progress.
/// </summary>
public sealed class WorkerLoad : ILoadGroup
{
    public const string Marker = "@bench ";
    /// <summary>One JSON document per line.</summary>
    private static readonly JsonSerializerOptions Wire = new(Report.JsonOptions) { WriteIndented = false };
    private readonly Process _process;
    private readonly string _sliceFile;
    private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
    private readonly string _name;

    private readonly int _parties;

    private WorkerLoad(Process process, string sliceFile, string name, int parties, TextWriter progress)
    {
        _parties = parties;
        _process = process;
        _sliceFile = sliceFile;
        _name = name;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.Writer.TryComplete();
            else if (e.Data.StartsWith(Marker, StringComparison.Ordinal)) _lines.Writer.TryWrite(e.Data[Marker.Length..]);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) progress.WriteLine($"  [{name}] {e.Data}");
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static WorkerLoad Start(Slice slice, string name, TextWriter progress)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mediation-bench-slice-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(slice, Wire));
        // The same program: its apphost, or `dotnet Mediation.Bench.dll` when it was started that way.
        var host = Environment.ProcessPath ?? "dotnet";
        var args = Path.GetFileNameWithoutExtension(host) == "dotnet" ? new List<string> { typeof(WorkerLoad).Assembly.Location } : [];
        args.AddRange(["--worker", file]);
        var info = new ProcessStartInfo(host, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return new WorkerLoad(Process.Start(info) ?? throw new InvalidOperationException("the worker did not start"), file, name, slice.Disputes.Count * 2, progress);
    }

    /// <summary>Waits for the worker's joins: 5 minutes, plus 100 ms per connection (a slow service joins 20,000 at ~50/s).</summary>
    public async Task<JoinResult> JoinAsync(CancellationToken cancel) =>
        Parse<JoinResult>(await NextAsync("joined", TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(100) * _parties, cancel));

    public async Task<PhaseResult> RunAsync(PhasePlan plan, CancellationToken cancel)
    {
        await _process.StandardInput.WriteLineAsync($"phase {JsonSerializer.Serialize(plan, Wire)}".AsMemory(), cancel);
        await _process.StandardInput.FlushAsync(cancel);
        // Answers may take up to 30 s past the last send, then the drain: bound the wait well beyond that.
        var limit = TimeSpan.FromSeconds(plan.Seconds + plan.DrainSeconds + 120);
        return Parse<PhaseResult>(await NextAsync("result", limit, cancel));
    }

    private async Task<string> NextAsync(string kind, TimeSpan limit, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(limit);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(timeout.Token))
                if (_lines.Reader.TryRead(out var line) && line.StartsWith(kind + " ", StringComparison.Ordinal))
                    return line[(kind.Length + 1)..];
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{_name} did not report '{kind}' within {limit.TotalSeconds:F0} s");
        }
        throw new InvalidOperationException($"{_name} ended (exit code {(_process.HasExited ? _process.ExitCode : -1)}) before reporting '{kind}'");
    }

    private static T Parse<T>(string json) => JsonSerializer.Deserialize<T>(json, Wire) ?? throw new InvalidOperationException("a worker sent an empty report");

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    await _process.StandardInput.WriteLineAsync("stop");
                    _process.StandardInput.Close();
                }
                catch (IOException) { }
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        File.Delete(_sliceFile);
    }

    /// <summary>
    /// The worker's side: connect the slice, then run phases as the coordinator asks. Its input is read all the time, so
    /// that <c>stop</c> or the end of the input (the coordinator stopping or gone) cancels even a phase under way.
    /// </summary>
    public static async Task<int> RunWorkerAsync(string sliceFile, CancellationToken cancel)
    {
        var slice = JsonSerializer.Deserialize<Slice>(await File.ReadAllTextAsync(sliceFile, cancel), Wire)
            ?? throw new InvalidOperationException($"{sliceFile} holds no slice");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var plans = System.Threading.Channels.Channel.CreateUnbounded<PhasePlan>();
        var reader = Task.Run(async () =>
        {
            try
            {
                while (await Console.In.ReadLineAsync(stop.Token) is { } line && line != "stop")
                    if (line.StartsWith("phase ", StringComparison.Ordinal))
                        plans.Writer.TryWrite(JsonSerializer.Deserialize<PhasePlan>(line["phase ".Length..], Wire)!);
            }
            catch (OperationCanceledException) { }
            plans.Writer.TryComplete();
            stop.Cancel();
        });
        await using var load = new ClientLoad(slice, null);
        try
        {
            var joined = await load.JoinAsync(stop.Token);
            Console.Error.WriteLine($"{joined.Joined} of {joined.Parties} connections joined in {joined.Seconds:F1} s");
            Console.Out.WriteLine($"{Marker}joined {JsonSerializer.Serialize(joined, Wire)}");
            await foreach (var plan in plans.Reader.ReadAllAsync(stop.Token))
            {
                var result = await load.RunAsync(plan, stop.Token);
                Console.Out.WriteLine($"{Marker}result {JsonSerializer.Serialize(result, Wire)}");
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // told to stop, or the coordinator is gone
        }
        return 0;
    }
}
