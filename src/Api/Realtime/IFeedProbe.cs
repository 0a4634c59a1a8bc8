namespace Mediation.Api.Realtime;

/// <summary>
/// Where tests reach into this node's dispute feeds, registered through DI: they hold a replay to overlap it with
/// live events, or lose a stream event to exercise the backfill. The service registers <see cref="NoFeedProbe"/>.
/// </summary>
public interface IFeedProbe
{
    /// <summary>Awaited after each page of history a joining client was sent, before it joins the live group.</summary>
    Task HistoryPageSentAsync(string disputeId, long lastSentSeq);

    /// <summary>True to drop a stream event before this node sees it, as if the stream had lost it.</summary>
    bool ShouldDrop(DisputeEvent e);
}

/// <summary>The service's probe: holds nothing, drops nothing.</summary>
public sealed class NoFeedProbe : IFeedProbe
{
    public Task HistoryPageSentAsync(string disputeId, long lastSentSeq) => Task.CompletedTask;

    public bool ShouldDrop(DisputeEvent e) => false;
}
