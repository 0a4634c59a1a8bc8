using Mediation.Silo.EventLog;
using Mediation.Silo.Schema;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Mediation.Silo.Tests;

/// <summary>
/// The shared message-history behaviour (<see cref="DisputeEventLogBehaviour"/>, in PostgresDisputeEventLogTests.cs)
/// against the embedded default, <see cref="SqliteDisputeEventLog"/>, on a temp file with the SQLite schema applied.
/// </summary>
public sealed class SqliteDisputeEventLogTests(ITestOutputHelper output) : DisputeEventLogBehaviour(output), IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mediation-eventlog-");

    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir.FullName, "mediation.db") }.ConnectionString;

    public Task InitializeAsync() => SchemaInstaller.ApplySqliteAsync(ConnectionString);

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try { _dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    protected override IAsyncDisposableEventLog CreateLog() =>
        new DisposableEventLog<SqliteDisputeEventLog>(new SqliteDisputeEventLog(ConnectionString, new CapturingLogger<SqliteDisputeEventLog>(LogLines)));

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

    // SQLite shows no waiters; the writer retries SQLITE_BUSY (up to the 30 s default timeout) once it has the append.
    protected override Task WaitUntilWriterBlockedAsync() => Task.Delay(TimeSpan.FromMilliseconds(500));

    private sealed class Releaser(Action release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            release();
            return ValueTask.CompletedTask;
        }
    }
}
