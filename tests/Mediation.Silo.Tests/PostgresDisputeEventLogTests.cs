using System.Collections.Concurrent;
using System.Diagnostics;
using Mediation.Grains.Disputes;
using Mediation.Silo.EventLog;
using Mediation.Silo.Schema;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Mediation.Silo.Tests;

// Behaviour of the message history writers (IDisputeEventLog). The shared behaviour lives in
// DisputeEventLogBehaviour and runs against both logs: PostgreSQL here (a throwaway server from the
// PostgresServer of SchemaContractTests.cs, one per test class), SQLite in SqliteDisputeEventLogTests.cs.

// ---------------------------------------------------------------------------------------------
// Shared behaviour (both logs).
// ---------------------------------------------------------------------------------------------

public abstract class DisputeEventLogBehaviour(ITestOutputHelper output)
{
    protected ITestOutputHelper Output { get; } = output;

    /// <summary>Warnings and errors the log under test wrote.</summary>
    protected ConcurrentQueue<string> LogLines { get; } = new();

    /// <summary>A new log on the test database; its logger writes to <see cref="LogLines"/>.</summary>
    protected abstract IAsyncDisposableEventLog CreateLog();

    /// <summary>Holds the database's write lock until disposed, so the log's writer blocks at its next commit.</summary>
    protected abstract Task<IAsyncDisposable> HoldWriteLockAsync();

    /// <summary>Completes once the writer is blocked on the lock taken by <see cref="HoldWriteLockAsync"/>.</summary>
    protected abstract Task WaitUntilWriterBlockedAsync();

    protected static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Appended_events_come_back_in_order_once_with_every_field_intact_across_disputes()
    {
        await using var log = CreateLog();
        var disputes = new[] { NewId("d-a"), NewId("d-b"), NewId("d-c") };
        var expected = disputes.ToDictionary(d => d, _ => new List<DisputeEvent>());

        // Appends of one to three events, interleaved across the disputes.
        var nextSeq = disputes.ToDictionary(d => d, _ => 1L);
        for (var round = 0; round < 4; round++)
        {
            foreach (var dispute in disputes)
            {
                var size = 1 + (round + Array.IndexOf(disputes, dispute)) % 3;
                var events = Enumerable.Range(0, size).Select(_ => EventLogTestData.FullEvent(dispute, nextSeq[dispute]++)).ToList();
                await log.AppendAsync(events);
                expected[dispute].AddRange(events);
            }
        }

        foreach (var dispute in disputes)
        {
            var all = await log.ReadAsync(dispute, 0, 1000);
            EventLogTestData.AssertSameEvents(expected[dispute], all);

            // afterSeq and limit.
            EventLogTestData.AssertSameEvents(expected[dispute].Skip(2).Take(3).ToList(), await log.ReadAsync(dispute, 2, 3));
            EventLogTestData.AssertSameEvents(expected[dispute].Skip(1).ToList(), await log.ReadAsync(dispute, 1, 1000));
            EventLogTestData.AssertSameEvents(expected[dispute].Take(1).ToList(), await log.ReadAsync(dispute, 0, 1));
            Assert.Empty(await log.ReadAsync(dispute, expected[dispute][^1].Seq, 1000));
        }

        Assert.Empty(await log.ReadAsync(NewId("d-none"), 0, 1000));
    }

