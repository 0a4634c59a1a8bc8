using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mediation.Bench;

/// <summary>
/// The ratio run: the same scenario against the bare relay and then against Mediation, one after the other in one
/// invocation, with the same client code. For each system: start it, open the disputes, connect and join every party,
/// note memory, optionally sit idle, then one message phase per offered rate (lowest first, the first starting right
/// after the joins), then the typing baseline; stop it.
/// </summary>
public static class Sweep
{
    /// <summary>A point passes when its p99 is under this, with no error and nothing undelivered.</summary>
    public const double SaturationP99Ms = 1000;

    public static async Task<SweepReport> RunAsync(BenchOptions options, TextWriter progress, CancellationToken cancel)
    {
        var machine = new Report.MachineInfo(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, Report.CpuModel());
        var systems = new List<SystemRun>();
        if (!options.NoRelay)
        {
            var nodes = options.Production ? options.ApiNodes : 1;
            systems.Add(await RunSystemAsync(options, Deployment.RelayLabel,
                () => Deployment.StartRelayAsync(nodes, options.Build, options.ServiceLog, progress), progress, cancel));
            GC.Collect();
            await Task.Delay(TimeSpan.FromSeconds(3), cancel); // let the relay's sockets close before the next system starts
        }
        if (!options.RelayOnly)
            systems.Add(await RunSystemAsync(options, Deployment.MediationLabel, () =>
            options.Url is not null ? Task.FromResult(Deployment.External(options.Url))
            : options.Production ? Deployment.StartProductionAsync(options.Silos, options.ApiNodes, options.Spread, options.Environment, options.Build, options.ServiceLog, progress, cancel)
            : Deployment.StartEmbeddedAsync(options.Environment, options.Build, options.ServiceLog, progress), progress, cancel));
        return new SweepReport
        {
            Label = options.Label!,
            Machine = machine,
            Command = string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            Disputes = options.Disputes,
            Protocol = options.Protocol.ToString(),
            Topology = options.Url is not null ? "external" : options.Production ? "production" : "embedded",
            LoadProcesses = options.LoadProcesses,
            DurationSeconds = options.DurationSeconds,
            DrainSeconds = options.DrainSeconds,
            WarmupSeconds = options.WarmupSeconds,
            JitWarmupDisputes = options.JitWarmupDisputes,
            OfferedRates = options.OfferedRates(),
            Systems = systems,
        };
    }

