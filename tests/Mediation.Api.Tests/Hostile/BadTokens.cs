using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Mediation.Api.Tests.Hostile;

/// <summary>
/// Bearer tokens that must not authenticate anyone, each minted for the very caller a route would accept, so that
/// the token's defect is the only thing wrong with the request. Minted when sent: lifetimes are relative to now.
/// </summary>
public static class BadTokens
{
    public static readonly IReadOnlyDictionary<string, Func<string, string, string>> Kinds = new Dictionary<string, Func<string, string, string>>
    {
        ["forged (another key)"] = (user, role) => TestTokens.For(user, role, key: Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
        ["expired"] = (user, role) => TestTokens.For(user, role, notBefore: DateTimeOffset.UtcNow.AddHours(-3), expires: DateTimeOffset.UtcNow.AddHours(-2)),
        ["not yet valid"] = (user, role) => TestTokens.For(user, role, notBefore: DateTimeOffset.UtcNow.AddHours(2), expires: DateTimeOffset.UtcNow.AddHours(3)),
        ["wrong audience"] = (user, role) => TestTokens.For(user, role, audience: "payments"),
        ["wrong issuer"] = (user, role) => TestTokens.For(user, role, issuer: "https://evil.example"),
        ["alg none"] = Unsigned,
        ["signature removed"] = (user, role) => TestTokens.For(user, role)[..(TestTokens.For(user, role).LastIndexOf('.') + 1)],
        ["truncated"] = (user, role) => TestTokens.For(user, role)[..^12],
        ["garbage"] = (_, _) => "garbage",
        ["three dots of nothing"] = (_, _) => "a.b.c",
        ["role ops for a consumer's call, signed with another key"] = (user, _) => TestTokens.For(user, "ops", key: Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
        ["sub an SQL string"] = (_, role) => TestTokens.For("' OR '1'='1", role),
    };

    /// <summary>A token that says it needs no signature: header <c>{"alg":"none"}</c>, no third part.</summary>
    private static string Unsigned(string user, string role)
    {
        static string Part(object o) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(o));
        return $"{Part(new { alg = "none", typ = "JWT" })}.{Part(new { sub = user, role, iss = TestTokens.Issuer, aud = TestTokens.Audience, exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds() })}.";
    }
}
