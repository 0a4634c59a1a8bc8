using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Identity;

/// <summary>
/// Development identity: the caller names itself in <c>X-User-Id</c> and <c>X-Role</c>. A later issue swaps this
/// scheme for bearer tokens; everything downstream sees only the <see cref="ClaimsPrincipal"/>.
/// </summary>
public sealed class DevelopmentIdentityHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DevelopmentHeaders";
    public const string UserHeader = "X-User-Id";
    public const string RoleHeader = "X-Role";
    public const int MaxIdLength = Validation.MaxIdLength;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var users = Request.Headers[UserHeader];
        var roles = Request.Headers[RoleHeader];
        if (users.Count == 0 && roles.Count == 0) return Task.FromResult(AuthenticateResult.NoResult());
        // Exactly one header each: a second X-Role (or "consumer,ops" in one) must not add up to more rights.
        if (users.Count != 1 || !Validation.IsId(users[0]))
            return Fail($"{UserHeader} must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':', in one header");
        if (roles.Count != 1 || !ExactNames.TryParse<Role>(roles[0], out var parsed))
            return Fail($"{RoleHeader} must be one of consumer, merchant, mediator, regulator, ops, in one header");
        var user = users[0]!;

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Role, parsed.ToString())], SchemeName);
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
        Enum.Parse<Role>(principal.FindFirstValue(ClaimTypes.Role)!));
}

