using System.Text;
using System.Text.Json;
using Mediation.Grains.Disputes;
using Mediation.Silo.Sqlite;
using Microsoft.Data.Sqlite;

namespace Mediation.Silo.EventLog;

/// <summary>
/// The embedded default's message history and the parties' lists, through the one <see cref="SqliteWriter"/>: an
/// append and its summary line are one write, committed in the writer's next transaction with whatever else is
/// queued, and acknowledged only after that commit.
/// </summary>
public sealed class SqliteDisputeEventLog(SqliteWriter writer) : IDisputeEventLog
{
    private const string What = "the message history";
    private const string InsertSql = "INSERT INTO dispute_events (dispute_id, seq, payload, created_at) VALUES ($id, $seq, $payload, $at)";
    private const string UpsertSummarySql =
        "INSERT INTO dispute_summaries (dispute_id, merchant_id, consumer_id, last_seq, payload) VALUES ($id, $m, $c, $seq, $payload) " +
        "ON CONFLICT (dispute_id) DO UPDATE SET last_seq = excluded.last_seq, payload = excluded.payload WHERE excluded.last_seq >= dispute_summaries.last_seq";

    public Task AppendAsync(IReadOnlyList<DisputeEvent> events, DisputeSummary? summary = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return Task.CompletedTask;
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        // Serialised before queueing: the writer runs SQL only, and nothing can fail after the first insert but SQLite.
        var rows = events.Select(e => (e.DisputeId, e.Seq, Payload: JsonSerializer.Serialize(e, MediationJson.Options), At: e.At.UtcDateTime.ToString("O"))).ToArray();
        var line = summary is null ? null : SummaryRow.Of(summary);
        return writer.WriteAsync(What, batch =>
        {
            var insert = batch.Command(InsertSql);
            foreach (var row in rows)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$id", row.DisputeId);
                insert.Parameters.AddWithValue("$seq", row.Seq);
                insert.Parameters.AddWithValue("$payload", row.Payload);
                insert.Parameters.AddWithValue("$at", row.At);
                insert.ExecuteNonQuery();
            }
            if (line is not null) Upsert(batch, line);
            return true;
        });
    }

    public Task SaveSummaryAsync(DisputeSummary summary, CancellationToken cancellationToken = default)
    {
        var line = SummaryRow.Of(summary);
        return writer.WriteAsync("the dispute list", batch =>
        {
            Upsert(batch, line);
            return true;
        });
    }

    private static void Upsert(SqliteBatch batch, SummaryRow line)
    {
        var upsert = batch.Command(UpsertSummarySql);
        upsert.Parameters.AddWithValue("$id", line.DisputeId);
        upsert.Parameters.AddWithValue("$m", line.MerchantId);
        upsert.Parameters.AddWithValue("$c", line.ConsumerId);
        upsert.Parameters.AddWithValue("$seq", line.LastSeq);
        upsert.Parameters.AddWithValue("$payload", line.Payload);
        upsert.ExecuteNonQuery();
    }

    public Task<IReadOnlyList<DisputeEvent>> ReadAsync(string disputeId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        writer.ReadAsync<IReadOnlyList<DisputeEvent>>(connection =>
        {
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

    public async Task<DisputeSummary?> ReadSummaryAsync(string disputeId, CancellationToken cancellationToken = default) =>
        (await Summaries("dispute_id = $id", c => c.Parameters.AddWithValue("$id", disputeId), cancellationToken)).FirstOrDefault();

    public Task<IReadOnlyList<DisputeSummary>> ReadSummariesAsync(Role party, string partyId, CancellationToken cancellationToken = default) =>
        Summaries(party == Role.Merchant ? "merchant_id = $party" : "consumer_id = $party", c => c.Parameters.AddWithValue("$party", partyId), cancellationToken);

    public async Task<IReadOnlyList<DisputeSummary>> ReadSummariesOpenedAsync(string? city, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        SummaryRow.OpenedIn(await Summaries("1 = 1", _ => { }, cancellationToken), city, from, to);

    private Task<IReadOnlyList<DisputeSummary>> Summaries(string where, Action<SqliteCommand> bind, CancellationToken cancellationToken) =>
        writer.ReadAsync<IReadOnlyList<DisputeSummary>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT payload FROM dispute_summaries WHERE " + where;
            bind(command);
            using var reader = command.ExecuteReader();
            var lines = new List<DisputeSummary>();
            while (reader.Read())
                lines.Add(JsonSerializer.Deserialize<DisputeSummary>(reader.GetString(0), MediationJson.Options)!);
            return lines;
        }, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> LatestSeqsAsync(IReadOnlyCollection<string> disputeIds, CancellationToken cancellationToken = default) =>
        writer.ReadAsync<IReadOnlyDictionary<string, long>>(connection =>
        {
            var latest = new Dictionary<string, long>(disputeIds.Count);
            foreach (var chunk in disputeIds.Chunk(500))
            {
                using var command = connection.CreateCommand();
                var sql = new StringBuilder("SELECT dispute_id, last_seq FROM dispute_summaries WHERE dispute_id IN (");
                for (var i = 0; i < chunk.Length; i++)
                {
                    sql.Append(i == 0 ? "$d0" : $", $d{i}");
                    command.Parameters.AddWithValue($"$d{i}", chunk[i]);
                }
                command.CommandText = sql.Append(')').ToString();
                using var reader = command.ExecuteReader();
                while (reader.Read()) latest[reader.GetString(0)] = reader.GetInt64(1);
            }
            return latest;
        }, cancellationToken);
}
