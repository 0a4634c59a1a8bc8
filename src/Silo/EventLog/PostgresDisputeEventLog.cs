using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using Mediation.Grains.Disputes;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Mediation.Silo.EventLog;

/// <summary>
/// The production message history on PostgreSQL (table <c>dispute_events</c> of the PostgreSql schema scripts).
/// Same contract as <see cref="SqliteDisputeEventLog"/>: one background writer takes whatever appends are queued
/// and commits them together as a single multi-row INSERT (unnest of arrays, so one round trip and one commit for
/// the whole batch), acknowledging each append only once that statement has committed. If the batch fails it
/// retries the appends one by one, so a bad append (a duplicate (dispute_id, seq)) fails only itself.
/// </summary>
/// <remarks>
/// Failures surface as <see cref="MediationException"/> with <see cref="ErrorCode.Unavailable"/> (HTTP 503).
/// While the server is down appends fail within the connect timeout (5 s unless the connection string says
/// otherwise; a refused connection fails at once). Connections come from an <see cref="NpgsqlDataSource"/>; after a
/// connection-level failure its pool is cleared, so once PostgreSQL is back the next append opens fresh connections
/// instead of tripping over ones the restarted server has already closed.
/// </remarks>
public sealed class PostgresDisputeEventLog : IDisputeEventLog, IAsyncDisposable
{
    /// <summary>Appends committed together at most; one append is usually one to three events.</summary>
    private const int MaxBatchAppends = 512;

    /// <summary>Events committed together at most (bounds the size of the parameter arrays).</summary>
    private const int MaxBatchEvents = 4096;

    private const int DefaultConnectTimeoutSeconds = 5;
    private const int DefaultCommandTimeoutSeconds = 10;

    // One statement, so atomic on its own: the events and the summary lines that go with them (last_seq never moves back).
    private const string InsertSql =
        "WITH appended AS (INSERT INTO dispute_events (dispute_id, seq, payload, created_at) " +
        "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[])) " +
        "INSERT INTO dispute_summaries (dispute_id, merchant_id, consumer_id, last_seq, payload) " +
        "SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[]) " +
        "ON CONFLICT (dispute_id) DO UPDATE SET last_seq = EXCLUDED.last_seq, payload = EXCLUDED.payload " +
        "WHERE EXCLUDED.last_seq >= dispute_summaries.last_seq";

    private const string SummariesSql = "SELECT payload FROM dispute_summaries WHERE ";

    private const string AlreadyStoredSql =
        "SELECT count(*) FROM dispute_events d JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS x(dispute_id, seq, payload) " +
        "ON d.dispute_id = x.dispute_id AND d.seq = x.seq AND d.payload = x.payload";

    private const string ReadSql =
        "SELECT payload FROM dispute_events WHERE dispute_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresDisputeEventLog> _logger;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new() { SingleReader = true });
    private readonly Task _writer;
    private int _disposed;

