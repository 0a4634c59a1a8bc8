using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Identity;

/// <summary>
/// Development identity: the caller names itself in <c>X-User-Id</c> and <c>X-Role</c>; a browser, which cannot set
/// headers on a WebSocket, through the sign-in page's cookie or, on the hub's path only, the <c>dev-user</c> and
/// <c>dev-role</c> query parameters (headers win when present). Accepted only by the embedded default run in
/// Development (<see cref="BearerAuthentication"/> forwards to it); everything downstream sees only the <see cref="ClaimsPrincipal"/>.
/// </summary>
public sealed class DevelopmentIdentityHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DevelopmentHeaders";
    public const string UserHeader = "X-User-Id";
    public const string RoleHeader = "X-Role";
    public const int MaxIdLength = Validation.MaxIdLength;

    /// <summary>Browsers: the sign-in page stores <c>role:userId</c> here (read only when no identity header is sent).</summary>
    public const string CookieName = "mediation-dev-identity";
    /// <summary>A browser cannot put headers on a WebSocket: on the hub's path only, these query parameters may name the caller.</summary>
    public const string UserQuery = "dev-user";
    public const string RoleQuery = "dev-role";

    /// <summary>Whether the request names itself the development way (headers, the hub's query, the sign-in cookie).</summary>
    public static bool IsPresent(HttpContext http) =>
        http.Request.Headers.ContainsKey(UserHeader) || http.Request.Headers.ContainsKey(RoleHeader)
        || (http.Request.Path.StartsWithSegments(Realtime.NegotiationHub.Path)
            && (http.Request.Query.ContainsKey(UserQuery) || http.Request.Query.ContainsKey(RoleQuery)))
        || http.Request.Cookies.ContainsKey(CookieName);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var users = Request.Headers[UserHeader];
        var roles = Request.Headers[RoleHeader];
        if (users.Count != 0 || roles.Count != 0) return FromHeaders(users, roles);
        if (Request.Path.StartsWithSegments(Realtime.NegotiationHub.Path)
            && (Request.Query.ContainsKey(UserQuery) || Request.Query.ContainsKey(RoleQuery)))
            return FromQuery(Request.Query[UserQuery], Request.Query[RoleQuery]);
        if (Request.Cookies.TryGetValue(CookieName, out var cookie)) return FromCookie(cookie);
        return Task.FromResult(AuthenticateResult.NoResult());
    }

    private Task<AuthenticateResult> FromHeaders(Microsoft.Extensions.Primitives.StringValues users, Microsoft.Extensions.Primitives.StringValues roles)
    {
        // Exactly one header each: a second X-Role (or "consumer,ops" in one) must not add up to more rights.
        if (users.Count != 1 || !Validation.IsId(users[0]))
            return Fail($"{UserHeader} must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':', in one header");
        if (roles.Count != 1 || !ExactNames.TryParse<Role>(roles[0], out var parsed))
            return Fail($"{RoleHeader} must be one of consumer, merchant, mediator, regulator, ops, in one header");
        return Success(users[0]!, parsed);
    }

    private Task<AuthenticateResult> FromQuery(Microsoft.Extensions.Primitives.StringValues users, Microsoft.Extensions.Primitives.StringValues roles)
    {
        if (users.Count != 1 || !Validation.IsId(users[0]))
            return Fail($"{UserQuery} must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':', given once");
        if (roles.Count != 1 || !ExactNames.TryParse<Role>(roles[0], out var parsed))
            return Fail($"{RoleQuery} must be one of consumer, merchant, mediator, regulator, ops, given once");
        return Success(users[0]!, parsed);
    }

    private Task<AuthenticateResult> FromCookie(string value)
    {
        var colon = value.IndexOf(':');
        var role = colon < 0 ? value : value[..colon];
        var user = colon < 0 ? "" : value[(colon + 1)..];
        if (!ExactNames.TryParse<Role>(role, out var parsed))
            return Fail($"the {CookieName} cookie must be role:userId with one of consumer, merchant, mediator, regulator, ops");
        if (!Validation.IsId(user))
            return Fail($"the {CookieName} cookie's user must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':'");
        return Success(user, parsed);
    }

    private static Task<AuthenticateResult> Success(string user, Role role)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Role, role.WireName())], SchemeName, ClaimTypes.NameIdentifier, ClaimTypes.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    private Task<AuthenticateResult> Fail(string message)
    {
        Context.Items[nameof(DevelopmentIdentityHandler)] = message;
        return Task.FromResult(AuthenticateResult.Fail(message));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var detail = Context.Items[nameof(DevelopmentIdentityHandler)] as string
            ?? $"say who you are with the {UserHeader} and {RoleHeader} headers";
        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthenticated", detail: detail)
            .ExecuteAsync(Context);
    }
}

public static class CallerPrincipal
{
    public static Caller ToCaller(this ClaimsPrincipal principal) => new(
        principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("no authenticated user"),
        ExactNames.TryParse<Role>(principal.FindFirstValue(ClaimTypes.Role), out var role) ? role : throw new InvalidOperationException("no role"),
        principal.FindFirstValue(MediationClaims.City));
}

