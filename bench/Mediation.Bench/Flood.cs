using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Mediation.Bench;

/// <summary>
/// --flood: does one flooding client slow the other disputes? N probe disputes chat at a human pace (each consumer
/// sends a message every 500 ms over the hub; latency is from the invoke to the merchant's push); one client — a
/// merchant with <see cref="FloodDisputes"/> disputes of its own, so that its calls are not queued behind one dispute
/// — sends messages round the disputes as fast as the service answers, over REST (64 requests in flight) and over one
/// hub connection (32 invocations in flight). After a warm-up, rounds of two phases on one service, without the flood
/// and with it. Prints the probes' p50/p90/p99/max in each condition, the ratios, and what the flood got through.
/// </summary>
public static class Flood
{
    private const int FloodDisputes = 20;
    private const int HubInFlight = 32;
    private static readonly TimeSpan ProbePeriod = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(BenchOptions options, TextWriter progress, CancellationToken cancel)
    {
        await using var deployment = options.Url is { } url ? Deployment.External(url)
            : await Deployment.StartEmbeddedAsync(options.Environment, options.Build, options.ServiceLog, progress);
        var node = deployment.Nodes[0];
        progress.WriteLine($"flood: {options.Disputes} probe disputes + {FloodDisputes} of the flooding merchant, phases of {options.DurationSeconds:0} s");
        var setup = await Setup.CreateAsync(node, options.Disputes, options.SetupConcurrency, progress, cancel);
        if (setup.Disputes.Count < options.Disputes) throw new InvalidOperationException($"setup failed: {string.Join("; ", setup.Failures.Keys)}");
        var (flooder, flooded) = await FloodedDisputesAsync(node, cancel);
        var probes = new List<Probe>();
        foreach (var d in setup.Disputes.Take(options.Disputes))
            probes.Add(await Probe.StartAsync(node, d.DisputeId, d.Consumer.UserId, d.Merchant.UserId, cancel));
        // Every probe's first merchant answer (a state change) before measuring: steady state only.
        foreach (var p in probes) await p.AnswerOnceAsync(cancel);

        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        // Warm-up, not measured: the probes and a flood together, so that neither measured phase pays for the JIT
        // (dotnet-counters: up to 0.75 cores of JIT compilation in the first ~20 s after the service started).
        progress.WriteLine($"warm-up: probes and flood together, {duration.TotalSeconds:0} s, not measured");
        using (var stopWarmUp = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            var warmFlood = FloodAsync(node, flooded, flooder, options, new FloodCounts(), stopWarmUp.Token);
            await MeasureAsync(probes, duration, [], cancel);
            await stopWarmUp.CancelAsync();
            await warmFlood;
        }

        // Rounds of (no flood, flood), pooled by condition: the machine's own drift (a checkpoint, a neighbour's build)
        // falls on both conditions instead of deciding a single pair of phases.
        var quiet = new PhaseFigures();
        var loud = new PhaseFigures();
        var flood = new FloodCounts();
        for (var round = 1; round <= options.FloodRounds; round++)
        {
            progress.WriteLine($"round {round}/{options.FloodRounds}: probes only, then probes while one client floods");
            await quiet.MeasureAsync(probes, duration, deployment, cancel);
            using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var flooding = FloodAsync(node, flooded, flooder, options, flood, stopFlood.Token);
            await loud.MeasureAsync(probes, duration, deployment, cancel);
            await stopFlood.CancelAsync();
            await flooding; // held refusals come back within the hold: the next quiet phase starts clean
        }
        foreach (var p in probes) await p.DisposeAsync();
        var q = quiet.Figures(probes.Count);
        var l = loud.Figures(probes.Count);
        var seconds = duration.TotalSeconds * options.FloodRounds;

        string? Setting(string key) => options.Environment.LastOrDefault(e => e.Key.Replace(":", "__").Equals(key, StringComparison.OrdinalIgnoreCase)).Value;
        var limits = Setting("Mediation__RateLimits__Enabled") is "false" ? "rate limits OFF (Mediation__RateLimits__Enabled=false)"
            : Setting("Mediation__RateLimits__RefusalHold") is { } hold ? $"rate limits ON, refusals held {hold}" : "rate limits ON (defaults)";
        var who = options.FloodForged ? "a forged token over REST only"
            : options.FloodReads ? "its own token, reading its disputes over REST" : "its own token, REST and one hub connection";
        var text = new StringBuilder()
            .AppendLine($"flood benchmark, {limits}; {options.Disputes} probe disputes at 2 messages/s each (consumer → merchant push); {options.FloodRounds} rounds of {duration.TotalSeconds:0} s without and {duration.TotalSeconds:0} s with the flood, after a {duration.TotalSeconds:0}-s warm-up")
            .AppendLine($"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}")
            .AppendLine("condition      probes  samples  p50 ms   p90 ms   p99 ms   max ms  undelivered  server CPU  bench CPU (cores; the probes and the flooder share the bench process)")
            .AppendLine(q.Line("no flood", quiet.ServerSeconds / seconds, quiet.OwnSeconds / seconds))
            .AppendLine(l.Line("flood", loud.ServerSeconds / seconds, loud.OwnSeconds / seconds))
            .AppendLine($"flood / no flood: p50 {l.P50 / q.P50:F2}   p90 {l.P90 / q.P90:F2}   p99 {l.P99 / q.P99:F2}   server CPU {loud.ServerSeconds / quiet.ServerSeconds:F2}")
            .AppendLine($"the flood (one merchant round its {FloodDisputes} disputes with {who}; REST {options.FloodInFlight} in flight{(options.FloodForged || options.FloodReads ? "" : $", hub {HubInFlight} in flight")}), per second of flood:")
            .AppendLine($"  REST: {flood.RestSent / seconds:F0} sent, {flood.RestAccepted / seconds:F1} accepted (201/200), {flood.Rest429 / seconds:F0} refused 429, {flood.Rest401 / seconds:F0} refused 401, {flood.RestOther / seconds:F1} other");
        if (!options.FloodForged && !options.FloodReads)
            text.AppendLine($"  hub:  {flood.HubSent / seconds:F0} sent, {flood.HubAccepted / seconds:F1} accepted, {flood.Hub429 / seconds:F0} refused 429, {flood.HubOther / seconds:F1} other");
        Console.Out.Write(text.ToString());
        return 0;
    }

