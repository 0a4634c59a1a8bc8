using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Mediation.Api.Tests;

/// <summary>One app with traces on, exported in memory as an OTLP exporter would get them.</summary>
public sealed class TelemetryFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();
    public ConcurrentQueue<Activity> Spans { get; } = new();

    public Task InitializeAsync()
    {
        Factory.Settings["Mediation:Telemetry:Traces"] = "true";
        Factory.Settings["Mediation:Telemetry:Dashboard"] = "true";
        Factory.TestServices.Add(services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(new SimpleActivityExportProcessor(new QueueExporter(Spans)))));
        Factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>An in-memory exporter into a queue, which tests read while the app still writes.</summary>
    private sealed class QueueExporter(ConcurrentQueue<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var activity in batch) spans.Enqueue(activity);
            return ExportResult.Success;
        }
    }
}

/// <summary>
/// The tests that scrape <c>/metrics</c>, run alone: OpenTelemetry's meter listener is process-wide, so a node's
/// scrape also sees the "Mediation" meters of the other test apps running at the same time, and when one of those apps
/// is disposed its instruments go with it; an instrument of the same name on this node could then lose what it
/// recorded (seen once in a full run: no delivery histogram at all, while other apps' desks showed up in the scrape).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics scraped alone";
}

/// <summary>What ops sees of a running node: Prometheus figures, one trace per chat message, the Orleans Dashboard.</summary>
[Collection(MetricsCollection.Name)]
public sealed class TelemetryTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    private ApiFactory Factory => fixture.Factory;

    private async Task<string> ScrapeAsync()
    {
        using var prometheus = Factory.CreateClient(); // a scraper has no identity
        var response = await prometheus.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task UntilScrapedAsync(string what, params string[] expected)
    {
        var last = "";
        await Poll.UntilAsync(async () => expected.All((last = await ScrapeAsync()).Contains), TimeSpan.FromSeconds(20), what,
            () => string.Join('\n', last.Split('\n').Where(l => l.StartsWith("mediation_") || l.StartsWith("http_server"))));
    }

    [Fact]
    public async Task Prometheus_scrape_shows_the_disputes_opened_and_the_http_request_durations()
    {
        var s = await Scenario.PaidOrderAsync(Factory.As);
        await s.OpenDisputeAsync();

        await UntilScrapedAsync("a dispute opened in Hangzhou, and request durations by route",
            "mediation_disputes_opened_total{", "city=\"Hangzhou\"",
            "http_server_request_duration_seconds_bucket{", "http_route=\"/api/disputes");
    }

    [Fact]
    public async Task A_chat_message_is_one_trace_from_the_hub_call_to_the_push_to_the_counterpart()
    {
        var s = await Scenario.PaidOrderAsync(Factory.As);
        var id = (await s.OpenDisputeAsync()).DisputeId;
        await using var consumer = await PartyConnection.ConnectAsync(Factory.BaseAddress, s.ConsumerId, "consumer");
        await using var merchant = await PartyConnection.ConnectAsync(Factory.BaseAddress, s.MerchantId, "merchant");
        await consumer.Hub.InvokeAsync("JoinDispute", id, 1L);
        await merchant.Hub.InvokeAsync("JoinDispute", id, 1L);

        var seq = await consumer.Hub.InvokeAsync<long>("SendMessage", id, "Are you there?");
        var received = (await merchant.NextEventsAsync(1)).Single();
        Assert.Equal((seq, "Are you there?"), (received.Seq, received.Text));

        Activity? push = null;
        await Poll.UntilAsync(() => Task.FromResult((push = fixture.Spans.FirstOrDefault(a => a.OperationName == "mediation.push"
            && Equals(a.GetTagItem("mediation.dispute_id"), id) && Equals(a.GetTagItem("mediation.event.seq"), seq))) is not null),
            TimeSpan.FromSeconds(10), "the push of the message recorded");
        var trace = fixture.Spans.Where(a => a.TraceId == push!.TraceId).ToArray();
        string Shown() => string.Join("\n", trace.Select(a => $"{a.Source.Name} {a.DisplayName} {a.Kind}"));
        // The hub call is the root; the dispute grain's call and the push follow from it.
        var hubCall = Assert.Single(trace, a => a.Source.Name == "Microsoft.AspNetCore.SignalR.Server" && a.DisplayName.EndsWith("/SendMessage"));
        Assert.Equal(default, hubCall.ParentSpanId);
        var grainCall = Assert.Single(trace, a => a.Source.Name == "Microsoft.Orleans.Application" && a.DisplayName == "IDisputeGrain/SendMessageAsync" && a.Kind == ActivityKind.Server);
        Assert.True(push!.ParentSpanId == grainCall.SpanId, Shown());
    }

    [Fact]
    public async Task Prometheus_scrape_shows_live_connections_and_how_long_events_took_to_reach_the_group()
    {
        var s = await Scenario.PaidOrderAsync(Factory.As);
        var id = (await s.OpenDisputeAsync()).DisputeId;
        await using var merchant = await PartyConnection.ConnectAsync(Factory.BaseAddress, s.MerchantId, "merchant");
        await merchant.Hub.InvokeAsync("JoinDispute", id, 1L);
        await merchant.Hub.InvokeAsync<long>("SendMessage", id, "We will look into it today.");
        await merchant.NextEventsAsync(1);

        await UntilScrapedAsync("a merchant connected and an event delivered live",
            "mediation_connections_active{", "role=\"merchant\"", "signalr_server_active_connections{",
            "mediation_event_delivery_duration_seconds_bucket{", "path=\"live\"",
            // The merchant's first answer is its first response.
            "mediation_first_response_duration_seconds_count{");
    }

    [Fact]
    public async Task The_Orleans_dashboard_is_shown_to_ops_and_refused_to_everyone_else()
    {
        using var anonymous = Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/ops/orleans/")).StatusCode);
        foreach (var role in new[] { "consumer", "merchant", "mediator", "regulator" })
        {
            using var other = Factory.As($"{role}-1", role);
            Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/ops/orleans/")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/ops/orleans/DashboardCounters")).StatusCode);
        }

        using var ops = Factory.As("platform", "ops");
        var page = await ops.GetAsync("/ops/orleans/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("index.min.js", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync("/ops/orleans/version")).StatusCode);
        // The regulator's page keeps its address.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/dashboard.html")).StatusCode);
    }
}
