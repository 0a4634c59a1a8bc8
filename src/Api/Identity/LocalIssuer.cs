using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mediation.Api.Identity;

/// <summary>
/// The embedded default's own token issuer: its sign-in page (and a developer's curl) asks it for a bearer token
/// for a demo person. Its key is configured or generated once and kept in the data folder, so tokens outlive a
/// restart. Never on in production mode unless configured.
/// </summary>
public sealed class LocalIssuer
{
    private readonly SigningCredentials _credentials;
    private readonly TimeSpan _lifetime;

    public TrustedKeys Trusted { get; }

    private LocalIssuer(byte[] key, TimeSpan lifetime)
    {
        var securityKey = new SymmetricSecurityKey(key);
        _credentials = new SigningCredentials(securityKey, SecurityAlgorithms.HmacSha256);
        _lifetime = lifetime;
        Trusted = new TrustedKeys(LocalIssuerOptions.IssuerName, new HashSet<string> { BearerAuthentication.Audience }, [securityKey], null, true);
    }

    public static LocalIssuer Create(LocalIssuerOptions options, string dataDirectory)
    {
        if (options.SigningKey is { Length: > 0 } configured) return new LocalIssuer(Convert.FromBase64String(configured), options.Lifetime);
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "local-signing.key");
        if (!File.Exists(path))
        {
            var fresh = Path.Combine(dataDirectory, $"local-signing.key.{Guid.NewGuid():N}");
            File.WriteAllText(fresh, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fresh, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            try { File.Move(fresh, path); } catch (IOException) { File.Delete(fresh); } // another node of this folder was first
        }
        return new LocalIssuer(Convert.FromBase64String(File.ReadAllText(path).Trim()), options.Lifetime);
    }

    public IssuedToken Issue(string userId, string role, string? merchantId = null, string? city = null, DateTimeOffset? now = null)
    {
        var issuedAt = now ?? DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object> { [MediationClaims.Subject] = userId, [MediationClaims.RoleClaim] = role };
        if (merchantId is not null) claims[MediationClaims.MerchantClaim] = merchantId;
        if (city is not null) claims[MediationClaims.CityClaim] = city;
        var expires = issuedAt + _lifetime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = LocalIssuerOptions.IssuerName,
            Audience = BearerAuthentication.Audience,
            Claims = claims,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = _credentials,
        });
        return new IssuedToken(token, "Bearer", expires);
    }
}

public sealed record IssuedToken(string AccessToken, string TokenType, DateTimeOffset ExpiresAt);

/// <summary>What the sign-in page asks for: who to be.</summary>
public sealed record TokenRequest(string UserId, string Role, string? MerchantId = null, string? City = null);

public static class LocalTokenApi
{
    /// <summary><c>POST /api/auth/token</c>: the embedded default's sign-in (anyone may be anyone there: it is a demo).</summary>
    public static void MapLocalTokenApi(this WebApplication app)
    {
        if (app.Services.GetService<LocalIssuer>() is null) return;
        app.MapPost("/api/auth/token", (TokenRequest request, LocalIssuer issuer) =>
            {
                if (!Validation.IsId(request.UserId))
                    return Results.Problem(statusCode: 400, title: "Invalid token request", detail: $"userId must be 1 to {Validation.MaxIdLength} letters, digits, '-', '_', '.' or ':'");
                var staff = request.Role == MediationClaims.StaffRole;
                if (!staff && !(ExactNames.TryParse<Role>(request.Role, out var role) && request.Role == role.WireName()))
                    return Results.Problem(statusCode: 400, title: "Invalid token request", detail: "role must be one of consumer, merchant, merchant-staff, mediator, regulator, ops");
                if (staff != (request.MerchantId is not null) || (request.MerchantId is not null && !Validation.IsId(request.MerchantId)))
                    return Results.Problem(statusCode: 400, title: "Invalid token request", detail: "merchantId names the merchant of merchant-staff, and only theirs");
                if (request.City is not null && !Validation.IsId(request.City))
                    return Results.Problem(statusCode: 400, title: "Invalid token request", detail: "city must be one name");
                return Results.Ok(issuer.Issue(request.UserId, request.Role, request.MerchantId, request.City));
            })
            .AllowAnonymous()
            .WithTags("Sign-in")
            .WithSummary("Embedded default only: a bearer token from the local issuer for the person the sign-in page picked");
    }
}
