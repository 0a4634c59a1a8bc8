using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Mediation.Bench;

/// <summary>Creates the run's paid orders and disputes through the REST API, as the payment platform and the consumers do.</summary>
public static class Setup
{
    public sealed record Result(List<DisputeRun> Disputes, double OrdersSeconds, double DisputesSeconds, int Failed, IReadOnlyDictionary<string, int> Failures);

    public static async Task<Result> CreateAsync(Uri baseAddress, int count, int concurrency, TextWriter log, CancellationToken cancel = default)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        // A run prefix keeps ids unique when the same service (--url) serves several runs.
        var run = Guid.NewGuid().ToString("N")[..6];
        var ids = Enumerable.Range(0, count).Select(i => (Order: $"o-b{run}-{i:D6}", Consumer: $"c-b{run}-{i:D6}", Merchant: $"m-b{run}-{i:D6}")).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        void Fail(string what) => failures.AddOrUpdate(what.Length > 200 ? what[..200] + "…" : what, 1, (_, n) => n + 1);

        var created = new bool[count];
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancel }, async (i, ct) =>
        {
            var (order, consumer, merchant) = ids[i];
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
            {
                Content = JsonContent.Create(new
                {
                    orderId = order, consumerId = consumer, merchantId = merchant,
                    storeName = "Lakeside Tea House", city = "Hangzhou",
                    items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 2, price = 99.50m } },
                    total = 199.00m, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
                }),
            };
            BenchTokens.Authenticate(request, "platform", "ops");
            try
            {
                using var response = await http.SendAsync(request, ct);
                if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK) created[i] = true;
                else Fail($"POST /api/orders: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Fail($"POST /api/orders: {e.GetType().Name}: {e.Message}");
            }
        });
        var ordersSeconds = watch.Elapsed.TotalSeconds;
        log.WriteLine($"  {created.Count(c => c)} orders in {ordersSeconds:F1} s");

        var disputes = new DisputeRun?[count];
        watch.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, count).Where(i => created[i]), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancel }, async (i, ct) =>
        {
            var (order, consumer, merchant) = ids[i];
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/disputes")
            {
                Content = JsonContent.Create(new
                {
                    orderId = order, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 199.00m,
                    description = "Two tins arrived crushed and the tea is damp.",
                }),
            };
            BenchTokens.Authenticate(request, consumer, "consumer");
            try
            {
                using var response = await http.SendAsync(request, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode is not HttpStatusCode.Created)
                {
                    Fail($"POST /api/disputes: {(int)response.StatusCode} {body}");
                    return;
                }
                using var json = JsonDocument.Parse(body);
                disputes[i] = new DisputeRun(json.RootElement.GetProperty("disputeId").GetString()!, consumer, merchant);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                Fail($"POST /api/disputes: {e.GetType().Name}: {e.Message}");
            }
        });
        var disputesSeconds = watch.Elapsed.TotalSeconds;
        var runs = disputes.OfType<DisputeRun>().ToList();
        log.WriteLine($"  {runs.Count} disputes in {disputesSeconds:F1} s");
        foreach (var r in runs) r.Wire();
        return new Result(runs, ordersSeconds, disputesSeconds, count - runs.Count, failures.OrderByDescending(f => f.Value).ToDictionary(f => f.Key, f => f.Value));
    }
}