    [Fact]
    public async Task Two_hundred_concurrent_appends_for_fifty_disputes_all_commit_and_are_readable()
    {
        await using var log = CreateLog();
        const int Disputes = 50, AppendsPerDispute = 4, EventsPerAppend = 2;
        var run = Guid.NewGuid().ToString("N")[..8];
        var appends = (
            from d in Enumerable.Range(0, Disputes)
            from a in Enumerable.Range(0, AppendsPerDispute)
            select Enumerable.Range(0, EventsPerAppend)
                .Select(e => EventLogTestData.FullEvent($"d-conc-{run}-{d}", a * EventsPerAppend + e + 1))
                .ToList()).ToList();
        Assert.Equal(200, appends.Count);

        // Every append from its own thread-pool work item, all at once (like 200 grains).
        using var start = new ManualResetEventSlim(false);
        var sw = Stopwatch.StartNew();
        var tasks = appends.Select(events => Task.Run(async () =>
        {
            start.Wait();
            await log.AppendAsync(events);
        })).ToList();
        start.Set();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Output.WriteLine($"{appends.Count} concurrent appends ({appends.Sum(a => a.Count)} events) committed in {sw.ElapsedMilliseconds} ms");

        for (var d = 0; d < Disputes; d++)
        {
            var expected = appends.Skip(d * AppendsPerDispute).Take(AppendsPerDispute).SelectMany(a => a).ToList();
            EventLogTestData.AssertSameEvents(expected, await log.ReadAsync($"d-conc-{run}-{d}", 0, 1000));
        }
    }

    [Fact]
    public async Task A_duplicate_append_fails_alone_while_the_rest_of_its_batch_commits()
    {
        await using var log = CreateLog();
        var taken = NewId("d-taken");
        var original = EventLogTestData.FullEvent(taken, 1) with { AuthorId = "first-author" };
        await log.AppendAsync([original]);

        Task blocker, duplicate, pairFirst, pairSecond;
        List<(string Dispute, List<DisputeEvent> Events, Task Task)> good = [];
        var pair = NewId("d-pair");
        var pairFirstEvent = EventLogTestData.FullEvent(pair, 1) with { AuthorId = "pair-first" };
        var pairSecondEvent = EventLogTestData.FullEvent(pair, 1) with { AuthorId = "pair-second" };

        await using (await HoldWriteLockAsync())
        {
            // The writer takes the first append and waits for the lock; everything queued meanwhile is one batch.
            var blockerEvent = EventLogTestData.FullEvent(NewId("d-blocker"), 1);
            blocker = log.AppendAsync([blockerEvent]);
            await WaitUntilWriterBlockedAsync();

            for (var i = 0; i < 10; i++)
            {
                var dispute = NewId($"d-good-{i}");
                var events = new List<DisputeEvent> { EventLogTestData.FullEvent(dispute, 1), EventLogTestData.FullEvent(dispute, 2) };
                good.Add((dispute, events, log.AppendAsync(events)));
            }

            // (taken, 1) is already stored; the pair collides inside the batch itself.
            duplicate = log.AppendAsync([original with { AuthorId = "second-author", Text = "overwrite?" }, EventLogTestData.FullEvent(taken, 2)]);
            pairFirst = log.AppendAsync([pairFirstEvent]);
            pairSecond = log.AppendAsync([pairSecondEvent]);

            for (var i = 10; i < 20; i++)
            {
                var dispute = NewId($"d-good-{i}");
                var events = new List<DisputeEvent> { EventLogTestData.FullEvent(dispute, 1) };
                good.Add((dispute, events, log.AppendAsync(events)));
            }

            Assert.False(blocker.IsCompleted);
        }

        await blocker.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var (_, _, task) in good) await task.WaitAsync(TimeSpan.FromSeconds(30));
        await pairFirst.WaitAsync(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<MediationException>(() => duplicate.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ErrorCode.Unavailable, error.Code);
        Assert.StartsWith("the message history could not be written", error.Message);
        Output.WriteLine("duplicate: " + error.Message);
        var pairError = await Assert.ThrowsAsync<MediationException>(() => pairSecond.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ErrorCode.Unavailable, pairError.Code);

        // The 23 appends went to the database as one batch, which failed and was retried one by one.
        foreach (var line in LogLines) Output.WriteLine(line);
        Assert.Contains(LogLines, l => l.Contains("23 ", StringComparison.Ordinal) && l.Contains("one by one", StringComparison.Ordinal));

        foreach (var (dispute, events, _) in good)
            EventLogTestData.AssertSameEvents(events, await log.ReadAsync(dispute, 0, 1000));
        EventLogTestData.AssertSameEvents([original], await log.ReadAsync(taken, 0, 1000)); // all or none: seq 2 is not there either
        EventLogTestData.AssertSameEvents([pairFirstEvent], await log.ReadAsync(pair, 0, 1000));
    }

