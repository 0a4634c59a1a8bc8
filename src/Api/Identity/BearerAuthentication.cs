using System.Security.Claims;
using System.Security.Cryptography;
using Mediation.Silo.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mediation.Api.Identity;

/// <summary>
/// Bearer tokens as payment apps send them, on HTTP (<c>Authorization: Bearer …</c>) and on the hub
/// (<c>access_token</c> in the query, where a browser's WebSocket cannot carry a header). One JwtBearer scheme
/// trusts every configured issuer, each with its own keys and audiences: a key is only ever tried for the issuer it
/// belongs to, and an issuer only asserts the roles it is trusted with. The token's claims become the same
/// principal the development identity gives: <see cref="ClaimTypes.NameIdentifier"/> and <see cref="ClaimTypes.Role"/>
/// (merchant staff act as their merchant, their own id in <see cref="MediationClaims.Staff"/>).
/// </summary>
public static class BearerAuthentication
{
    public const string SchemeName = "Mediation";
    public const string Audience = "mediation";

    /// <summary>The sign-in page's copy of the token (SameSite=Strict), read for GET requests only: links and images.</summary>
    public const string TokenCookie = "mediation-token";

    public static WebApplicationBuilder AddMediationAuthentication(this WebApplicationBuilder builder, MediationSiloOptions hosting)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var embedded = hosting.Storage == StorageKind.Sqlite && hosting.ApiHosting == ApiHosting.CoHosted;
        // The X-User-Id/X-Role identity: only the embedded default run in Development; refused everywhere else.
        var developmentIdentity = embedded && builder.Environment.IsDevelopment();
        var local = options.Local.Enabled ?? embedded ? LocalIssuer.Create(options.Local, hosting.DataDirectory) : null;
        if (local is not null) builder.Services.AddSingleton(local);

        var issuers = options.Issuers.Select(TrustedKeys.From).ToList();
        if (local is not null) issuers.Add(local.Trusted);
        var byIssuer = issuers.ToDictionary(i => i.Issuer, StringComparer.Ordinal);

