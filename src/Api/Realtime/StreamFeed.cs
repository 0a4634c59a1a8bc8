using Microsoft.AspNetCore.SignalR;
using Orleans.Streams;

namespace Mediation.Api.Realtime;

/// <summary>
/// One Orleans stream subscription on this node, shared by the connections in one SignalR group. Everything that
/// touches the feed runs under its gate, one at a time; the last connection to leave closes it and unsubscribes.
/// </summary>
public abstract class StreamFeed<TItem>(IHubContext<NegotiationHub> hub, string groupName) : IAsyncObserver<TItem>, IConnectionFeed
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _connections = [];

    protected StreamSubscriptionHandle<TItem>? Subscription { get; set; }
    protected bool Closed { get; private set; }
    protected IHubContext<NegotiationHub> Hub => hub;
    protected IClientProxy GroupClients => hub.Clients.Group(groupName);

    /// <summary>Takes the feed out of its registry once it closed.</summary>
    protected abstract void Forget();

    /// <summary>Runs <paramref name="prepare"/> (subscribe, replay) and then adds the connection to the group; false when closed.</summary>
    protected Task<bool> AddAsync(string connectionId, Func<Task> prepare) => UnderGateAsync(async () =>
    {
        if (Closed) return false;
        await prepare();
        await hub.Groups.AddToGroupAsync(connectionId, groupName);
        _connections.Add(connectionId);
        return true;
    });

    public Task RemoveAsync(string connectionId) => UnderGateAsync(async () =>
    {
        await hub.Groups.RemoveFromGroupAsync(connectionId, groupName);
        await OnRemovedAsync(connectionId);
        if (!_connections.Remove(connectionId) || _connections.Count > 0 || Closed) return true;
        Closed = true;
        Forget();
        if (Subscription is not null) await Subscription.UnsubscribeAsync();
        return true;
    });

    /// <summary>A connection left the feed (under the gate): drop what the feed keeps for it.</summary>
    protected virtual Task OnRemovedAsync(string connectionId) => Task.CompletedTask;

    protected async Task<T> UnderGateAsync<T>(Func<Task<T>> work)
    {
        await _gate.WaitAsync();
        try
        {
            return await work();
        }
        finally
        {
            _gate.Release();
        }
    }

    public abstract Task OnNextAsync(TItem item, StreamSequenceToken? token = null);

    public Task OnCompletedAsync() => Task.CompletedTask;

    public abstract Task OnErrorAsync(Exception ex);
}
