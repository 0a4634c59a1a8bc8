using System.Globalization;
using System.Security.Claims;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mediation.Api.Apis;

/// <summary>The regulator's and operator's figures: per city and per merchant over a period, from the disputes' projection.</summary>
public static class FiguresApi
{
    /// <summary>The period when none is given: the last 30 days.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(30);

    public static IEndpointRouteBuilder MapFiguresApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/figures", GetFigures).WithTags("Figures").RequireAuthorization().WithName("GetFigures")
            .WithSummary("Regulator and ops: disputes opened in [from, to) — settled by the parties, escalated, ruled, resolution rate, "
                + "median first response, deadline breaches, compensation, top categories — in total, per city and per merchant (flagged ones marked).");
        return app;
    }

    public static async Task<Ok<RegulatorFigures>> GetFigures(
        ClaimsPrincipal user, IGrainFactory grains, TimeProvider clock, string? city = null, string? from = null, string? to = null, string? merchantId = null)
    {
        var end = Instant(to, "to") ?? clock.GetUtcNow();
        var start = Instant(from, "from") ?? end - DefaultPeriod;
        if (merchantId is not null && !Validation.IsId(merchantId)) throw MediationException.Invalid("merchantId is not a valid id");
        var query = new FiguresQuery(string.IsNullOrEmpty(city) ? null : city, start, end, merchantId);
        return TypedResults.Ok(await grains.GetGrain<IFiguresGrain>(0).GetAsync(user.ToCaller(), query));
    }

    /// <summary>An ISO 8601 date or date and time; without an offset it is UTC.</summary>
    private static DateTimeOffset? Instant(string? text, string name) =>
        string.IsNullOrEmpty(text) ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var at) ? at
        : throw MediationException.Invalid($"{name} is not an ISO 8601 date or time (for example 2026-11-01 or 2026-11-01T08:00:00+08:00)");
}
