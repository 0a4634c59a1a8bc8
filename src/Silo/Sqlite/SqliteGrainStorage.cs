using Microsoft.Data.Sqlite;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Mediation.Silo.Sqlite;

/// <summary>
/// Grain state of the embedded default (table <c>grain_state</c>), written through the one <see cref="SqliteWriter"/>
/// so that no grain thread ever waits on SQLite. ETag-checked: a write succeeds only on the version it read, and is
/// acknowledged only once committed.
/// </summary>
public sealed class SqliteGrainStorage(string provider, SqliteWriter writer, IGrainStorageSerializer serializer, IActivatorProvider activators)
    : IGrainStorage
{
    private const string ReadSql = "SELECT payload, version FROM grain_state WHERE provider = $p AND grain_id = $g AND state_name = $s";
    private const string VersionSql = "SELECT version FROM grain_state WHERE provider = $p AND grain_id = $g AND state_name = $s";
    private const string UpsertSql =
        "INSERT INTO grain_state (provider, grain_id, state_name, payload, version) VALUES ($p, $g, $s, $payload, $version) " +
        "ON CONFLICT (provider, grain_id, state_name) DO UPDATE SET payload = excluded.payload, version = excluded.version";
    private const string DeleteSql = "DELETE FROM grain_state WHERE provider = $p AND grain_id = $g AND state_name = $s";

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var row = await writer.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = ReadSql;
            Key(command, stateName, grainId);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ((byte[])reader.GetValue(0), reader.GetInt64(1)) : ((byte[], long)?)null;
        });
        if (row is { } found)
        {
            grainState.State = serializer.Deserialize<T>(new BinaryData(found.Item1)) ?? Create<T>();
            grainState.ETag = found.Item2.ToString();
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Create<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Serialised here, on the caller's thread and before queueing: the writer only runs SQL.
        var payload = serializer.Serialize(grainState.State).ToArray();
        var expected = grainState.ETag;
        var version = await writer.WriteAsync("the state of " + grainId, batch =>
        {
            var next = CheckVersion(batch, stateName, grainId, expected) + 1;
            var command = batch.Command(UpsertSql);
            Key(command, stateName, grainId);
            command.Parameters.AddWithValue("$payload", payload);
            command.Parameters.AddWithValue("$version", next);
            command.ExecuteNonQuery();
            return next;
        });
        grainState.ETag = version.ToString();
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var expected = grainState.ETag;
        await writer.WriteAsync("the state of " + grainId, batch =>
        {
            CheckVersion(batch, stateName, grainId, expected);
            var command = batch.Command(DeleteSql);
            Key(command, stateName, grainId);
            command.ExecuteNonQuery();
            return true;
        });
        grainState.State = Create<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>The stored version, or 0 if none; throws unless it is the one the grain read.</summary>
    private long CheckVersion(SqliteBatch batch, string stateName, GrainId grainId, string? expected)
    {
        var command = batch.Command(VersionSql);
        Key(command, stateName, grainId);
        var stored = command.ExecuteScalar() is long v ? v : 0;
        var storedTag = stored == 0 ? null : stored.ToString();
        if (storedTag != expected)
            throw new InconsistentStateException($"the state of {grainId} changed since it was read (version {storedTag ?? "none"}, expected {expected ?? "none"})", storedTag, expected);
        return stored;
    }

    private void Key(SqliteCommand command, string stateName, GrainId grainId)
    {
        command.Parameters.AddWithValue("$p", provider);
        command.Parameters.AddWithValue("$g", grainId.ToString());
        command.Parameters.AddWithValue("$s", stateName);
    }

    private T Create<T>() => activators.GetActivator<T>().Create();
}