    [Fact]
    public async Task A_party_list_line_is_committed_with_its_events_and_never_moves_backwards()
    {
        await using var log = CreateLog();
        var dispute = NewId("d-line");
        var merchant = NewId("m");
        var consumer = NewId("c");
        DisputeSummary Line(long seq, long merchantRead = 0) =>
            new(dispute, "o-1", consumer, merchant, DisputeState.Negotiating, DisputeCategory.Quality,
                new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero).AddMinutes(seq),
                null, null, seq, null, false) { MerchantReadSeq = merchantRead, ConsumerReadSeq = seq, LastEventType = "Message" };

        await log.AppendAsync([EventLogTestData.FullEvent(dispute, 1), EventLogTestData.FullEvent(dispute, 2)], Line(2));
        await log.AppendAsync([EventLogTestData.FullEvent(dispute, 3)], Line(3));
        Assert.Equal(Line(3), await log.ReadSummaryAsync(dispute));

        // A line from an older seq (a late writer) does not overwrite a newer one; a read mark at the same seq does.
        await log.SaveSummaryAsync(Line(2, merchantRead: 2));
        Assert.Equal(Line(3), await log.ReadSummaryAsync(dispute));
        await log.SaveSummaryAsync(Line(3, merchantRead: 3));
        Assert.Equal(Line(3, merchantRead: 3), await log.ReadSummaryAsync(dispute));

        Assert.Equal([Line(3, merchantRead: 3)], await log.ReadSummariesAsync(Role.Merchant, merchant));
        Assert.Equal([Line(3, merchantRead: 3)], await log.ReadSummariesAsync(Role.Consumer, consumer));
        Assert.Empty(await log.ReadSummariesAsync(Role.Merchant, consumer));
        Assert.Null(await log.ReadSummaryAsync(NewId("d-none")));

        var latest = await log.LatestSeqsAsync([dispute, NewId("d-none")]);
        Assert.Equal(new Dictionary<string, long> { [dispute] = 3 }, latest);
    }

    [Fact]
    public async Task Lines_opened_in_a_period_come_back_by_city_with_the_end_of_the_period_excluded()
    {
        await using var log = CreateLog();
        // Cities of this test only: the database is shared with the other tests of the class.
        var east = NewId("East");
        var west = NewId("West");
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        DisputeSummary Line(string city, DateTimeOffset openedAt) =>
            new(NewId("d-period"), "o-1", "c-1", "m-1", DisputeState.Negotiating, DisputeCategory.Quality,
                openedAt, openedAt, null, null, 1, null, false) { City = city, MerchantMissedFirstResponse = true, Responsibility = Responsibility.Shared };

        var before = Line(east, start.AddTicks(-1));
        var first = Line(east, start);
        // The same instant written with another offset: periods compare instants, not local clock readings.
        var shanghai = Line(east, new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.FromHours(8)));
        var last = Line(east, start.AddDays(7).AddTicks(-1));
        var after = Line(east, start.AddDays(7));
        var elsewhere = Line(west, start.AddDays(1));
        foreach (var line in new[] { before, first, shanghai, last, after, elsewhere })
            await log.AppendAsync([EventLogTestData.FullEvent(line.DisputeId, 1)], line);

        var inEast = await log.ReadSummariesOpenedAsync(east, start, start.AddDays(7));
        Assert.Equal(new[] { first, shanghai, last }.OrderBy(l => l.DisputeId), inEast.OrderBy(l => l.DisputeId));
        var everywhere = await log.ReadSummariesOpenedAsync(null, start, start.AddDays(7));
        Assert.Superset(new[] { first.DisputeId, shanghai.DisputeId, last.DisputeId, elsewhere.DisputeId }.ToHashSet(), everywhere.Select(l => l.DisputeId).ToHashSet());
        Assert.DoesNotContain(everywhere, l => l.DisputeId == before.DisputeId || l.DisputeId == after.DisputeId);
        Assert.Empty(await log.ReadSummariesOpenedAsync(NewId("Nowhere"), start, start.AddDays(7)));
    }

    [Fact]
    public async Task A_refused_append_leaves_its_summary_line_unchanged()
    {
        await using var log = CreateLog();
        var dispute = NewId("d-refused-line");
        var line = new DisputeSummary(dispute, "o-1", "c-1", "m-1", DisputeState.AwaitingMerchant, DisputeCategory.Quality,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, 1, null, false);
        await log.AppendAsync([EventLogTestData.FullEvent(dispute, 1)], line);
        // seq 1 again: the append is refused as a whole, and the line that came with it is not stored either.
        await Assert.ThrowsAsync<MediationException>(() => log.AppendAsync([EventLogTestData.FullEvent(dispute, 1)], line with { LastSeq = 5 }));
        Assert.Equal(line, await log.ReadSummaryAsync(dispute));
    }

    [Fact]
    public async Task Dispose_commits_what_is_queued_and_later_appends_are_refused()
    {
        var dispute = NewId("d-drain");
        var events = Enumerable.Range(1, 100).Select(seq => EventLogTestData.FullEvent(dispute, seq)).ToList();
        var log = CreateLog();
        var tasks = events.Select(e => log.AppendAsync([e])).ToList();
        await log.DisposeAsync();
        Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully));

        var refused = await Assert.ThrowsAsync<MediationException>(() => log.AppendAsync([EventLogTestData.FullEvent(dispute, 101)]));
        Assert.Equal(ErrorCode.Unavailable, refused.Code);

        await using var reopened = CreateLog();
        EventLogTestData.AssertSameEvents(events, await reopened.ReadAsync(dispute, 0, 1000));
    }
}

