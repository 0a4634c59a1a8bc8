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
        var user = Request.Headers[UserHeader].ToString();
        var role = Request.Headers[RoleHeader].ToString();
        if (user.Length == 0 && role.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        if (!Validation.IsId(user))
            return Fail($"{UserHeader} must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':'");
        if (!Enum.TryParse<Role>(role, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(role, out _))
            return Fail($"{RoleHeader} must be one of consumer, merchant, mediator, regulator, ops");

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