        builder.Services.AddAuthentication(SchemeName)
            .AddPolicyScheme(SchemeName, "Bearer token, or the development identity where allowed", o => o.ForwardDefaultSelector = http =>
                developmentIdentity && !HasBearer(http) && DevelopmentIdentityHandler.IsPresent(http)
                    ? DevelopmentIdentityHandler.SchemeName
                    : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, DevelopmentIdentityHandler>(DevelopmentIdentityHandler.SchemeName, null)
            .AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuers = byIssuer.Keys,
                    ValidateAudience = true,
                    AudienceValidator = (audiences, token, _) =>
                        byIssuer.TryGetValue(token.Issuer, out var issuer) && audiences.Any(issuer.Audiences.Contains),
                    IssuerSigningKeyResolver = (_, token, _, _) =>
                        byIssuer.TryGetValue(token.Issuer, out var issuer) ? issuer.Keys : [],
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ValidateLifetime = true,
                    ClockSkew = options.ClockSkew,
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                };
                o.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        // Browsers' WebSockets and server-sent events cannot carry the header: the hub reads the query.
                        if (context.HttpContext.Request.Path.StartsWithSegments(Realtime.NegotiationHub.Path)
                            && context.Request.Query["access_token"] is { Count: 1 } token)
                            context.Token = token[0];
                        // What a page links to (an evidence thumbnail, the printable case file) is fetched by the browser
                        // without headers: on reads only, the sign-in page's same-site cookie carries the same token.
                        else if (HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Authorization.Count == 0
                            && context.Request.Cookies.TryGetValue(TokenCookie, out var cookie))
                            context.Token = cookie;
                        return Task.CompletedTask;
                    },
                    OnAuthenticationFailed = context =>
                    {
                        // No key for the token: say whether its issuer is unknown altogether. Only refused tokens are
                        // read a second time; accepted ones are parsed once, by the handler.
                        if (context.Exception is SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException
                            && RawToken(context.Request) is { } raw && IssuerOf(raw) is { } named && !byIssuer.ContainsKey(named))
                            context.HttpContext.Items[typeof(BearerAuthentication)] = "the bearer token's issuer is not trusted";
                        return Task.CompletedTask;
                    },
                    OnTokenValidated = context =>
                    {
                        byIssuer.TryGetValue(context.SecurityToken.Issuer, out var issuer);
                        var why = MediationClaims.Normalize(context.Principal!, issuer, out var principal);
                        if (why is null) context.Principal = principal;
                        else
                        {
                            context.HttpContext.Items[typeof(BearerAuthentication)] = why;
                            context.Fail(why);
                        }
                        return Task.CompletedTask;
                    },
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        // A flood of bad or missing tokens is held like any refusal, past its address's free ones.
                        if (!await context.HttpContext.RequestServices.GetRequiredService<Admission.RefusalHold>().HoldAsync(context.HttpContext)) return;
                        var detail = context.HttpContext.Items[typeof(BearerAuthentication)] as string
                            ?? Refusal(context.AuthenticateFailure)
                            ?? (!developmentIdentity && DevelopmentIdentityHandler.IsPresent(context.HttpContext)
                                ? "the X-User-Id/X-Role development identity is accepted only by the embedded default in Development; send Authorization: Bearer <token>"
                                : "send Authorization: Bearer <token> (on the hub: ?access_token=<token>)");
                        context.Response.Headers.WWWAuthenticate = "Bearer";
                        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthenticated", detail: detail)
                            .ExecuteAsync(context.HttpContext);
                    },
                };
            });
        return builder;
    }

    private static bool HasBearer(HttpContext http) =>
        http.Request.Headers.Authorization.Any(v => v?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true)
        || (http.Request.Path.StartsWithSegments(Realtime.NegotiationHub.Path) && http.Request.Query.ContainsKey("access_token"))
        || (HttpMethods.IsGet(http.Request.Method) && http.Request.Cookies.ContainsKey(TokenCookie));

    /// <summary>The token as the request carries it: the header, the hub's query, or the sign-in cookie on a GET.</summary>
    private static string? RawToken(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : request.Query["access_token"] is { Count: 1 } query ? query[0]
            : request.Cookies.TryGetValue(TokenCookie, out var cookie) ? cookie : null;

    /// <summary>The issuer a token names, unverified; null when it is not a readable JWT (it fails validation later).</summary>
    private static string? IssuerOf(string raw)
    {
        try { return new JsonWebToken(raw).Issuer; }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or FormatException) { return null; }
    }

    /// <summary>Why a token was refused, in our words: never the validator's text, which names keys and internals.</summary>
    private static string? Refusal(Exception? failure) => failure switch
    {
        null => null,
        SecurityTokenExpiredException => "the bearer token has expired",
        SecurityTokenNotYetValidException => "the bearer token is not valid yet",
        SecurityTokenInvalidAudienceException => "the bearer token is not meant for this service (audience)",
        SecurityTokenInvalidIssuerException => "the bearer token's issuer is not trusted",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the bearer token's signature is not valid",
        SecurityTokenNoExpirationException => "the bearer token must expire",
        _ => "the bearer token is not valid",
    };
}

/// <summary>One trusted issuer's keys and audiences, resolved once.</summary>
public sealed record TrustedKeys(string Issuer, IReadOnlySet<string> Audiences, IReadOnlyList<SecurityKey> Keys, IReadOnlySet<Role>? Roles, bool AllowsStaff)
{
    public static TrustedKeys From(TrustedIssuer issuer)
    {
        if (string.IsNullOrWhiteSpace(issuer.Issuer)) throw new InvalidOperationException("Mediation:Auth:Issuers: every issuer needs its Issuer");
        var keys = new List<SecurityKey>();
        foreach (var key in issuer.SigningKeys)
        {
            var bytes = Convert.FromBase64String(key);
            if (bytes.Length < 32) throw new InvalidOperationException($"Mediation:Auth: the signing keys of {issuer.Issuer} must be at least 32 bytes");
            keys.Add(new SymmetricSecurityKey(bytes));
        }
        foreach (var pem in issuer.PublicKeys)
        {
            if (pem.Contains("BEGIN PUBLIC KEY") && TryRsa(pem) is { } rsa) keys.Add(new RsaSecurityKey(rsa));
            else
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                keys.Add(new ECDsaSecurityKey(ec));
            }
        }
        if (keys.Count == 0) throw new InvalidOperationException($"Mediation:Auth: {issuer.Issuer} has no signing or public key");
        var roles = new HashSet<Role>();
        var staff = issuer.Roles.Count == 0;
        foreach (var name in issuer.Roles)
        {
            if (name == MediationClaims.StaffRole) { staff = true; continue; }
            if (!ExactNames.TryParse<Role>(name, out var role)) throw new InvalidOperationException($"Mediation:Auth: {issuer.Issuer} names an unknown role '{name}'");
            roles.Add(role);
        }
        return new TrustedKeys(issuer.Issuer,
            issuer.Audiences.Count == 0 ? new HashSet<string> { BearerAuthentication.Audience } : issuer.Audiences.ToHashSet(),
            keys, issuer.Roles.Count == 0 ? null : roles, staff);
    }

    private static RSA? TryRsa(string pem)
    {
        var rsa = RSA.Create();
        try { rsa.ImportFromPem(pem); return rsa; }
        catch (ArgumentException) { rsa.Dispose(); return null; }
        catch (CryptographicException) { rsa.Dispose(); return null; }
    }
}

