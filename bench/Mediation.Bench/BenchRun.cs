using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mediation.Bench;

/// <summary>What differs between the runs of one invocation: the service's environment and what to call the run.</summary>
public sealed record RunSpec(
    string Label,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    bool Rebuild,
    string? ServiceLog,
    string? Storage,
    Func<TimeSpan?>? DatabaseCpu = null);

/// <summary>One run of the scenario: start the service (or use --url), set up, connect, warm up, typing, messages.</summary>
public static class BenchRun
{
    private static readonly TimeSpan InvokeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs the scenario once and returns its report. The started service is stopped and the connections closed
    /// before this returns, whether it succeeds, fails or is cancelled (Ctrl-C).
    /// </summary>
    public static async Task<Report> RunAsync(BenchOptions options, RunSpec spec, TextWriter progress, CancellationToken cancel)
    {
        Counters.Reset();
        var loadBefore = Report.LoadAverage();
        ServiceProcess? service = null;
        var parties = new List<Party>();
        try
        {
            Uri baseAddress;
            if (options.Url is null)
            {
                progress.WriteLine($"[{spec.Label}] starting the service (Release build of src/Api) {string.Join(' ', spec.Environment.Select(e => $"{e.Key}=…"))}");
                service = await ServiceProcess.StartAsync(spec.Environment, spec.Rebuild, spec.ServiceLog, progress);
                baseAddress = service.BaseAddress;
                progress.WriteLine($"  healthy at {baseAddress} (pid {service.ProcessId})");
            }
            else
            {
                baseAddress = options.Url;
            }

            // 1. Orders and disputes.
            progress.WriteLine($"setup: {options.Disputes} orders and disputes, {options.SetupConcurrency} requests in flight");
            var setup = await Setup.CreateAsync(baseAddress, options.Disputes, options.SetupConcurrency, progress, cancel);
            foreach (var (failure, count) in setup.Failures) progress.WriteLine($"  {count} × {failure}");
            if (setup.Disputes.Count == 0) throw new InvalidOperationException("no dispute was created; nothing to measure");

            // 2. Connections: each party connects and joins its dispute, receiving the replayed Opened event.
            var candidates = setup.Disputes.SelectMany(d => new[] { d.Consumer, d.Merchant }).ToList();
            parties = candidates;
            progress.WriteLine($"connecting {candidates.Count} parties, {options.ConnectConcurrency} at a time");
            var connectFailures = new ConcurrentDictionary<string, int>();
            var failedDisputes = new ConcurrentDictionary<string, byte>();
            var connectWatch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(candidates, new ParallelOptions { MaxDegreeOfParallelism = options.ConnectConcurrency, CancellationToken = cancel }, async (party, _) =>
            {
                try
                {
                    await party.ConnectAndJoinAsync(baseAddress, TimeSpan.FromSeconds(60), options.Protocol);
                }
                catch (Exception e)
                {
                    var kind = e is OperationCanceledException or TimeoutException ? "timed out (60 s)" : $"{e.GetType().Name}: {e.Message}";
                    connectFailures.AddOrUpdate(kind.Length > 200 ? kind[..200] + "…" : kind, 1, (_, n) => n + 1);
                    failedDisputes.TryAdd(party.DisputeId, 0);
                }
            });
            var connectSeconds = connectWatch.Elapsed.TotalSeconds;
            var connectedCount = candidates.Count(p => p.JoinMs > 0);
            progress.WriteLine($"  {connectedCount} connected and joined in {connectSeconds:F1} s");
            foreach (var (failure, count) in connectFailures) progress.WriteLine($"  {count} × {failure}");
            var active = setup.Disputes.Where(d => !failedDisputes.ContainsKey(d.DisputeId)).ToList();
            var load = active.SelectMany(d => new[] { d.Consumer, d.Merchant }).ToList();
            if (load.Count == 0) throw new InvalidOperationException("no dispute has both parties connected; nothing to measure");
            var connectTimes = candidates.Where(p => p.JoinMs > 0).Select(p => p.ConnectMs).Order().ToArray();
            var joinTimes = candidates.Where(p => p.JoinMs > 0).Select(p => p.JoinMs).Order().ToArray();

            var clock = new ServiceClock(service, spec.DatabaseCpu);

            // 3. Warm-up: one message and one typing per party, unmeasured (the merchant's first message also moves the
            //    dispute to Negotiating, which writes its record: not what a chat message costs afterwards).
            var warmMessages = new Phase("warm-up messages");
            var warmTyping = new Phase("warm-up typing");
            if (options.WarmupSeconds > 0)
            {
                progress.WriteLine($"warm-up: one message and one typing per party over {options.WarmupSeconds} s");
                var w = options.WarmupSeconds;
                await Task.WhenAll(
                    Load.RunAsync(load, warmMessages, (p, k) => p.SendMessageAsync(warmMessages, $"warm-up from {p.UserId}", InvokeTimeout), w, 1 / w, options.DrainSeconds, clock, null, cancel),
                    Load.RunAsync(load, warmTyping, (p, _) => p.TypingAsync(warmTyping, InvokeTimeout), w, 1 / w, options.DrainSeconds, clock, null, cancel));
                foreach (var p in load) p.TakeUndeliveredTyping(warmTyping);
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 6 - options.DrainSeconds)), cancel); // let the typing indicators lapse
            }

            // 4. Baseline: typing signals, same grains, same stream fan-out, nothing written.
            var typing = new Phase("typing");
            progress.WriteLine($"typing phase: {load.Count} connections × {options.Rate}/s for {options.DurationSeconds} s");
            await Load.RunAsync(load, typing, (p, _) => p.TypingAsync(typing, InvokeTimeout), options.DurationSeconds, options.Rate, options.DrainSeconds, clock, progress, cancel);
            typing.Undelivered = load.Sum(p => p.TakeUndeliveredTyping(typing));
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 6 - options.DrainSeconds)), cancel); // the typingStopped signals go out before messages start

            // 5. Messages: the same rate, each one a durable append before it is published.
            var messages = new Phase("messages");
            progress.WriteLine($"message phase: {load.Count} connections × {options.Rate}/s for {options.DurationSeconds} s");
            await Load.RunAsync(load, messages, (p, k) => p.SendMessageAsync(messages, $"bench message {k} from {p.UserId}: is a partial refund of 60 fine?", InvokeTimeout),
                options.DurationSeconds, options.Rate, options.DrainSeconds, clock, progress, cancel);
            messages.Undelivered = active.Sum(d => d.Undelivered(messages));

            // 6. Report.
            var reportAt = Stopwatch.GetTimestamp();
            var heartbeatsExpected = candidates.Where(p => p.JoinedAt > 0).Sum(p => Stopwatch.GetElapsedTime(p.JoinedAt, reportAt).TotalSeconds / 5);
            return new Report
            {
                Label = spec.Label,
                ServiceExitCode = service?.ExitCode,
                StartedService = service is not null,
                ServiceEnvironment = spec.Environment.Select(e => e.Key).ToList(),
                Storage = spec.Storage,
                LoadAverageBefore = loadBefore,
                Machine = new(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, Report.CpuModel()),
                Disputes = options.Disputes,
                DisputesCreated = setup.Disputes.Count,
                Connections = candidates.Count,
                ConnectionsJoined = connectedCount,
                ConnectionsUnderLoad = load.Count,
                RatePerConnection = options.Rate,
                DurationSeconds = options.DurationSeconds,
                Setup = new(options.Disputes, setup.OrdersSeconds, options.Disputes / setup.OrdersSeconds,
                    setup.Disputes.Count, setup.DisputesSeconds, setup.Disputes.Count / setup.DisputesSeconds, setup.Failed,
                    connectedCount, connectSeconds, connectedCount / connectSeconds,
                    Report.Percentile(connectTimes, 0.5), Report.Percentile(connectTimes, 0.99),
                    Report.Percentile(joinTimes, 0.5), Report.Percentile(joinTimes, 0.99),
                    connectFailures.ToDictionary(k => k.Key, k => k.Value), setup.Failures),
                Typing = typing.Summarize(),
                Messages = messages.Summarize(),
                Observations = new(
                    Interlocked.Read(ref Counters.ConnectionsClosed), Interlocked.Read(ref Counters.DuplicateEvents),
                    active.Sum(d => d.ReceivedUnanswered()), Interlocked.Read(ref Counters.TypingSignalsUnmatched),
                    Interlocked.Read(ref Counters.TypingSignalsReceived), Interlocked.Read(ref Counters.DuplicateTypingSignals),
                    Interlocked.Read(ref Counters.Heartbeats), heartbeatsExpected, Counters.NotesByCount(),
                    warmMessages.Errors + warmTyping.Errors,
                    warmMessages.Summarize().ErrorKinds.Select(k => ($"message: {k.Key}", k.Value)).Concat(warmTyping.Summarize().ErrorKinds.Select(k => ($"typing: {k.Key}", k.Value))).ToDictionary(k => k.Item1, k => k.Item2),
                    service?.WorkingSetBytes / (1024.0 * 1024.0),
                    service?.Problems().Take(15).ToDictionary(p => p.Problem, p => p.Count) ?? [],
                    service?.Problems().Sum(p => p.Count) ?? 0),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            throw new RunFailedException(spec.Label, e.Message, service?.Tail(), e);
        }
        finally
        {
            // Stop the service first: closing thousands of connections one by one against it is slow and measures nothing.
            if (service is not null) await service.DisposeAsync();
            await Parallel.ForEachAsync(parties.Where(p => p.Hub is not null), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (p, _) =>
            {
                try
                {
                    await p.Hub!.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception) { }
            });
        }
    }
}