    private sealed class FloodCounts
    {
        public long RestSent, RestAccepted, Rest429, Rest401, RestOther, HubSent, HubAccepted, Hub429, HubOther;
    }

    /// <summary>One merchant's disputes, opened by as many consumers.</summary>
    private static async Task<(string Merchant, string[] Disputes)> FloodedDisputesAsync(Uri node, CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = node };
        var run = Guid.NewGuid().ToString("N")[..6];
        var merchant = $"m-flood{run}";
        var disputes = new string[FloodDisputes];
        for (var i = 0; i < FloodDisputes; i++)
        {
            var (order, consumer) = ($"o-flood{run}-{i}", $"c-flood{run}-{i}");
            using var push = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Content = JsonContent.Create(new
                {
                    orderId = order, consumerId = consumer, merchantId = merchant, storeName = "Flood Store", city = "Hangzhou",
                    items = new[] { new { name = "Tea", spec = "tin", quantity = 1, price = 10m } },
                    total = 10m, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
                }),
            };
            BenchTokens.Authenticate(push, "platform", "ops");
            (await http.SendAsync(push, cancel)).EnsureSuccessStatusCode();
            using var open = new HttpRequestMessage(HttpMethod.Post, "/api/disputes")
            {
                Content = JsonContent.Create(new { orderId = order, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 10m, description = "flood" }),
            };
            BenchTokens.Authenticate(open, consumer, "consumer");
            using var opened = await http.SendAsync(open, cancel);
            opened.EnsureSuccessStatusCode();
            disputes[i] = (await opened.Content.ReadFromJsonAsync<JsonElement>(cancel)).GetProperty("disputeId").GetString()!;
        }
        return (merchant, disputes);
    }

    private static async Task FloodAsync(Uri node, string[] disputes, string merchantId, BenchOptions options, FloodCounts counts, CancellationToken stop)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.FloodInFlight }) { BaseAddress = node, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            options.FloodForged ? BenchTokens.Forged(merchantId, "merchant") : BenchTokens.For(merchantId, "merchant"));
        var turn = 0;
        var reads = 0L;
        string Next() => disputes[(int)((uint)Interlocked.Increment(ref turn) % disputes.Length)];
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(node, "/hubs/negotiation"), HttpTransportType.WebSockets, o =>
            {
                o.Headers["Authorization"] = $"Bearer {BenchTokens.For(merchantId, "merchant")}";
                o.SkipNegotiation = true;
            })
            .AddJsonProtocol().Build();
        var hubFlood = !options.FloodForged && !options.FloodReads;
        if (hubFlood) await hub.StartAsync(stop);

        async Task RestLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var dispute = Next();
                    using var response = !options.FloodReads
                        ? await http.PostAsJsonAsync($"/api/disputes/{dispute}/messages", new { text = "flood" }, stop)
                        : await http.GetAsync(Interlocked.Increment(ref reads) % 2 == 0 ? $"/api/disputes/{dispute}" : $"/api/disputes/{dispute}/events", stop);
                    Interlocked.Increment(ref counts.RestSent);
                    if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK) Interlocked.Increment(ref counts.RestAccepted);
                    else if (response.StatusCode == HttpStatusCode.TooManyRequests) Interlocked.Increment(ref counts.Rest429);
                    else if (response.StatusCode == HttpStatusCode.Unauthorized) Interlocked.Increment(ref counts.Rest401);
                    else Interlocked.Increment(ref counts.RestOther);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
                catch (HttpRequestException) { Interlocked.Increment(ref counts.RestOther); }
            }
        }

        async Task HubLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await hub.InvokeAsync<long>("SendMessage", Next(), "flood", stop);
                    Interlocked.Increment(ref counts.HubSent);
                    Interlocked.Increment(ref counts.HubAccepted);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
                catch (Microsoft.AspNetCore.SignalR.HubException e)
                {
                    Interlocked.Increment(ref counts.HubSent);
                    Interlocked.Increment(ref e.Message.Contains("429") ? ref counts.Hub429 : ref counts.HubOther);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, options.FloodInFlight).Select(_ => RestLoop())
            .Concat(Enumerable.Range(0, hubFlood ? HubInFlight : 0).Select(_ => HubLoop())));
        await hub.DisposeAsync();
    }

    private sealed record Figures(int Probes, int Samples, double P50, double P90, double P99, double Max, int Undelivered)
    {
        public string Line(string condition, double cores, double benchCores) =>
            $"{condition,-14} {Probes,6} {Samples,8} {P50,7:F1} {P90,8:F1} {P99,8:F1} {Max,8:F1} {Undelivered,12} {cores,11:F2} {benchCores,10:F2}";
    }

    /// <summary>The samples and CPU of one condition, over all its phases.</summary>
    private sealed class PhaseFigures
    {
        private readonly ConcurrentBag<double> _samples = [];
        private int _undelivered;

        public double ServerSeconds { get; private set; }
        public double OwnSeconds { get; private set; }

        public async Task MeasureAsync(List<Probe> probes, TimeSpan duration, Deployment deployment, CancellationToken cancel)
        {
            var server0 = deployment.CpuSeconds().Values.Sum() ?? 0;
            var own0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            _undelivered += await Flood.MeasureAsync(probes, duration, _samples, cancel);
            ServerSeconds += (deployment.CpuSeconds().Values.Sum() ?? 0) - server0;
            OwnSeconds += Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - own0;
        }

        public Figures Figures(int probes)
        {
            var sorted = _samples.Order().ToArray();
            double At(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
            return new Figures(probes, sorted.Length, At(0.50), At(0.90), At(0.99), sorted.LastOrDefault(), _undelivered);
        }
    }

    /// <summary>Every probe sends every 500 ms for <paramref name="duration"/>; round trips go to <paramref name="samples"/>; returns the undelivered.</summary>
    private static async Task<int> MeasureAsync(List<Probe> probes, TimeSpan duration, ConcurrentBag<double> samples, CancellationToken cancel)
    {
        var undelivered = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var offset = ProbePeriod / probes.Count;
        await Task.WhenAll(probes.Select(async (p, i) =>
        {
            await Task.Delay(offset * i, cancel); // spread the sends
            var next = Stopwatch.GetTimestamp();
            var pending = new List<Task<double?>>();
            while (Stopwatch.GetTimestamp() < end)
            {
                pending.Add(p.RoundTripAsync(cancel));
                next += (long)(ProbePeriod.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, cancel);
            }
            foreach (var result in await Task.WhenAll(pending))
                if (result is { } ms) samples.Add(ms);
                else Interlocked.Increment(ref undelivered);
        }));
        return undelivered;
    }

    /// <summary>One unrelated dispute: its consumer sends, its merchant's push closes the round trip.</summary>
    private sealed class Probe : IAsyncDisposable
    {
        private readonly HubConnection _consumer;
        private readonly HubConnection _merchant;
        private readonly string _disputeId;
        private readonly ConcurrentDictionary<long, TaskCompletionSource<long>> _pushed = new();

        private Probe(HubConnection consumer, HubConnection merchant, string disputeId)
        {
            _consumer = consumer;
            _merchant = merchant;
            _disputeId = disputeId;
            _merchant.On<JsonElement>("DisputeEvent", e =>
                _pushed.GetOrAdd(e.GetProperty("seq").GetInt64(), _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(Stopwatch.GetTimestamp()));
        }

        private static HubConnection Connect(Uri node, string userId, string role) => new HubConnectionBuilder()
            .WithUrl(new Uri(node, "/hubs/negotiation"), HttpTransportType.WebSockets, o =>
            {
                o.Headers["Authorization"] = $"Bearer {BenchTokens.For(userId, role)}";
                o.SkipNegotiation = true;
            })
            .AddJsonProtocol().Build();

        public static async Task<Probe> StartAsync(Uri node, string disputeId, string consumerId, string merchantId, CancellationToken cancel)
        {
            var probe = new Probe(Connect(node, consumerId, "consumer"), Connect(node, merchantId, "merchant"), disputeId);
            await probe._consumer.StartAsync(cancel);
            await probe._merchant.StartAsync(cancel);
            await probe._consumer.InvokeAsync("JoinDispute", disputeId, 0L, cancel);
            await probe._merchant.InvokeAsync("JoinDispute", disputeId, 0L, cancel);
            return probe;
        }

        public Task AnswerOnceAsync(CancellationToken cancel) => _merchant.InvokeAsync<long>("SendMessage", _disputeId, "hello", cancel);

        /// <summary>Milliseconds from the invoke to the merchant's push of that message; null if it never came (10 s).</summary>
        public async Task<double?> RoundTripAsync(CancellationToken cancel)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                var seq = await _consumer.InvokeAsync<long>("SendMessage", _disputeId, "are you there?", cancel);
                var pushed = await _pushed.GetOrAdd(seq, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(10), cancel);
                _pushed.TryRemove(seq, out _);
                return Stopwatch.GetElapsedTime(start, pushed).TotalMilliseconds;
            }
            catch (Exception e) when (e is TimeoutException or Microsoft.AspNetCore.SignalR.HubException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _consumer.DisposeAsync();
            await _merchant.DisposeAsync();
        }
    }
}
