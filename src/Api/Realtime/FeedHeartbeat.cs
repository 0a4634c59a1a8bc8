using Microsoft.Extensions.Options;

namespace Mediation.Api.Realtime;

/// <summary>The edge's real-time settings (section <c>Mediation</c>).</summary>
public sealed class FeedOptions
{
    public const string Section = "Mediation";

    /// <summary>How often each followed dispute's group hears its latest seq (and a lost last event is backfilled).</summary>
    public TimeSpan HeartbeatPeriod { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Runs the feeds' heartbeat: backfills what a stream lost and tells clients each dispute's latest seq.</summary>
public sealed class FeedHeartbeat(DisputeFeeds feeds, IOptions<FeedOptions> options, ILogger<FeedHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // One failed beat (the cluster still starting, a busy silo) must not end the heartbeat: it is what
                // recovers everything else.
                try { await feeds.HeartbeatAsync(stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "Feed heartbeat failed; trying again next period"); }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }
}
