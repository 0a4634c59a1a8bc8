using Mediation.Api.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mediation.Testing;

/// <summary>
/// The tests' own token issuer, trusted by every app and process the tests start (as a payment platform would be):
/// callers in tests authenticate the production way, with a signed bearer token.
/// </summary>
public static class TestTokens
{
    public const string Issuer = "https://tests.mediation.example";
    public const string Audience = BearerAuthentication.Audience;

    /// <summary>A fixed 256-bit test key (not a secret: it signs nothing but test tokens).</summary>
    public static readonly string SigningKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray());

    /// <summary>The app's settings that trust this issuer (as configuration keys).</summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Mediation:Auth:Issuers:0:Issuer"] = Issuer,
        ["Mediation:Auth:Issuers:0:Audiences:0"] = Audience,
        ["Mediation:Auth:Issuers:0:SigningKeys:0"] = SigningKey,
    };

    /// <summary>The same, as a process's environment variables.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Environment =>
        Settings.Select(s => KeyValuePair.Create(s.Key.Replace(":", "__"), s.Value));

    /// <summary>A token for <paramref name="userId"/> in <paramref name="role"/> (a wire name), valid for an hour.</summary>
    public static string For(string userId, string role, IDictionary<string, object>? extra = null,
        string issuer = Issuer, string audience = Audience, string? key = null, DateTimeOffset? notBefore = null, DateTimeOffset? expires = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = userId, ["role"] = role.ToLowerInvariant() };
        foreach (var (name, value) in extra ?? new Dictionary<string, object>()) claims[name] = value;
        var now = DateTimeOffset.UtcNow;
        var start = notBefore ?? now.AddMinutes(-5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = (start < now ? start : now).UtcDateTime,
            NotBefore = start.UtcDateTime,
            Expires = (expires ?? now.AddHours(1)).UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(key ?? SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
