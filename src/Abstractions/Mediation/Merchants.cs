namespace Mediation;

/// <summary>What the platform's onboarding knows about a merchant (pushed by ops).</summary>
[GenerateSerializer, Immutable, Alias("Mediation.MerchantProfile")]
public sealed record MerchantProfile(
    [property: Id(0)] string MerchantId,
    /// <summary>Checked against the business register by the onboarding platform.</summary>
    [property: Id(1)] bool Verified,
    [property: Id(2)] string? City,
    /// <summary>Shown to a consumer only when a return is due.</summary>
    [property: Id(3)] string? ReturnAddress);

/// <summary>A merchant's standing, computed from its record of disputes.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.MerchantStanding")]
public sealed record MerchantStanding(
    [property: Id(0)] string MerchantId,
    [property: Id(1)] bool Verified,
    [property: Id(2)] int Disputes,
    /// <summary>Share of the merchant's finished disputes the parties settled themselves (0 to 1); null before any finished.</summary>
    [property: Id(3)] double? ResolutionRateByParties,
    [property: Id(4)] int RulingsAgainst,
    [property: Id(5)] TimeSpan? MedianFirstResponse,
    [property: Id(6)] int UnpaidClaims,
    /// <summary>0 to 100.</summary>
    [property: Id(7)] int Score,
    /// <summary>Below the configured threshold: shown to the regulator for sanctions.</summary>
    [property: Id(8)] bool Flagged);

[Alias("Mediation.IMerchantProfileGrain")]
public interface IMerchantProfileGrain : IGrainWithStringKey
{
    [Alias("Set")]
    Task<MerchantProfile> SetAsync(Caller caller, MerchantProfile profile);

    /// <summary>The profile, or a blank one (unverified, no city) for a merchant the platform has not described.</summary>
    [Alias("Get")]
    Task<MerchantProfile> GetAsync();

    [Alias("Standing")]
    Task<MerchantStanding> GetStandingAsync();
}
