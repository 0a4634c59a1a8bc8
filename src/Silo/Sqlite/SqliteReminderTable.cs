using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace Mediation.Silo.Sqlite;

/// <summary>
/// Reminders of the embedded default (table <c>reminders</c>), written through the one <see cref="SqliteWriter"/>:
/// re-arming a dispute's deadline is a queued write committed with the events around it, not a synchronous SQLite
/// transaction of its own fighting the writer for the lock.
/// </summary>
public sealed class SqliteReminderTable(SqliteWriter writer, string serviceId) : IReminderTable
{
    private const string Columns = "grain_id, reminder_name, start_at, period, version";
    private const string VersionSql = "SELECT version FROM reminders WHERE service_id = $svc AND grain_id = $g AND reminder_name = $n";

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        Read($"SELECT {Columns} FROM reminders WHERE service_id = $svc AND grain_id = $g",
            c => c.Parameters.AddWithValue("$g", grainId.ToString()));

    public Task<ReminderTableData> ReadRows(uint begin, uint end) =>
        // The ring range (begin, end]; it wraps around when begin >= end.
        Read(begin < end
                ? $"SELECT {Columns} FROM reminders WHERE service_id = $svc AND grain_hash > $b AND grain_hash <= $e"
                : $"SELECT {Columns} FROM reminders WHERE service_id = $svc AND (grain_hash > $b OR grain_hash <= $e)",
            c =>
            {
                c.Parameters.AddWithValue("$b", (long)begin);
                c.Parameters.AddWithValue("$e", (long)end);
            });

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        var rows = await Read($"SELECT {Columns} FROM reminders WHERE service_id = $svc AND grain_id = $g AND reminder_name = $n", c =>
        {
            c.Parameters.AddWithValue("$g", grainId.ToString());
            c.Parameters.AddWithValue("$n", reminderName);
        });
        return rows.Reminders.FirstOrDefault();
    }

    public Task<string?> UpsertRow(ReminderEntry entry) =>
        writer.WriteAsync<string?>("the reminder " + entry.ReminderName, batch =>
        {
            var current = batch.Command(VersionSql);
            Bind(current, entry.GrainId, entry.ReminderName);
            var version = (current.ExecuteScalar() is long v ? v : 0) + 1;

            var upsert = batch.Command(
                "INSERT INTO reminders (service_id, grain_id, reminder_name, grain_hash, start_at, period, version) " +
                "VALUES ($svc, $g, $n, $hash, $start, $period, $version) ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET " +
                "grain_hash = excluded.grain_hash, start_at = excluded.start_at, period = excluded.period, version = excluded.version");
            Bind(upsert, entry.GrainId, entry.ReminderName);
            upsert.Parameters.AddWithValue("$hash", (long)entry.GrainId.GetUniformHashCode());
            upsert.Parameters.AddWithValue("$start", entry.StartAt.ToUniversalTime().Ticks);
            upsert.Parameters.AddWithValue("$period", entry.Period.Ticks);
            upsert.Parameters.AddWithValue("$version", version);
            upsert.ExecuteNonQuery();
            return version.ToString();
        });

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        writer.WriteAsync("the reminder " + reminderName, batch =>
        {
            var delete = batch.Command("DELETE FROM reminders WHERE service_id = $svc AND grain_id = $g AND reminder_name = $n AND version = $version");
            Bind(delete, grainId, reminderName);
            delete.Parameters.AddWithValue("$version", long.TryParse(eTag, out var version) ? version : -1);
            return delete.ExecuteNonQuery() == 1;
        });

    public Task TestOnlyClearTable() =>
        writer.WriteAsync("the reminders", batch =>
        {
            var delete = batch.Command("DELETE FROM reminders WHERE service_id = $svc");
            delete.Parameters.AddWithValue("$svc", serviceId);
            return delete.ExecuteNonQuery();
        });

    private Task<ReminderTableData> Read(string sql, Action<SqliteCommand> bind) =>
        writer.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$svc", serviceId);
            bind(command);
            using var reader = command.ExecuteReader();
            var entries = new List<ReminderEntry>();
            while (reader.Read())
            {
                entries.Add(new ReminderEntry
                {
                    GrainId = GrainId.Parse(reader.GetString(0)),
                    ReminderName = reader.GetString(1),
                    StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
                    Period = TimeSpan.FromTicks(reader.GetInt64(3)),
                    ETag = reader.GetInt64(4).ToString(),
                });
            }
            return new ReminderTableData(entries);
        });

    private void Bind(SqliteCommand command, GrainId grainId, string reminderName)
    {
        command.Parameters.AddWithValue("$svc", serviceId);
        command.Parameters.AddWithValue("$g", grainId.ToString());
        command.Parameters.AddWithValue("$n", reminderName);
    }
}
