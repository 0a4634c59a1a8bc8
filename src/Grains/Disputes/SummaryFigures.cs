namespace Mediation.Grains.Disputes;

/// <summary>Figures read off summary lines, shared by the lists, the standing and the regulator's figures.</summary>
public static class SummaryFigures
{
    /// <summary>The median time from opening to the merchant's first answer, over the lines that have one.</summary>
    public static TimeSpan? MedianFirstResponse(this IEnumerable<DisputeSummary> lines) =>
        Median(lines.Where(l => l.MerchantFirstRespondedAt is not null).Select(l => l.MerchantFirstRespondedAt!.Value - l.OpenedAt));

    public static TimeSpan? Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
