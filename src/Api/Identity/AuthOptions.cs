namespace Mediation.Api.Identity;

/// <summary>
/// Who may vouch for a caller (<c>Mediation:Auth</c>): the payment platform, the merchant portal and any other
/// issuer of bearer tokens, each with its audiences, its signing keys and the roles it may assert; and the embedded
/// default's own local issuer, which the sign-in page asks for tokens.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Mediation:Auth";

    /// <summary>Trusted issuers, several at once (<c>Mediation:Auth:Issuers:{n}:…</c>).</summary>
    public List<TrustedIssuer> Issuers { get; init; } = [];

    public LocalIssuerOptions Local { get; init; } = new();

    /// <summary>Leeway for clocks that disagree, on expiry and not-before.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(1);
}

public sealed class TrustedIssuer
{
    /// <summary>The token's <c>iss</c>, exactly.</summary>
    public string Issuer { get; init; } = "";

    /// <summary>The <c>aud</c> values accepted from this issuer; <c>mediation</c> when none is configured.</summary>
    public List<string> Audiences { get; init; } = [];

    /// <summary>HMAC keys (HS256/384/512), base64, at least 32 bytes each; several while a key is rotated.</summary>
    public List<string> SigningKeys { get; init; } = [];

    /// <summary>Public keys (RS256, ES256 …) as PEM (<c>-----BEGIN PUBLIC KEY-----</c>); several while rotated.</summary>
    public List<string> PublicKeys { get; init; } = [];

    /// <summary>The roles this issuer may assert (wire names); every role when empty. The merchant portal says merchant and merchant-staff.</summary>
    public List<string> Roles { get; init; } = [];
}

public sealed class LocalIssuerOptions
{
    public const string IssuerName = "mediation-local";

    /// <summary>On by default in the embedded default only (SQLite, co-hosted): its sign-in page mints tokens for anyone.</summary>
    public bool? Enabled { get; init; }

    /// <summary>Base64 HMAC key; when unset one is generated once and kept in the data folder (<c>local-signing.key</c>).</summary>
    public string? SigningKey { get; init; }

    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(12);
}
