using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mediation.Grains;

/// <summary>
/// What the grains decide, counted on the <c>Mediation</c> meter of the silo that hosts them. Each figure is recorded
/// once, after the change is durable: a replay on activation records nothing.
/// </summary>
public sealed class MediationMetrics
{
    private readonly Counter<long> _opened;
    private readonly Counter<long> _settled;
    private readonly Counter<long> _escalated;
    private readonly Counter<long> _ruled;
    private readonly Histogram<double> _firstResponse;
    private readonly Counter<long> _webhookDeliveries;
    private readonly Counter<long> _webhookRetries;
    // The desks this silo hosts now, by city; a desk that moves away takes its line with it.
    private readonly ConcurrentDictionary<string, (int Waiting, int Assigned)> _desks = new();

    public MediationMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MediationTelemetry.Name);
        _opened = meter.CreateCounter<long>("mediation.disputes.opened", "{dispute}", "Disputes opened");
        _settled = meter.CreateCounter<long>("mediation.disputes.settled", "{dispute}", "Disputes settled by the parties or by accepting a mediator's proposal");
        _escalated = meter.CreateCounter<long>("mediation.disputes.escalated", "{dispute}", "Disputes escalated to mediation (by a party or by a deadline)");
        _ruled = meter.CreateCounter<long>("mediation.disputes.ruled", "{dispute}", "Disputes ruled by a mediator");
        _firstResponse = meter.CreateHistogram<double>("mediation.first_response.duration", "s", "Time from a dispute's opening to the merchant's first response",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800] });
        _webhookDeliveries = meter.CreateCounter<long>("mediation.webhook.deliveries", "{attempt}", "Webhook delivery attempts to the payment platform and partner platforms, by outcome");
        _webhookRetries = meter.CreateCounter<long>("mediation.webhook.retries", "{attempt}", "Webhook delivery attempts after the first, for the same instruction");
        meter.CreateObservableGauge("mediation.desk.queue.length", ObserveDesks, "{case}",
            "Cases at a city's mediation desk: waiting for a mediator, or assigned");
    }

    public void DisputeOpened(string city) => _opened.Add(1, new KeyValuePair<string, object?>("city", city));

    /// <summary>A dispute entered <paramref name="state"/>; counted for the outcomes ops watches.</summary>
    public void StateEntered(DisputeState state, string city, string? by)
    {
        var counter = state switch
        {
            DisputeState.Settled => _settled,
            DisputeState.Escalated => _escalated,
            DisputeState.Ruled => _ruled,
            _ => null,
        };
        counter?.Add(1, new KeyValuePair<string, object?>("city", city), new KeyValuePair<string, object?>("by", by));
    }

    public void FirstResponse(TimeSpan after, string city) =>
        _firstResponse.Record(Math.Max(0, after.TotalSeconds), new KeyValuePair<string, object?>("city", city));

    /// <summary>One delivery attempt that reached an answer (or none): <paramref name="attempt"/> counts from 1.</summary>
    public void WebhookAttempted(bool delivered, int attempt)
    {
        _webhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", delivered ? "delivered" : "failed"));
        if (attempt > 1) _webhookRetries.Add(1);
    }

    public void DeskQueue(string city, int waiting, int assigned) => _desks[city] = (waiting, assigned);

    public void DeskLeft(string city) => _desks.TryRemove(city, out _);

    private IEnumerable<Measurement<int>> ObserveDesks()
    {
        foreach (var (city, queue) in _desks)
        {
            yield return new Measurement<int>(queue.Waiting, new KeyValuePair<string, object?>("city", city), new KeyValuePair<string, object?>("status", "waiting"));
            yield return new Measurement<int>(queue.Assigned, new KeyValuePair<string, object?>("city", city), new KeyValuePair<string, object?>("status", "assigned"));
        }
    }
}