    public PostgresDisputeEventLog(string connectionString, ILogger<PostgresDisputeEventLog> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _logger = logger;
        _dataSource = NpgsqlDataSource.Create(WithDefaultTimeouts(connectionString));
        // TaskScheduler.Default: this may be constructed inside a grain activation, whose scheduler must not run the loop.
        _writer = Task.Factory.StartNew(WriteLoopAsync, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Queues the events and completes once they are committed. The token is only honoured before the events are
    /// queued: an append that has been handed to the writer is committed (or fails) as a whole.
    /// </summary>
    public Task AppendAsync(IReadOnlyList<DisputeEvent> events, DisputeSummary? summary = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return Task.CompletedTask;
        return Enqueue(events, summary, cancellationToken);
    }

    public Task SaveSummaryAsync(DisputeSummary summary, CancellationToken cancellationToken = default) =>
        Enqueue([], summary, cancellationToken);

    private Task Enqueue(IReadOnlyList<DisputeEvent> events, DisputeSummary? summary, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        var pending = new PendingAppend(events, summary is null ? null : SummaryRow.Of(summary), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            return Task.FromException(new MediationException(ErrorCode.Unavailable, "the message history is shutting down"));
        return pending.Committed.Task;
    }

    public async Task<DisputeSummary?> ReadSummaryAsync(string disputeId, CancellationToken cancellationToken = default) =>
        (await QueryAsync(SummariesSql + "dispute_id = $1", [disputeId], r => JsonSerializer.Deserialize<DisputeSummary>(r.GetString(0), MediationJson.Options)!, cancellationToken)).FirstOrDefault();

    public Task<IReadOnlyList<DisputeSummary>> ReadSummariesAsync(Role party, string partyId, CancellationToken cancellationToken = default) =>
        QueryAsync(SummariesSql + (party == Role.Merchant ? "merchant_id = $1" : "consumer_id = $1"), [partyId],
            r => JsonSerializer.Deserialize<DisputeSummary>(r.GetString(0), MediationJson.Options)!, cancellationToken);

    public async Task<IReadOnlyList<DisputeSummary>> ReadSummariesOpenedAsync(string? city, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        SummaryRow.OpenedIn(await QueryAsync("SELECT payload FROM dispute_summaries", [],
            r => JsonSerializer.Deserialize<DisputeSummary>(r.GetString(0), MediationJson.Options)!, cancellationToken), city, from, to);

    public async Task<IReadOnlyDictionary<string, long>> LatestSeqsAsync(IReadOnlyCollection<string> disputeIds, CancellationToken cancellationToken = default)
    {
        if (disputeIds.Count == 0) return new Dictionary<string, long>();
        var rows = await QueryAsync("SELECT dispute_id, last_seq FROM dispute_summaries WHERE dispute_id = ANY($1)", [disputeIds.ToArray()],
            r => (Id: r.GetString(0), Seq: r.GetInt64(1)), cancellationToken);
        return rows.ToDictionary(r => r.Id, r => r.Seq);
    }

    public Task<IReadOnlyList<DisputeEvent>> ReadAsync(string disputeId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(disputeId);
        if (limit <= 0) return Task.FromResult<IReadOnlyList<DisputeEvent>>([]);
        return QueryAsync(ReadSql, [disputeId, afterSeq, (long)limit],
            r => JsonSerializer.Deserialize<DisputeEvent>(r.GetString(0), MediationJson.Options)!, cancellationToken);
    }

    /// <summary>
    /// Every read: a server that cannot be reached fails at once; a pooled connection the server closed (a restart)
    /// is dropped with the pool and the read tried once more on a new one.
    /// </summary>
    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object[] parameters, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection connection;
            try
            {
                connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!IsCallerCancellation(e, cancellationToken))
            {
                throw ReadFailed(e); // the server cannot be reached: no point trying again right now
            }

            await using (connection.ConfigureAwait(false))
            {
                try
                {
                    await using var command = new NpgsqlCommand(sql, connection);
                    foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    var rows = new List<T>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(row(reader));
                    return rows;
                }
                catch (Exception e) when (!IsCallerCancellation(e, cancellationToken) && IsConnectionLevel(e) && attempt == 1)
                {
                    _logger.LogWarning(e, "Reading the message history failed on a pooled connection; retrying on a new one");
                    _dataSource.Clear();
                }
                catch (Exception e) when (!IsCallerCancellation(e, cancellationToken))
                {
                    if (IsConnectionLevel(e)) _dataSource.Clear();
                    throw ReadFailed(e);
                }
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingAppend>(MaxBatchAppends);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var eventCount = 0;
            while (batch.Count < MaxBatchAppends && eventCount < MaxBatchEvents && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                eventCount += item.Events.Count;
            }

            try
            {
                await CommitBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Not expected (CommitBatchAsync reports failures per append); never let the writer die.
                _logger.LogError(e, "The message history writer failed unexpectedly");
                foreach (var pending in batch) Fail(pending, e);
            }
        }
    }

    private async Task CommitBatchAsync(List<PendingAppend> batch)
    {
        var (error, openFailed) = await TryInsertAsync(batch).ConfigureAwait(false);
        if (error is null)
        {
            foreach (var pending in batch) pending.Committed.TrySetResult();
            return;
        }

        var connectionLevel = IsConnectionLevel(error);
        if (connectionLevel) _dataSource.Clear(); // no poisoned pool: whatever comes next opens fresh connections

        // Could not even connect (server down or unreachable): a retry now would only wait again. Fail them all.
        // A single append refused by the server (e.g. a duplicate key) has nothing to retry either.
        if (openFailed || (batch.Count == 1 && !connectionLevel))
        {
            _logger.LogWarning(error, "Writing {Count} appends to the message history failed", batch.Count);
            foreach (var pending in batch) Fail(pending, error);
            return;
        }

        // A server error (PostgresException) means the statement did not commit; anything else (the connection broke,
        // a timeout) leaves the outcome unknown, so a retry that meets its own rows counts them as committed.
        var maybeCommitted = error is not PostgresException;
        if (batch.Count == 1)
            _logger.LogWarning(error, "Writing an append to the message history failed on its connection; retrying once on a new one");
        else
            _logger.LogWarning(error, "Writing {Count} appends to the message history together failed; retrying one by one", batch.Count);

        Exception? outage = null;
        foreach (var pending in batch)
        {
            if (outage is not null)
            {
                Fail(pending, outage);
                continue;
            }

            var (alone, _) = await TryInsertAsync([pending]).ConfigureAwait(false);
            if (alone is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && maybeCommitted
                && await AlreadyStoredAsync(pending).ConfigureAwait(false))
            {
                alone = null;
            }

            if (alone is null)
            {
                pending.Committed.TrySetResult();
                continue;
            }

            _logger.LogWarning(alone, "Appending {Count} events of dispute {DisputeId} to the message history failed",
                pending.Events.Count, pending.Events.Count > 0 ? pending.Events[0].DisputeId : pending.Summary?.DisputeId);
            Fail(pending, alone);
            if (IsConnectionLevel(alone))
            {
                // A connection-level failure on a freshly cleared pool: the server is gone. Fail the rest at once
                // rather than wait out a timeout for each.
                _dataSource.Clear();
                outage = alone;
            }
        }
    }

    /// <summary>Inserts the events of all appends in one statement (atomic on its own). Returns the error, if any.</summary>
    private async Task<(Exception? Error, bool OpenFailed)> TryInsertAsync(IReadOnlyList<PendingAppend> appends)
    {
        var count = 0;
        foreach (var pending in appends) count += pending.Events.Count;
        var ids = new string[count];
        var seqs = new long[count];
        var payloads = new string[count];
        var ats = new DateTime[count];
        var i = 0;
        try
        {
            foreach (var pending in appends)
            foreach (var e in pending.Events)
            {
                ids[i] = e.DisputeId;
                seqs[i] = e.Seq;
                payloads[i] = JsonSerializer.Serialize(e, MediationJson.Options);
                ats[i] = e.At.UtcDateTime;
                i++;
            }
        }
        catch (Exception e)
        {
            return (e, false);
        }

        // One line per dispute (ON CONFLICT may touch a row once per statement): the latest one queued wins.
        var lines = new Dictionary<string, SummaryRow>();
        foreach (var pending in appends)
            if (pending.Summary is { } line && (!lines.TryGetValue(line.DisputeId, out var earlier) || earlier.LastSeq <= line.LastSeq))
                lines[line.DisputeId] = line;
        var summaries = lines.Values.ToArray();

        NpgsqlConnection connection;
        try
        {
            connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return (e, true);
        }

        try
        {
            await using (connection.ConfigureAwait(false))
            {
                await using var command = new NpgsqlCommand(InsertSql, connection);
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = ats, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = summaries.Select(l => l.DisputeId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = summaries.Select(l => l.MerchantId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = summaries.Select(l => l.ConsumerId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = summaries.Select(l => l.LastSeq).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = summaries.Select(l => l.Payload).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            return (null, false);
        }
        catch (Exception e)
        {
            return (e, false);
        }
    }

    /// <summary>After an ambiguous failure: are all of this append's events stored exactly as sent?</summary>
    private async Task<bool> AlreadyStoredAsync(PendingAppend pending)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using var command = new NpgsqlCommand(AlreadyStoredSql, connection);
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = pending.Events.Select(e => e.DisputeId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = pending.Events.Select(e => e.Seq).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = pending.Events.Select(e => JsonSerializer.Serialize(e, MediationJson.Options)).ToArray() });
            var matching = Convert.ToInt64(await command.ExecuteScalarAsync().ConfigureAwait(false));
            return matching == pending.Events.Count;
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Checking whether an append of dispute {DisputeId} was already committed failed", pending.Events.Count > 0 ? pending.Events[0].DisputeId : pending.Summary?.DisputeId);
            return false;
        }
    }

    private static void Fail(PendingAppend pending, Exception error) =>
        pending.Committed.TrySetException(error as MediationException
            ?? new MediationException(ErrorCode.Unavailable, $"the message history could not be written: {error.Message}"));

    private static MediationException ReadFailed(Exception error) =>
        new(ErrorCode.Unavailable, $"the message history could not be read: {error.Message}");

    private static bool IsCallerCancellation(Exception e, CancellationToken cancellationToken) =>
        e is OperationCanceledException && cancellationToken.IsCancellationRequested;

    /// <summary>
    /// True unless the server answered with an error about the statement itself (constraint, data, syntax):
    /// a broken or refused connection, a timeout, or the server shutting down / out of resources.
    /// </summary>
    private static bool IsConnectionLevel(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)  // connection exception
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal)                    // insufficient resources
            || pg.SqlState.StartsWith("57", StringComparison.Ordinal)                    // operator intervention (shutdown)
            || pg.SqlState.StartsWith("58", StringComparison.Ordinal),                   // system error
        JsonException or NotSupportedException or ArgumentException => false,
        _ => true,
    };

    /// <summary>Fails fast while the server is down unless the caller chose its own timeouts.</summary>
    private static string WithDefaultTimeouts(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Has(string key) => given.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", ""), key, StringComparison.OrdinalIgnoreCase));

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Has("Timeout")) builder.Timeout = DefaultConnectTimeoutSeconds;
        if (!Has("CommandTimeout")) builder.CommandTimeout = DefaultCommandTimeoutSeconds;
        if (!Has("ApplicationName")) builder.ApplicationName = "mediation-event-log";
        return builder.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false); // drains what is queued
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record PendingAppend(IReadOnlyList<DisputeEvent> Events, SummaryRow? Summary, TaskCompletionSource Committed);
}