    private static async Task<SystemRun> RunSystemAsync(BenchOptions options, string label, Func<Task<Deployment>> start, TextWriter progress, CancellationToken cancel)
    {
        Counters.Reset();
        var run = new SystemRun { Label = label, LoadAverageBefore = Report.LoadAverage() };
        progress.WriteLine();
        progress.WriteLine($"=== {label} ===");
        Deployment? deployment = null;
        var groups = new List<ILoadGroup>();
        try
        {
            deployment = await start();
            run.Description = deployment.Description;
            var rssAtStart = deployment.RssBytes();

            // 1. Orders and disputes, through the first node.
            progress.WriteLine($"setup: {options.Disputes} orders and disputes (+ {options.JitWarmupDisputes} for the JIT warm-up), {options.SetupConcurrency} requests in flight");
            var setup = await Setup.CreateAsync(deployment.Nodes[0], options.Disputes + options.JitWarmupDisputes, options.SetupConcurrency, progress, cancel);
            if (setup.Disputes.Count == 0) throw new InvalidOperationException($"no dispute was created: {string.Join("; ", setup.Failures.Keys.Take(3))}");

            // 2. Every party connects to its node and joins its dispute; K workers take every K-th dispute.
            var slices = Enumerable.Range(0, Math.Max(1, options.LoadProcesses)).Select(_ => new List<SliceDispute>()).ToList();
            for (var i = 0; i < setup.Disputes.Count; i++)
            {
                var d = setup.Disputes[i];
                slices[i % slices.Count].Add(new SliceDispute(d.DisputeId, d.Consumer.UserId, d.Merchant.UserId,
                    deployment.NodeOf(i, "consumer"), deployment.NodeOf(i, "merchant"), Warm: i >= setup.Disputes.Count - options.JitWarmupDisputes));
            }
            groups.AddRange(options.LoadProcesses == 0
                ? [new ClientLoad(new Slice(options.Protocol, options.ConnectConcurrency, slices[0]), progress)]
                : slices.Select((s, k) => (ILoadGroup)WorkerLoad.Start(new Slice(options.Protocol, Math.Max(1, options.ConnectConcurrency / slices.Count), s), $"worker {k + 1}", progress)));
            progress.WriteLine($"connecting {setup.Disputes.Count * 2} parties over {deployment.Nodes.Count} node(s), {options.ConnectConcurrency} at a time" +
                               (options.LoadProcesses > 0 ? $", in {options.LoadProcesses} worker processes" : ""));
            var joinWatch = Stopwatch.StartNew();
            var join = JoinResult.Merge(await Task.WhenAll(groups.Select(g => g.JoinAsync(cancel))));
            var joinSeconds = joinWatch.Elapsed.TotalSeconds;
            progress.WriteLine($"  {join.Joined} of {join.Parties} joined in {joinSeconds:F1} s; {join.ConnectionsUnderLoad} connections under load");
            foreach (var (failure, count) in join.Failures.Take(5)) progress.WriteLine($"  {count} × {failure}");
            if (join.ConnectionsUnderLoad == 0) throw new InvalidOperationException("no dispute has both parties connected; nothing to measure");
            Array.Sort(join.ConnectMs);
            Array.Sort(join.JoinMs);
            run.Setup = new SetupRun(options.Disputes + options.JitWarmupDisputes, setup.OrdersSeconds, setup.Disputes.Count, setup.DisputesSeconds, setup.Failed, setup.Failures,
                join.Parties, join.Joined, join.ConnectionsUnderLoad, joinSeconds, join.Joined / joinSeconds,
                Report.Percentile(join.ConnectMs, 0.5), Report.Percentile(join.ConnectMs, 0.99),
                Report.Percentile(join.JoinMs, 0.5), Report.Percentile(join.JoinMs, 0.99), join.Failures);
            run.Memory = MemoryRun.From(rssAtStart, deployment.RssBytes(), setup.Disputes.Count, join.Joined);

            // 3. Optional: every party joined, nobody sends.
            if (options.IdleSeconds > 0)
            {
                progress.WriteLine($"idle: {options.IdleSeconds} s with every party joined and no traffic (after 2 s to settle)");
                await Task.Delay(TimeSpan.FromSeconds(2), cancel); // the joins' own tail (answers, JIT, GC) is not idle cost
                var before = deployment.CpuSeconds();
                var heartbeats = Interlocked.Read(ref Counters.Heartbeats);
                var watch = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), cancel);
                run.Idle = new IdleRun(watch.Elapsed.TotalSeconds, Cores(before, deployment.CpuSeconds(), watch.Elapsed.TotalSeconds),
                    options.LoadProcesses == 0 ? Interlocked.Read(ref Counters.Heartbeats) - heartbeats : null);
            }

            // 4. JIT warm-up on disputes of their own (not measured, never loaded again): every code path a measured
            //    phase takes — a first merchant answer, later messages, typing — has run once in the servers and in the
            //    clients, while every measured dispute is still untouched, awaiting its merchant.
            var connections = join.ConnectionsUnderLoad;
            if (options.JitWarmupDisputes > 0)
            {
                progress.WriteLine($"JIT warm-up: {options.JitWarmupDisputes} disputes of their own exchange messages and typing for 4 s (not measured)");
                var warmMessages = await RunPhaseAsync(groups, new PhasePlan("jit-warm-up", PhaseKind.Messages, 1, 3, 1, WarmDisputes: true), deployment, cancel);
                var warmTyping = await RunPhaseAsync(groups, new PhasePlan("jit-warm-up typing", PhaseKind.Typing, 1, 1, 1, WarmDisputes: true), deployment, cancel);
                run.WarmupErrors += warmMessages.Result.Errors + warmTyping.Result.Errors;
            }

            // 5. Unmeasured warm-up, only if asked for: it would move every dispute out of AwaitingMerchant before the window.
            if (options.WarmupSeconds > 0)
            {
                progress.WriteLine($"warm-up: one message per party over {options.WarmupSeconds} s (not measured)");
                var warm = await RunPhaseAsync(groups, new PhasePlan("warm-up", PhaseKind.Messages, 1 / options.WarmupSeconds, options.WarmupSeconds, options.DrainSeconds), deployment, cancel);
                run.WarmupErrors += warm.Result.Errors;
            }

