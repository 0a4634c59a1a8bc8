using System.Net.Http.Headers;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mediation.Bench;

/// <summary>
/// The bench's token issuer, trusted by every service process it starts (as a payment platform would be): the
/// simulated parties authenticate the production way, with a bearer token each. The relay baseline ignores it
/// and reads the X-User-Id/X-Role headers, which are still sent beside it.
/// </summary>
internal static class BenchTokens
{
    private const string Issuer = "https://bench.mediation.example";
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(i * 11 + 5)).ToArray();
    private static readonly SigningCredentials Credentials = new(new SymmetricSecurityKey(Key), SecurityAlgorithms.HmacSha256);
    private static readonly JsonWebTokenHandler Handler = new();

    public static IEnumerable<KeyValuePair<string, string>> Environment =>
    [
        new("Mediation__Auth__Issuers__0__Issuer", Issuer),
        new("Mediation__Auth__Issuers__0__Audiences__0", "mediation"),
        new("Mediation__Auth__Issuers__0__SigningKeys__0", Convert.ToBase64String(Key)),
    ];

    public static string For(string userId, string role) => Handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = "mediation",
        Claims = new Dictionary<string, object> { ["sub"] = userId, ["role"] = role },
        Expires = DateTime.UtcNow.AddDays(1),
        SigningCredentials = Credentials,
    });

    /// <summary>A token that names the bench's issuer but is signed with a key it does not have: always refused.</summary>
    public static string Forged(string userId, string role) => Handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = "mediation",
        Claims = new Dictionary<string, object> { ["sub"] = userId, ["role"] = role },
        Expires = DateTime.UtcNow.AddDays(1),
        SigningCredentials = new(new SymmetricSecurityKey(Key.Select(b => (byte)(b ^ 0x5a)).ToArray()), SecurityAlgorithms.HmacSha256),
    });

    public static void Authenticate(HttpRequestMessage request, string userId, string role)
    {
        request.Headers.Add("X-User-Id", userId);
        request.Headers.Add("X-Role", role);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", For(userId, role));
    }
}
