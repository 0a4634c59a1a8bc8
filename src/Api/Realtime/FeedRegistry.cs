using System.Collections.Concurrent;

namespace Mediation.Api.Realtime;

/// <summary>A feed connections follow; it closes itself (and is forgotten) when its last connection leaves.</summary>
public interface IConnectionFeed
{
    Task RemoveAsync(string connectionId);
}

/// <summary>This node's feeds by key, and which keys each connection follows, for clean-up on disconnect.</summary>
public sealed class FeedRegistry<TFeed> where TFeed : class, IConnectionFeed
{
    private readonly ConcurrentDictionary<string, TFeed> _feeds = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _followedBy = new();

    public ICollection<TFeed> Feeds => _feeds.Values;

    /// <param name="add">Adds the connection to the feed; false when the feed closed meanwhile, so a fresh one takes its place.</param>
    public async Task FollowAsync(string key, string connectionId, Func<string, TFeed> create, Func<TFeed, Task<bool>> add)
    {
        while (true)
        {
            var feed = _feeds.GetOrAdd(key, create);
            if (await add(feed))
            {
                _followedBy.GetOrAdd(connectionId, _ => new()).TryAdd(key, 0);
                return;
            }
            Forget(key, feed);
        }
    }

    public async Task UnfollowAsync(string key, string connectionId)
    {
        if (_followedBy.TryGetValue(connectionId, out var followed)) followed.TryRemove(key, out _);
        if (_feeds.TryGetValue(key, out var feed)) await feed.RemoveAsync(connectionId);
    }

    public async Task DisconnectedAsync(string connectionId)
    {
        if (!_followedBy.TryRemove(connectionId, out var followed)) return;
        foreach (var key in followed.Keys)
            if (_feeds.TryGetValue(key, out var feed)) await feed.RemoveAsync(connectionId);
    }

    /// <summary>Called by a feed that closed, so the next follower gets a fresh one.</summary>
    public void Forget(string key, TFeed feed) => _feeds.TryRemove(new KeyValuePair<string, TFeed>(key, feed));
}