/// <summary>The claims a token carries and the principal they become.</summary>
public static class MediationClaims
{
    /// <summary>Token claims: <c>sub</c> (the user), <c>role</c> (one wire name), <c>merchant</c> (staff's merchant), <c>city</c>.</summary>
    public const string Subject = "sub", RoleClaim = "role", MerchantClaim = "merchant", CityClaim = "city";

    /// <summary>Merchant staff: act for the merchant named in their token's <c>merchant</c> claim.</summary>
    public const string StaffRole = "merchant-staff";

    /// <summary>On the principal: the staff member who acts for the merchant.</summary>
    public const string Staff = "mediation:staff";

    /// <summary>On the principal: the city a mediator or regulator works in, when the token says.</summary>
    public const string City = "mediation:city";

    public static string? Normalize(ClaimsPrincipal token, TrustedKeys? issuer, out ClaimsPrincipal principal)
    {
        principal = new ClaimsPrincipal();
        var subjects = token.FindAll(Subject).ToList();
        var roles = token.FindAll(RoleClaim).ToList();
        if (subjects.Count != 1 || !Validation.IsId(subjects[0].Value))
            return $"the bearer token's sub must be one id of 1 to {Validation.MaxIdLength} letters, digits, '-', '_', '.' or ':'";
        if (roles.Count != 1) return "the bearer token must carry exactly one role";
        var claims = new List<Claim>();
        if (roles[0].Value == StaffRole)
        {
            if (issuer is { AllowsStaff: false }) return "the bearer token's issuer may not assert the role merchant-staff";
            var merchants = token.FindAll(MerchantClaim).ToList();
            if (merchants.Count != 1 || !Validation.IsId(merchants[0].Value))
                return "merchant staff's bearer token must name their merchant in one merchant claim";
            claims.Add(new Claim(ClaimTypes.NameIdentifier, merchants[0].Value));
            claims.Add(new Claim(ClaimTypes.Role, Role.Merchant.WireName()));
            claims.Add(new Claim(Staff, subjects[0].Value));
        }
        else
        {
            if (!ExactNames.TryParse<Role>(roles[0].Value, out var role) || roles[0].Value != role.WireName())
                return "the bearer token's role must be one of consumer, merchant, merchant-staff, mediator, regulator, ops";
            if (issuer?.Roles is { } allowed && !allowed.Contains(role))
                return $"the bearer token's issuer may not assert the role {role.WireName()}";
            claims.Add(new Claim(ClaimTypes.NameIdentifier, subjects[0].Value));
            claims.Add(new Claim(ClaimTypes.Role, role.WireName()));
        }
        if (token.FindAll(CityClaim).ToList() is { Count: > 0 } cities)
        {
            if (cities.Count != 1 || !Validation.IsId(cities[0].Value)) return "the bearer token's city must be one name";
            claims.Add(new Claim(City, cities[0].Value));
        }
        principal = new ClaimsPrincipal(new ClaimsIdentity(claims, BearerAuthentication.SchemeName, ClaimTypes.NameIdentifier, ClaimTypes.Role));
        return null;
    }
}
