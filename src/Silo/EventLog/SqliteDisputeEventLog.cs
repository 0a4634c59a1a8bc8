using System.Text.Json;
using System.Threading.Channels;
using Mediation.Grains.Disputes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Mediation.Silo.EventLog;

/// <summary>
/// The embedded default's message history: one SQLite writer, off the Orleans scheduler, that commits whatever
/// appends are queued in one transaction and acknowledges each only once it is committed. Microsoft.Data.Sqlite
/// blocks and sleeps on a busy database; a single writer on its own thread keeps that away from grain threads.
/// </summary>
public sealed class SqliteDisputeEventLog : IDisputeEventLog, IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly string _connectionString;
    private readonly ILogger<SqliteDisputeEventLog> _logger;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new() { SingleReader = true });
    private readonly Task _writer;

    public SqliteDisputeEventLog(string connectionString, ILogger<SqliteDisputeEventLog> logger)
    {
        _connectionString = connectionString;
        _logger = logger;
        // TaskScheduler.Default: this may be constructed inside a grain activation, whose scheduler must not run the loop.
        _writer = Task.Factory.StartNew(WriteLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public Task AppendAsync(IReadOnlyList<DisputeEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0) return Task.CompletedTask;
        var pending = new PendingAppend(events, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            throw new MediationException(ErrorCode.Unavailable, "the message history is shutting down");
        return pending.Committed.Task;
    }

    public Task<IReadOnlyList<DisputeEvent>> ReadAsync(string disputeId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        Task.Run<IReadOnlyList<DisputeEvent>>(() =>
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT payload FROM dispute_events WHERE dispute_id = $id AND seq > $after ORDER BY seq LIMIT $limit";
            command.Parameters.AddWithValue("$id", disputeId);
            command.Parameters.AddWithValue("$after", afterSeq);
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            var events = new List<DisputeEvent>();
            while (reader.Read())
                events.Add(JsonSerializer.Deserialize<DisputeEvent>(reader.GetString(0), MediationJson.Options)!);
            return events;
        }, cancellationToken);

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private async Task WriteLoopAsync()
    {
        SqliteConnection? connection = null;
        var batch = new List<PendingAppend>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                connection ??= OpenWriter();
                Commit(connection, batch);
                foreach (var p in batch) p.Committed.TrySetResult();
            }
            catch (Exception batchError)
            {
                _logger.LogWarning(batchError, "Committing {Count} appends together failed; retrying one by one", batch.Count);
                connection?.Dispose();
                connection = null;
                foreach (var p in batch) CommitAlone(p);
            }
        }
        connection?.Dispose();
    }

    private void CommitAlone(PendingAppend pending)
    {
        try
        {
            using var connection = OpenWriter();
            Commit(connection, [pending]);
            pending.Committed.TrySetResult();
        }
        catch (Exception e)
        {
            pending.Committed.TrySetException(new MediationException(ErrorCode.Unavailable, $"the message history could not be written: {e.Message}"));
        }
    }

    private SqliteConnection OpenWriter()
    {
        var connection = Open();
        using var pragma = connection.CreateCommand();
        // Acknowledged means on disk: fsync every commit; batching pays for it.
        pragma.CommandText = "PRAGMA synchronous = FULL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private static void Commit(SqliteConnection connection, IReadOnlyList<PendingAppend> batch)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO dispute_events (dispute_id, seq, payload, created_at) VALUES ($id, $seq, $payload, $at)";
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var seq = command.Parameters.Add("$seq", SqliteType.Integer);
        var payload = command.Parameters.Add("$payload", SqliteType.Text);
        var at = command.Parameters.Add("$at", SqliteType.Text);
        foreach (var pending in batch)
        foreach (var e in pending.Events)
        {
            id.Value = e.DisputeId;
            seq.Value = e.Seq;
            payload.Value = JsonSerializer.Serialize(e, MediationJson.Options);
            at.Value = e.At.UtcDateTime.ToString("O");
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private sealed record PendingAppend(IReadOnlyList<DisputeEvent> Events, TaskCompletionSource Committed);
}