            // 6. The sweep: message phases at each offered rate, lowest first; by default it stops after two rates in a
            //    row fail (p99 ≥ 1 s, an error or an undelivered message): higher rates only pile up more backlog. One
            //    failure is not enough: the first phase also carries every dispute's first merchant answer.
            var victim = options.KillSiloAfterSeconds is not null && label == Deployment.MediationLabel
                ? deployment.Processes.LastOrDefault(p => p.Role == "silo") : null;
            Task? killing = null;
            if (victim is not null)
            {
                SiloKill.Start();
                killing = Task.Run(async () =>
                {
                    await Task.Delay(TimeSpan.FromSeconds(options.KillSiloAfterSeconds!.Value), cancel);
                    progress.WriteLine($"[{label}] kill -9 {deployment.NameOf(victim)} (pid {victim.ProcessId})");
                    SiloKill.Kill(victim);
                }, cancel);
            }
            var failedInARow = 0;
            foreach (var offered in options.OfferedRates(connections))
            {
                var plan = new PhasePlan($"messages@{offered:0.#}", PhaseKind.Messages, offered / connections, options.DurationSeconds, options.DrainSeconds);
                progress.WriteLine($"[{label}] messages at {offered:0.#}/s ({plan.RatePerConnection:0.###}/s per connection) for {options.DurationSeconds} s");
                var (result, cpu, wall) = await RunPhaseAsync(groups, plan, deployment, cancel);
                var point = RatePoint.From(offered, connections, plan, result, cpu, wall);
                run.Points.Add(point);
                progress.WriteLine($"  p50 {point.P50Ms:F1} ms, p99 {point.P99Ms:F1} ms, errors {point.Errors}, undelivered {point.Undelivered}, server CPU {point.ServerCpuCores:F2} cores → {(point.Passed ? "ok" : "saturated")}");
                run.Observations = result.Counters;
                failedInARow = point.Passed ? 0 : failedInARow + 1;
                if (failedInARow >= 2 && !options.KeepGoing) break;
                await Task.Delay(TimeSpan.FromSeconds(1), cancel);
            }

            // 7. The typing baseline at the lowest rate: the same hub and fan-out, nothing stored.
            if (!options.NoTyping)
            {
                var offered = options.OfferedRates(connections)[0];
                var plan = new PhasePlan($"typing@{offered:0.#}", PhaseKind.Typing, offered / connections, options.DurationSeconds, options.DrainSeconds);
                progress.WriteLine($"[{label}] typing at {offered:0.#}/s for {options.DurationSeconds} s");
                var (result, cpu, wall) = await RunPhaseAsync(groups, plan, deployment, cancel);
                run.Typing = RatePoint.From(offered, connections, plan, result, cpu, wall);
                run.Observations = result.Counters;
            }
            if (killing is not null)
            {
                await killing;
                run.Kill = SiloKill.Summarize(deployment.NameOf(victim!));
            }
            run.ExitedProcesses = deployment.ExitedProcesses(except: victim);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            run.Failure = e.Message;
            progress.WriteLine($"[{label}] failed: {e.Message}");
            if (deployment is not null) progress.WriteLine(deployment.Tails());
        }
        finally
        {
            if (deployment is not null)
            {
                run.LogProblems = deployment.Problems().Take(15).ToDictionary(p => p.Problem, p => p.Count);
                run.LogProblemCount = deployment.Problems().Sum(p => p.Count);
                // Stop the system first: closing thousands of connections one by one against it measures nothing.
                await deployment.DisposeAsync();
            }
            await Task.WhenAll(groups.Select(g => g.DisposeAsync().AsTask()));
        }
        return run;
    }

    private static async Task<(PhaseResult Result, Dictionary<string, double?> CpuCores, double WallSeconds)> RunPhaseAsync(
        List<ILoadGroup> groups, PhasePlan plan, Deployment deployment, CancellationToken cancel)
    {
        var before = deployment.CpuSeconds();
        var watch = Stopwatch.StartNew();
        var result = PhaseResult.Merge(await Task.WhenAll(groups.Select(g => g.RunAsync(plan, cancel))));
        var wall = watch.Elapsed.TotalSeconds;
        return (result, Cores(before, deployment.CpuSeconds(), wall), wall);
    }

    private static Dictionary<string, double?> Cores(Dictionary<string, double?> before, Dictionary<string, double?> after, double seconds) =>
        after.ToDictionary(a => a.Key, a => a.Value is { } now && before.GetValueOrDefault(a.Key) is { } then ? (now - then) / seconds : (double?)null);
}
