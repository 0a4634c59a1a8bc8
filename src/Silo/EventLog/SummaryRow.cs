using System.Text.Json;

namespace Mediation.Silo.EventLog;

/// <summary>A summary line as stored: its keys and its JSON (the per-reader unread count is not stored).</summary>
internal sealed record SummaryRow(string DisputeId, string MerchantId, string ConsumerId, long LastSeq, string Payload)
{
    public static SummaryRow Of(DisputeSummary summary) => new(summary.DisputeId, summary.MerchantId, summary.ConsumerId, summary.LastSeq,
        JsonSerializer.Serialize(summary with { Unread = 0 }, MediationJson.Options));
}
