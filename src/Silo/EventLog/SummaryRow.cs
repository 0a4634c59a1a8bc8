using System.Text.Json;

namespace Mediation.Silo.EventLog;

/// <summary>A summary line as stored: its keys and its JSON (the per-reader unread count is not stored).</summary>
internal sealed record SummaryRow(string DisputeId, string MerchantId, string ConsumerId, long LastSeq, string Payload)
{
    public static SummaryRow Of(DisputeSummary summary) => new(summary.DisputeId, summary.MerchantId, summary.ConsumerId, summary.LastSeq,
        JsonSerializer.Serialize(summary with { Unread = 0 }, MediationJson.Options));

    /// <summary>
    /// The lines opened in the period, in the city if one is given. Filtered in memory over every line for now (one
    /// scan per question); an indexed city/opened_at column is the next step once the table grows.
    /// </summary>
    public static IReadOnlyList<DisputeSummary> OpenedIn(IEnumerable<DisputeSummary> lines, string? city, DateTimeOffset from, DateTimeOffset to) =>
        lines.Where(l => l.OpenedAt >= from && l.OpenedAt < to && (city is null || string.Equals(l.City, city, StringComparison.Ordinal))).ToList();
}