/// <summary>Both logs are IDisputeEventLog and IAsyncDisposable; this lets the shared tests hold either.</summary>
public interface IAsyncDisposableEventLog : IDisputeEventLog, IAsyncDisposable;

internal sealed class DisposableEventLog(IDisputeEventLog log, Func<ValueTask> dispose) : IAsyncDisposableEventLog
{
    public Task AppendAsync(IReadOnlyList<DisputeEvent> events, DisputeSummary? summary = null, CancellationToken cancellationToken = default) =>
        log.AppendAsync(events, summary, cancellationToken);

    public Task<IReadOnlyList<DisputeEvent>> ReadAsync(string disputeId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        log.ReadAsync(disputeId, afterSeq, limit, cancellationToken);

    public Task SaveSummaryAsync(DisputeSummary summary, CancellationToken cancellationToken = default) => log.SaveSummaryAsync(summary, cancellationToken);

    public Task<DisputeSummary?> ReadSummaryAsync(string disputeId, CancellationToken cancellationToken = default) => log.ReadSummaryAsync(disputeId, cancellationToken);

    public Task<IReadOnlyList<DisputeSummary>> ReadSummariesAsync(Role party, string partyId, CancellationToken cancellationToken = default) =>
        log.ReadSummariesAsync(party, partyId, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> LatestSeqsAsync(IReadOnlyCollection<string> disputeIds, CancellationToken cancellationToken = default) =>
        log.LatestSeqsAsync(disputeIds, cancellationToken);

    public Task<IReadOnlyList<DisputeSummary>> ReadSummariesOpenedAsync(string? city, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        log.ReadSummariesOpenedAsync(city, from, to, cancellationToken);

    public ValueTask DisposeAsync() => dispose();
}

internal static class EventLogTestData
{
    private static readonly DisputeEventType[] Types = Enum.GetValues<DisputeEventType>();
    private static readonly Remedy[] Remedies = Enum.GetValues<Remedy>();
    private static readonly DisputeState[] States = Enum.GetValues<DisputeState>();
    private static readonly DisputeCategory[] Categories = Enum.GetValues<DisputeCategory>();

    /// <summary>An event with every field set, varied by seq (offsets, sub-millisecond ticks, non-ASCII text).</summary>
    public static DisputeEvent FullEvent(string disputeId, long seq) =>
        new(disputeId, seq, Types[seq % Types.Length], $"author-{seq % 7}",
            new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.FromHours(seq % 3 == 0 ? 8 : seq % 3 == 1 ? 0 : -5)).AddTicks(seq * 1_234_567))
        {
            Text = $"message {seq}: «chá» 龙井 \"quoted\" \\ back\nslash, emoji 🍵",
            Remedy = Remedies[seq % Remedies.Length],
            Amount = 60.25m + seq / 100m,
            State = States[seq % States.Length],
            OfferSeq = seq - 1,
            Reason = seq % 2 == 0 ? "merchant did not answer within 24h" : null,
            Category = Categories[seq % Categories.Length],
            OrderId = $"o-{seq % 5}",
            AuthorRole = seq % 2 == 0 ? "merchant" : "consumer",
        };

    public static void AssertSameEvents(IReadOnlyList<DisputeEvent> expected, IReadOnlyList<DisputeEvent> actual)
    {
        Assert.Equal(expected, actual); // record equality: every field
        for (var i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i].At.Offset, actual[i].At.Offset); // DateTimeOffset equality ignores the offset
    }
}

internal sealed class CapturingLogger<T>(ConcurrentQueue<string> lines) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
            lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL.
// ---------------------------------------------------------------------------------------------

public sealed class PostgresDisputeEventLogTests(PostgresServer server, ITestOutputHelper output)
    : DisputeEventLogBehaviour(output), IClassFixture<PostgresServer>, IAsyncLifetime
{
    public Task InitializeAsync() => SchemaInstaller.ApplyPostgreSqlAsync(UnpooledConnectionString); // idempotent and quick

    public Task DisposeAsync() => Task.CompletedTask;

    protected override IAsyncDisposableEventLog CreateLog()
    {
        var log = NewLog();
        return new DisposableEventLog(log, log.DisposeAsync);
    }

    private PostgresDisputeEventLog NewLog() =>
        new(server.ConnectionString, new CapturingLogger<PostgresDisputeEventLog>(LogLines));

    protected override async Task<IAsyncDisposable> HoldWriteLockAsync()
    {
        var connection = new NpgsqlConnection(UnpooledConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE dispute_events IN EXCLUSIVE MODE", connection, transaction))
            await command.ExecuteNonQueryAsync();
        return new Releaser(async () =>
        {
            await transaction.CommitAsync();
            await connection.DisposeAsync();
        });
    }

    protected override Task WaitUntilWriterBlockedAsync() =>
        SchemaTestSupport.WaitUntil(
            async () => await Scalar<long>("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'dispute_events'::regclass") > 0,
            TimeSpan.FromSeconds(10), "the writer waits for the table lock");

    [Fact]
    public async Task Appends_fail_fast_while_PostgreSQL_is_down_and_recover_once_it_is_back()
    {
        var control = server;
        // Connect and command timeouts this log would wait out if it did not fail on the refused connection;
        // "fast" is well under them, which leaves a loaded machine room.
        var waitedOut = TimeSpan.FromSeconds(30);
        var failsFast = waitedOut / 3;
        var withLongTimeouts = new NpgsqlConnectionStringBuilder(server.ConnectionString)
        {
            Timeout = (int)waitedOut.TotalSeconds,
            CommandTimeout = (int)waitedOut.TotalSeconds,
        };
        await using var log = new PostgresDisputeEventLog(withLongTimeouts.ConnectionString, new CapturingLogger<PostgresDisputeEventLog>(LogLines));
        var dispute = NewId("d-outage");
        var first = EventLogTestData.FullEvent(dispute, 1);
        await log.AppendAsync([first]);
        Assert.Single(await log.ReadAsync(dispute, 0, 100)); // the pool now holds live connections

        var lost = new List<DisputeEvent> { EventLogTestData.FullEvent(dispute, 2), EventLogTestData.FullEvent(dispute, 3) };
        await control.StopAsync();
        try
        {
            var sw = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<MediationException>(() => log.AppendAsync(lost).WaitAsync(waitedOut + TimeSpan.FromSeconds(10)));
            Output.WriteLine($"append while down failed after {sw.ElapsedMilliseconds} ms: {error.Message}");
            Assert.Equal(ErrorCode.Unavailable, error.Code);
            Assert.StartsWith("the message history could not be written", error.Message);
            Assert.True(sw.Elapsed < failsFast, $"took {sw.Elapsed}, not well under the {waitedOut} timeouts");

            // Many at once while down: all fail, none hangs.
            sw.Restart();
            var many = Enumerable.Range(0, 20).Select(i => log.AppendAsync([EventLogTestData.FullEvent(NewId("d-down"), 1)])).ToList();
            foreach (var task in many)
                Assert.Equal(ErrorCode.Unavailable, (await Assert.ThrowsAsync<MediationException>(() => task.WaitAsync(waitedOut + TimeSpan.FromSeconds(10)))).Code);
            Output.WriteLine($"20 appends while down all failed after {sw.ElapsedMilliseconds} ms");
            Assert.True(sw.Elapsed < failsFast, $"took {sw.Elapsed}, not well under the {waitedOut} timeouts");

            sw.Restart();
            var readError = await Assert.ThrowsAsync<MediationException>(() => log.ReadAsync(dispute, 0, 100).WaitAsync(waitedOut + TimeSpan.FromSeconds(10)));
            Output.WriteLine($"read while down failed after {sw.ElapsedMilliseconds} ms: {readError.Message}");
            Assert.Equal(ErrorCode.Unavailable, readError.Code);
            Assert.True(sw.Elapsed < failsFast, $"took {sw.Elapsed}, not well under the {waitedOut} timeouts");
        }
        finally
        {
            await control.StartAgainAsync();
        }

        // Nothing half-written: only the event committed before the outage.
        Assert.Equal(1L, await Scalar<long>($"SELECT count(*) FROM dispute_events WHERE dispute_id = '{dispute}'"));
        EventLogTestData.AssertSameEvents([first], await log.ReadAsync(dispute, 0, 100));

        // The same log, with no help, writes again.
        await log.AppendAsync(lost).WaitAsync(TimeSpan.FromSeconds(30));
        await log.AppendAsync([EventLogTestData.FullEvent(dispute, 4)]).WaitAsync(TimeSpan.FromSeconds(30));
        EventLogTestData.AssertSameEvents([first, .. lost, EventLogTestData.FullEvent(dispute, 4)], await log.ReadAsync(dispute, 0, 100));
        foreach (var line in LogLines) Output.WriteLine(line);
    }

    [Fact]
    public async Task After_a_quiet_restart_the_first_append_and_read_succeed_on_fresh_connections()
    {
        var control = server;
        await using var log = NewLog();
        var dispute = NewId("d-quiet");
        var events = Enumerable.Range(1, 6).Select(seq => EventLogTestData.FullEvent(dispute, seq)).ToList();
        await log.AppendAsync(events[..2]);
        // Several concurrent reads leave several pooled connections that the restart will close under us.
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => log.ReadAsync(dispute, 0, 100)));

        await control.StopAsync();
        await control.StartAgainAsync(); // nothing touched the log while the server was down

        await log.AppendAsync(events[2..4]).WaitAsync(TimeSpan.FromSeconds(30));
        EventLogTestData.AssertSameEvents(events[..4], await log.ReadAsync(dispute, 0, 100));
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => log.ReadAsync(dispute, 0, 100)));
        await log.AppendAsync(events[4..]).WaitAsync(TimeSpan.FromSeconds(30));
        EventLogTestData.AssertSameEvents(events, await log.ReadAsync(dispute, 0, 100));
        foreach (var line in LogLines) Output.WriteLine(line);
    }

    /// <summary>The test's own connections are not pooled: a pool would keep connections a restart has closed.</summary>
    private string UnpooledConnectionString => new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString;

    private async Task<T> Scalar<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(UnpooledConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T));
    }

    private sealed class Releaser(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}
