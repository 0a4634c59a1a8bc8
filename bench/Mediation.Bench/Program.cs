using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Mediation.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (options.ShowHelp)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

// Thousands of connections answer at once; don't let the thread pool's slow ramp-up show as latency.
ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
ThreadPool.SetMinThreads(Math.Max(minWorkers, 64), Math.Max(minIo, 64));

var progress = Console.Error;
var invokeTimeout = TimeSpan.FromSeconds(30);
ServiceProcess? service = null;
var parties = new List<Party>();
try
{
    Uri baseAddress;
    if (options.Url is null)
    {
        progress.WriteLine($"starting the service (Release build of src/Api) {string.Join(' ', options.Environment.Select(e => $"{e.Key}=…"))}");
        service = await ServiceProcess.StartAsync(options.Environment, options.Build, options.ServiceLog, progress);
        baseAddress = service.BaseAddress;
        progress.WriteLine($"  healthy at {baseAddress} (pid {service.ProcessId})");
    }
    else
    {
        baseAddress = options.Url;
    }

    // 1. Orders and disputes.
    progress.WriteLine($"setup: {options.Disputes} orders and disputes, {options.SetupConcurrency} requests in flight");
    var setup = await Setup.CreateAsync(baseAddress, options.Disputes, options.SetupConcurrency, progress);
    foreach (var (failure, count) in setup.Failures) progress.WriteLine($"  {count} × {failure}");
    if (setup.Disputes.Count == 0) throw new InvalidOperationException("no dispute was created; nothing to measure");

    // 2. Connections: each party connects and joins its dispute, receiving the replayed Opened event.
    var candidates = setup.Disputes.SelectMany(d => new[] { d.Consumer, d.Merchant }).ToList();
    progress.WriteLine($"connecting {candidates.Count} parties, {options.ConnectConcurrency} at a time");
    var connectFailures = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    var failedDisputes = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
    var connectWatch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(candidates, new ParallelOptions { MaxDegreeOfParallelism = options.ConnectConcurrency }, async (party, _) =>
    {
        try
        {
            await party.ConnectAndJoinAsync(baseAddress, TimeSpan.FromSeconds(60));
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
    parties = candidates;
    var load = active.SelectMany(d => new[] { d.Consumer, d.Merchant }).ToList();
    if (load.Count == 0) throw new InvalidOperationException("no dispute has both parties connected; nothing to measure");
    var connectTimes = candidates.Where(p => p.JoinMs > 0).Select(p => p.ConnectMs).Order().ToArray();
    var joinTimes = candidates.Where(p => p.JoinMs > 0).Select(p => p.JoinMs).Order().ToArray();

    var clock = new ServiceClock(service);

    // 3. Warm-up: one message and one typing per party, unmeasured (the merchant's first message also moves the
    //    dispute to Negotiating, which writes its record: not what a chat message costs afterwards).
    var warmMessages = new Phase("warm-up messages");
    var warmTyping = new Phase("warm-up typing");
    if (options.WarmupSeconds > 0)
    {
        progress.WriteLine($"warm-up: one message and one typing per party over {options.WarmupSeconds} s");
        var w = options.WarmupSeconds;
        await Task.WhenAll(
            Load.RunAsync(load, warmMessages, (p, k) => p.SendMessageAsync(warmMessages, $"warm-up from {p.UserId}", invokeTimeout), w, 1 / w, options.DrainSeconds, clock, null),
            Load.RunAsync(load, warmTyping, (p, _) => p.TypingAsync(warmTyping, invokeTimeout), w, 1 / w, options.DrainSeconds, clock, null));
        foreach (var p in load) p.TakeUndeliveredTyping(warmTyping);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 6 - options.DrainSeconds))); // let the typing indicators lapse
    }

    // 4. Baseline: typing signals, same grains, same stream fan-out, nothing written.
    var typing = new Phase("typing");
    progress.WriteLine($"typing phase: {load.Count} connections × {options.Rate}/s for {options.DurationSeconds} s");
    await Load.RunAsync(load, typing, (p, _) => p.TypingAsync(typing, invokeTimeout), options.DurationSeconds, options.Rate, options.DrainSeconds, clock, progress);
    typing.Undelivered = load.Sum(p => p.TakeUndeliveredTyping(typing));
    await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 6 - options.DrainSeconds))); // the typingStopped signals go out before messages start

    // 5. Messages: the same rate, each one a durable append before it is published.
    var messages = new Phase("messages");
    progress.WriteLine($"message phase: {load.Count} connections × {options.Rate}/s for {options.DurationSeconds} s");
    await Load.RunAsync(load, messages, (p, k) => p.SendMessageAsync(messages, $"bench message {k} from {p.UserId}: is a partial refund of 60 fine?", invokeTimeout),
        options.DurationSeconds, options.Rate, options.DrainSeconds, clock, progress);
    messages.Undelivered = active.Sum(d => d.Undelivered(messages));

    // 6. Report.
    var reportAt = Stopwatch.GetTimestamp();
    var heartbeatsExpected = candidates.Where(p => p.JoinedAt > 0).Sum(p => Stopwatch.GetElapsedTime(p.JoinedAt, reportAt).TotalSeconds / 5);
    var report = new Report
    {
        Label = options.Label!,
        ServiceExitCode = service?.ExitCode,
        StartedService = service is not null,
        ServiceEnvironment = options.Environment.Select(e => e.Key).ToList(),
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
    Console.Out.Write(report.ToText());
    if (options.JsonFile is not null)
    {
        await File.WriteAllTextAsync(options.JsonFile, JsonSerializer.Serialize(report, Report.JsonOptions));
        progress.WriteLine($"wrote {options.JsonFile}");
    }
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"the benchmark failed: {e.Message}");
    if (service is not null) Console.Error.WriteLine($"the service's last output:\n{service.Tail()}");
    return 1;
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

/// <summary>Runs one open-loop phase: every party sends at a fixed rate from a random phase, whatever the answers do.</summary>
static class Load
{
    public static async Task RunAsync(IReadOnlyList<Party> parties, Phase phase, Func<Party, int, Task> send,
        double seconds, double rate, double drainSeconds, ServiceClock clock, TextWriter? progress)
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
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                inFlight.Add(send(party, k));
            }
            await Task.WhenAll(inFlight);
        })).ToList();

        var sendingEnds = Task.Delay(length);
        await sendingEnds;
        phase.SendingSeconds = seconds;
        // Deliveries still arriving are waited for: all answers in, and the drain period past the last send.
        await Task.WhenAll(Task.WhenAll(senders), Task.Delay(TimeSpan.FromSeconds(drainSeconds)));
        (phase.ServiceCpuSeconds, phase.BenchCpuSeconds) = clock.Stop(cpu);
        phase.WallSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}

/// <summary>CPU used by the service and by this program over a phase.</summary>
sealed class ServiceClock(ServiceProcess? service)
{
    public (TimeSpan? Service, TimeSpan Bench) Start() => (service?.CpuTime, Process.GetCurrentProcess().TotalProcessorTime);

    /// <summary>NaN for the service when there is none to watch (--url) or it exited meanwhile.</summary>
    public (double Service, double Bench) Stop((TimeSpan? Service, TimeSpan Bench) start) =>
        (service?.CpuTime is { } now && start.Service is { } then ? (now - then).TotalSeconds : double.NaN,
         (Process.GetCurrentProcess().TotalProcessorTime - start.Bench).TotalSeconds);
}
