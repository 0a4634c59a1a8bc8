namespace Mediation;

/// <summary>
/// The partner e-commerce platforms complaints are forwarded to, bound from <c>Mediation:Partners</c>
/// (<c>Mediation:Partners:Platforms:{platform}:AfterSalesUrl</c>, <c>…:Secret</c>, <c>…:Name</c>). A new platform is configuration.
/// </summary>
public sealed class PartnerOptions
{
    public const string Section = "Mediation:Partners";

    public Dictionary<string, PartnerPlatform> Platforms { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The configured spelling of <paramref name="platform"/>, or null when there is no such partner.</summary>
    public string? Configured(string platform) =>
        Platforms.Keys.FirstOrDefault(p => string.Equals(p, platform, StringComparison.OrdinalIgnoreCase));
}

public sealed class PartnerPlatform
{
    /// <summary>How people call it.</summary>
    public string Name { get; set; } = "";

    /// <summary>The platform's after-sales endpoint: forwarded complaints are POSTed there, signed. Unset: they wait in the outbox.</summary>
    public string? AfterSalesUrl { get; set; }

    /// <summary>
    /// The HMAC-SHA256 secret shared with this platform: it signs what Mediation sends and what the platform answers
    /// (<c>Mediation-Signature</c> both ways). Unset: nothing is sent and its answers are refused.
    /// </summary>
    public string? Secret { get; set; }
}
