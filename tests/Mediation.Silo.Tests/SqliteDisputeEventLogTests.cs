using Mediation.Silo.EventLog;
using Mediation.Silo.Schema;
using Mediation.Silo.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Mediation.Silo.Tests;

/// <summary>
/// The shared message-history behaviour (<see cref="DisputeEventLogBehaviour"/>, in PostgresDisputeEventLogTests.cs)
/// against the embedded default, <see cref="SqliteDisputeEventLog"/> over its <see cref="SqliteWriter"/>, on a temp
/// file with the SQLite schema applied; and the writer's own promise: acknowledged only after the commit.
/// </summary>
public sealed class SqliteDisputeEventLogTests(ITestOutputHelper output) : DisputeEventLogBehaviour(output), IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mediation-eventlog-");
    private SqliteWriter? _lastWriter;

    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir.FullName, "mediation.db") }.ConnectionString;

    public Task InitializeAsync() => SchemaInstaller.ApplySqliteAsync(ConnectionString);

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try { _dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    protected override IAsyncDisposableEventLog CreateLog() => CreateLog(probe: null);

    private IAsyncDisposableEventLog CreateLog(ISqliteCommitProbe? probe)
    {
        var writer = _lastWriter = new SqliteWriter(ConnectionString, new CapturingLogger<SqliteWriter>(LogLines), probe);
        return new DisposableEventLog(new SqliteDisputeEventLog(writer), writer.DisposeAsync);
    }

    protected override async Task<IAsyncDisposable> HoldWriteLockAsync()
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        var transaction = connection.BeginTransaction(); // BEGIN IMMEDIATE: the database's write lock
        return new Releaser(() =>
        {
            transaction.Commit();
            transaction.Dispose();
            connection.Dispose();
        });
    }

    /// <summary>The writer has taken the blocker off its queue: it is in its transaction, waiting for the lock.</summary>
    protected override async Task WaitUntilWriterBlockedAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_lastWriter!.Queued > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the writer never took the first append off its queue");
            await Task.Delay(10); // poll interval
        }
    }

    [Fact]
    public async Task An_append_is_not_acknowledged_when_its_commit_fails_and_nothing_of_it_is_stored()
    {
        var failing = new FailingCommits();
        await using var log = CreateLog(failing);
        var dispute = NewId("d-uncommitted");
        var line = new DisputeSummary(dispute, "o-1", "c-1", "m-1", DisputeState.AwaitingMerchant, DisputeCategory.Quality,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, 1, null, false);

        // Every insert ran; the commit is what fails. The caller must hear a failure, never an acknowledgement.
        failing.Fail = true;
        var error = await Assert.ThrowsAsync<MediationException>(() => log.AppendAsync([EventLogTestData.FullEvent(dispute, 1)], line));
        Assert.Equal(ErrorCode.Unavailable, error.Code);
        Assert.True(failing.Calls > 0, "the probe never ran: the test proves nothing");
        Assert.Empty(await log.ReadAsync(dispute, 0, 10));
        Assert.Null(await log.ReadSummaryAsync(dispute));

        // Once commits work again the same append goes through: nothing half-written stood in its way.
        failing.Fail = false;
        await log.AppendAsync([EventLogTestData.FullEvent(dispute, 1)], line);
        EventLogTestData.AssertSameEvents([EventLogTestData.FullEvent(dispute, 1)], await log.ReadAsync(dispute, 0, 10));
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_as_busy_and_what_was_queued_still_commits()
    {
        await using var writer = new SqliteWriter(ConnectionString, new CapturingLogger<SqliteWriter>(LogLines), capacity: 4);
        var log = new SqliteDisputeEventLog(writer);
        var dispute = NewId("d-full");
        List<Task> accepted = [];
        Task refused;
        await using (await HoldWriteLockAsync())
        {
            accepted.Add(log.AppendAsync([EventLogTestData.FullEvent(dispute, 1)]));
            _lastWriter = writer;
            await WaitUntilWriterBlockedAsync();
            for (var seq = 2; seq <= 5; seq++) accepted.Add(log.AppendAsync([EventLogTestData.FullEvent(dispute, seq)]));
            refused = log.AppendAsync([EventLogTestData.FullEvent(dispute, 6)]);
            var busy = await Assert.ThrowsAsync<MediationException>(() => refused);
            Assert.Equal(ErrorCode.Busy, busy.Code);
        }
        foreach (var t in accepted) await t.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), (await log.ReadAsync(dispute, 0, 10)).Select(e => e.Seq));
    }

    private sealed class FailingCommits : ISqliteCommitProbe
    {
        public volatile bool Fail;
        public int Calls;

        public void BeforeCommit(int writes)
        {
            Interlocked.Increment(ref Calls);
            if (Fail) throw new IOException("disk pulled out between the inserts and the commit");
        }
    }

    private sealed class Releaser(Action release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            release();
            return ValueTask.CompletedTask;
        }
    }
}
