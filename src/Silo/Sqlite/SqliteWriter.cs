using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Mediation.Silo.Sqlite;

/// <summary>
/// Every write of the embedded database goes through this one writer: event appends with their summary rows, grain
/// state, reminders. It runs on its own thread, off the Orleans scheduler (Microsoft.Data.Sqlite's async API is
/// synchronous, and a busy database makes it sleep), takes whatever writes are queued, runs them in one
/// transaction with <c>synchronous=FULL</c>, and acknowledges each one only after that transaction committed.
/// One writer means no two connections ever contend for SQLite's write lock; one commit pays the fsync for the batch.
/// </summary>
/// <remarks>
/// The queue is bounded: when it is full the write is refused at once as <see cref="ErrorCode.Busy"/> before anything
/// was done, instead of letting latency grow without limit. A write whose own check fails (an ETag that does not
/// match) throws before it changes anything and fails alone; a database error rolls the batch back and the writes
/// are retried one by one, so one bad write never takes its neighbours down with it.
/// </remarks>
public sealed class SqliteWriter : IAsyncDisposable
{
    /// <summary>Readers at once: each holds a pooled connection (three file handles) and a thread-pool thread.</summary>
    public const int MaxReaders = 8;
    private readonly SemaphoreSlim _readers = new(MaxReaders, MaxReaders);

    /// <summary>
    /// Reads run on pooled connections of their own on the thread pool, beside the writer (WAL). At most
    /// <see cref="MaxReaders"/> at once: a burst of activations would otherwise open a connection each, and the pool
    /// keeps them — thousands of file handles, on a machine that allows a process 20,000.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken = default)
    {
        await _readers.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() =>
            {
                using var connection = new SqliteConnection(_connectionString);
                connection.Open();
                return read(connection);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _readers.Release();
        }
    }

    public const int DefaultCapacity = 20_000;
    private const int MaxBatch = 1024;

    private readonly string _connectionString;
    private readonly ISqliteCommitProbe? _probe;
    private readonly ILogger _logger;
    private readonly Channel<SqliteWrite> _queue;
    private readonly Task _loop;
    private bool _closed;

    public SqliteWriter(string connectionString, ILogger logger, ISqliteCommitProbe? probe = null, int capacity = DefaultCapacity)
    {
        _connectionString = connectionString;
        _logger = logger;
        _probe = probe;
        _queue = Channel.CreateBounded<SqliteWrite>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        // TaskScheduler.Default: this may be constructed inside a grain activation, whose scheduler must not run the loop.
        _loop = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Runs <paramref name="work"/> inside the writer's next transaction; completes with its result once committed.
    /// <paramref name="work"/> must do its checks before it writes, and must not block on anything but the database.
    /// </summary>
    /// <param name="what">What is written, for the error a failed write answers with ("the message history").</param>
    public Task<T> WriteAsync<T>(string what, Func<SqliteBatch, T> work)
    {
        var write = new SqliteWrite<T>(what, work);
        if (!_queue.Writer.TryWrite(write))
        {
            return Task.FromException<T>(Volatile.Read(ref _closed)
                ? new MediationException(ErrorCode.Unavailable, "the database is shutting down")
                : MediationException.Busy("the service is saturated with writes right now; retry in a moment"));
        }
        return write.Committed.Task;
    }

    /// <summary>Writes waiting for the next transaction (a gauge of the backlog).</summary>
    public int Queued => _queue.Reader.Count;

    private void WriteLoop()
    {
        SqliteBatch? batch = null;
        var writes = new List<SqliteWrite>(MaxBatch);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            writes.Clear();
            while (writes.Count < MaxBatch && _queue.Reader.TryRead(out var write)) writes.Add(write);
            try
            {
                batch ??= new SqliteBatch(OpenWriter());
                Commit(batch, writes);
                foreach (var w in writes) w.Acknowledge();
            }
            catch (Exception batchError)
            {
                batch?.Dispose();
                batch = null;
                if (writes.Count == 1)
                {
                    writes[0].Fail(batchError);
                    _logger.LogWarning(batchError, "A database write failed");
                    continue;
                }
                _logger.LogWarning(batchError, "Committing {Count} writes together failed; retrying them one by one", writes.Count);
                foreach (var w in writes) CommitAlone(w);
            }
        }
        batch?.Dispose();
    }

    private void Commit(SqliteBatch batch, List<SqliteWrite> writes)
    {
        using var transaction = batch.Connection.BeginTransaction();
        batch.Transaction = transaction;
        try
        {
            foreach (var w in writes) w.Run(batch);
            _probe?.BeforeCommit(writes.Count);
            transaction.Commit();
        }
        finally
        {
            batch.Transaction = null;
        }
    }

    private void CommitAlone(SqliteWrite write)
    {
        write.Reset();
        try
        {
            using var batch = new SqliteBatch(OpenWriter());
            Commit(batch, [write]);
            write.Acknowledge();
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "A database write failed on its own");
            write.Fail(e);
        }
    }

    private SqliteConnection OpenWriter()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // Acknowledged means on disk: fsync every commit; batching pays for it.
        pragma.CommandText = "PRAGMA synchronous = FULL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closed, true);
        _queue.Writer.TryComplete();
        await _loop; // drains what is queued
    }
}

/// <summary>A test seam: called inside the writer's transaction after every write ran and before the commit.</summary>
public interface ISqliteCommitProbe
{
    void BeforeCommit(int writes);
}

/// <summary>The writer's connection and open transaction, with its prepared commands cached by SQL text.</summary>
public sealed class SqliteBatch(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = [];

    public SqliteConnection Connection { get; } = connection;
    internal SqliteTransaction? Transaction { get; set; }

    /// <summary>A command for <paramref name="sql"/> in the current transaction, its parameters cleared.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Transaction = Transaction;
        command.Parameters.Clear();
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
        Connection.Dispose();
    }
}

internal abstract class SqliteWrite
{
    public abstract void Run(SqliteBatch batch);
    public abstract void Acknowledge();
    public abstract void Fail(Exception error);
    public abstract void Reset();
}

internal sealed class SqliteWrite<T>(string what, Func<SqliteBatch, T> work) : SqliteWrite
{
    private T? _result;
    private Exception? _refused;

    public TaskCompletionSource<T> Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Run(SqliteBatch batch)
    {
        try
        {
            _result = work(batch);
        }
        catch (Exception e) when (e is not SqliteException)
        {
            // The write's own check said no before it changed anything: it fails alone, the batch goes on.
            _refused = e;
        }
    }

    public override void Acknowledge()
    {
        if (_refused is not null) Committed.TrySetException(_refused);
        else Committed.TrySetResult(_result!);
    }

    public override void Fail(Exception error) => Committed.TrySetException(
        error as MediationException ?? new MediationException(ErrorCode.Unavailable, $"{what} could not be written: {error.Message}"));

    public override void Reset()
    {
        _result = default;
        _refused = null;
    }
}