/// <summary>A run failed; carries the service's last output for the error message.</summary>
public sealed class RunFailedException(string label, string message, string? serviceTail, Exception inner)
    : Exception($"[{label}] {message}", inner)
{
    public string? ServiceTail { get; } = serviceTail;
}

/// <summary>Runs one open-loop phase: every party sends at a fixed rate from a random phase, whatever the answers do.</summary>
static class Load
{
    public static async Task RunAsync(IReadOnlyList<Party> parties, Phase phase, Func<Party, int, Task> send,
        double seconds, double rate, double drainSeconds, ServiceClock clock, TextWriter? progress, CancellationToken cancel)
    {
        var period = TimeSpan.FromSeconds(1 / rate);
        var length = TimeSpan.FromSeconds(seconds);
        var cpu = clock.Start();
        var start = Stopwatch.GetTimestamp();
        using var ticker = progress is null ? null : new Timer(_ =>
            progress.WriteLine($"  {Stopwatch.GetElapsedTime(start).TotalSeconds,5:F0} s  sent {phase.Sent}, answered {phase.Acked}, errors {phase.Errors}"),
            null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

        var senders = parties.Select(party => Task.Run(async () =>
        {
            var offset = period * Random.Shared.NextDouble();
            var inFlight = new List<Task>();
            for (var k = 0; ; k++)
            {
                var due = offset + period * k;
                if (due >= length) break;
                var wait = due - Stopwatch.GetElapsedTime(start);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, cancel);
                inFlight.Add(send(party, k));
            }
            await Task.WhenAll(inFlight);
        }, cancel)).ToList();

        await Task.Delay(length, cancel);
        phase.SendingSeconds = seconds;
        // Deliveries still arriving are waited for: all answers in, and the drain period past the last send.
        await Task.WhenAll(Task.WhenAll(senders), Task.Delay(TimeSpan.FromSeconds(drainSeconds), cancel));
        (phase.ServiceCpuSeconds, phase.BenchCpuSeconds, phase.DatabaseCpuSeconds) = clock.Stop(cpu);
        phase.WallSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}

/// <summary>CPU used by the service, by this program and (when there is one to watch) by the database server over a phase.</summary>
sealed class ServiceClock(ServiceProcess? service, Func<TimeSpan?>? database)
{
    public (TimeSpan? Service, TimeSpan Bench, TimeSpan? Database) Start() =>
        (service?.CpuTime, Process.GetCurrentProcess().TotalProcessorTime, database?.Invoke());

    /// <summary>NaN for the service when there is none to watch (--url) or it exited meanwhile; the same for the database.</summary>
    public (double Service, double Bench, double Database) Stop((TimeSpan? Service, TimeSpan Bench, TimeSpan? Database) start) =>
        (service?.CpuTime is { } now && start.Service is { } then ? (now - then).TotalSeconds : double.NaN,
         (Process.GetCurrentProcess().TotalProcessorTime - start.Bench).TotalSeconds,
         database?.Invoke() is { } dbNow && start.Database is { } dbThen ? (dbNow - dbThen).TotalSeconds : double.NaN);
}
