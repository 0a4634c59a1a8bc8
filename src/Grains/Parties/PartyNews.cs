using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Mediation.Grains.Parties;

/// <summary>
/// A dispute's one-line news for its parties' consoles: each party's summary stream gets the line with that party's
/// unread count. The lists themselves are the summary rows committed with the events; a lost line costs nothing
/// durable, since a console re-reads the list when it reconnects.
/// </summary>
public sealed class PartyNews(IStreamProvider streams, ILogger logger)
{
    public async Task PublishAsync(DisputeSummary summary)
    {
        try
        {
            await Task.WhenAll(
                Stream(MediationStreams.Merchants, summary.MerchantId).OnNextAsync(Line(summary, summary.MerchantReadSeq)),
                Stream(MediationStreams.Consumers, summary.ConsumerId).OnNextAsync(Line(summary, summary.ConsumerReadSeq)));
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Dispute {DisputeId}: summary line up to seq {Seq} not published", summary.DisputeId, summary.LastSeq);
        }
    }

    private IAsyncStream<DisputeSummaryEvent> Stream(string name, string partyId) =>
        streams.GetStream<DisputeSummaryEvent>(StreamId.Create(name, partyId));

    private static DisputeSummaryEvent Line(DisputeSummary s, long readSeq) =>
        new(s.DisputeId, s.LastEventType ?? "", s.LastSeq, s.State, s.UpdatedAt, s.NextDeadline, s.NextDeadlineKind,
            Math.Max(0, s.LastSeq - readSeq), s.OrderId);
}
