using Mediation.Grains.Disputes;
using Microsoft.Extensions.Options;

namespace Mediation.Grains.Merchants;

/// <summary>How standing is scored. Bound from <c>Mediation:Standing</c>.</summary>
public sealed class StandingOptions
{
    public const string Section = "Mediation:Standing";

    /// <summary>A merchant scoring below this is flagged for sanctions in the regulator's view.</summary>
    public int FlagBelow { get; set; } = 60;
}

[GenerateSerializer, Alias("Mediation.MerchantProfileState")]
public sealed class MerchantProfileState
{
    [Id(0)] public MerchantProfile? Profile { get; set; }
}

/// <summary>
/// What the platform says about a merchant (verified, city, return address), and its standing, computed from the
/// summary lines of its disputes — the same projection its list is read from, never a second bookkeeping.
/// </summary>
public sealed class MerchantProfileGrain(
    [PersistentState("merchant", MediationStorage.Name)] IPersistentState<MerchantProfileState> profile,
    IDisputeEventLog log,
    IOptions<StandingOptions> options) : Grain, IMerchantProfileGrain
{
    private string MerchantId => this.GetPrimaryKeyString();

    public async Task<MerchantProfile> SetAsync(Caller caller, MerchantProfile update)
    {
        if (caller.Role != Role.Ops) throw MediationException.Forbidden($"{caller} may not describe merchants; the platform's ops does");
        var clean = new MerchantProfile(
            MerchantId,
            update.Verified,
            update.City is null ? null : Validation.RequireText(update.City, Validation.MaxNameLength, "city"),
            update.ReturnAddress is null ? null : Validation.RequireText(update.ReturnAddress, Validation.MaxDescriptionLength, "return address"));
        profile.State.Profile = clean;
        await profile.WriteStateAsync();
        return clean;
    }

    public Task<MerchantProfile> GetAsync() => Task.FromResult(Current);

    public async Task<MerchantStanding> GetStandingAsync()
    {
        var lines = await log.ReadSummariesAsync(Role.Merchant, MerchantId);
        return Standing.Of(Current, lines, options.Value.FlagBelow);
    }

    private MerchantProfile Current => profile.State.Profile ?? new MerchantProfile(MerchantId, false, null, null);
}

/// <summary>The standing formula, plain and testable.</summary>
public static class Standing
{
    public static MerchantStanding Of(MerchantProfile profile, IReadOnlyList<DisputeSummary> lines, int flagBelow)
    {
        // Finished = reached an outcome or was abandoned; settled by the parties = before any mediator.
        var finished = lines.Where(l => l.State.HasEnded()).ToArray();
        double? byParties = finished.Length == 0 ? null : (double)finished.Count(l => l.SettledByParties || l.State == DisputeState.Withdrawn) / finished.Length;
        var rulingsAgainst = lines.Count(l => l.RuledAgainstMerchant);
        var unpaid = lines.Count(l => l.ClaimOpen);
        var median = lines.MedianFirstResponse();

        // 100, less what a consumer would hold against the merchant; each part is bounded so that one cannot drown the rest.
        var score = 100.0;
        if (byParties is { } rate) score -= 30 * (1 - rate);
        if (lines.Count > 0) score -= Math.Min(30, 30.0 * rulingsAgainst / lines.Count * 2);
        score -= Math.Min(30, 15 * unpaid);
        if (median is { } m && m > TimeSpan.FromHours(12)) score -= Math.Min(10, (m.TotalHours - 12) / 12 * 10);
        if (!profile.Verified) score -= 5;
        var rounded = (int)Math.Round(Math.Clamp(score, 0, 100));
        return new MerchantStanding(profile.MerchantId, profile.Verified, lines.Count, byParties, rulingsAgainst, median, unpaid, rounded, rounded < flagBelow);
    }
}
