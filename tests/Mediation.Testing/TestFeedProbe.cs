using System.Collections.Concurrent;
using Mediation.Api.Realtime;

namespace Mediation.Testing;

/// <summary>
/// The node's <see cref="IFeedProbe"/> in tests, registered by <see cref="ApiFactory"/>. Rules are per dispute, so
/// tests sharing a node never disturb each other's disputes.
/// </summary>
public sealed class TestFeedProbe : IFeedProbe
{
    private readonly ConcurrentDictionary<string, Func<DisputeEvent, bool>> _losses = new();
    private readonly ConcurrentDictionary<string, ReplayHold> _holds = new();

    /// <summary>The dispute's stream events that match are lost on their way to this node, until the result is disposed.</summary>
    public IDisposable Lose(string disputeId, Func<DisputeEvent, bool> lost)
    {
        _losses[disputeId] = lost;
        return new Restore(() => _losses.TryRemove(disputeId, out _));
    }

    /// <summary>The next replay of the dispute's history stops after its first page until the hold is released.</summary>
    public ReplayHold HoldNextReplay(string disputeId) => _holds[disputeId] = new ReplayHold();

    public bool ShouldDrop(DisputeEvent e) => _losses.TryGetValue(e.DisputeId, out var lost) && lost(e);

    public async Task HistoryPageSentAsync(string disputeId, long lastSentSeq)
    {
        if (!_holds.TryRemove(disputeId, out var hold)) return;
        hold.Reach(lastSentSeq);
        await hold.Released;
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}

/// <summary>A replay stopped mid-way: <see cref="Reached"/> when it stops (with the last seq sent), until <see cref="Release"/>.</summary>
public sealed class ReplayHold : IDisposable
{
    private readonly TaskCompletionSource<long> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> Reached => _reached.Task;
    internal Task Released => _released.Task;
    internal void Reach(long lastSentSeq) => _reached.TrySetResult(lastSentSeq);

    public void Release() => _released.TrySetResult();

    /// <summary>Releases the replay, so a failed test never leaves a feed stuck.</summary>
    public void Dispose() => Release();
}
