using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Apis;

/// <summary>What each city sets for its disputes: deadlines and the standard return policy (configuration, read-only here).</summary>
public static class CitiesApi
{
    public static IEndpointRouteBuilder MapCitiesApi(this IEndpointRouteBuilder app)
    {
        var cities = app.MapGroup("/api/cities").WithTags("Cities").RequireAuthorization();
        cities.MapGet("/", ListCities).WithName("ListCities")
            .WithSummary("Every configured city with its deadlines and standard return policy.");
        cities.MapGet("/{city}", GetCity).WithName("GetCity")
            .WithSummary("A city's deadlines and standard return policy; a city that is not configured has the defaults (configured: false).");
        return app;
    }

    public static Ok<CityTerms[]> ListCities(IOptions<CityOptions> cities) =>
        TypedResults.Ok(cities.Value.Cities.Keys.Order(StringComparer.OrdinalIgnoreCase).Select(cities.Value.TermsOf).ToArray());

    public static Results<Ok<CityTerms>, ProblemHttpResult> GetCity(string city, IOptions<CityOptions> cities) =>
        Validation.IsId(city) ? TypedResults.Ok(cities.Value.TermsOf(city)) : ApiProblems.NoSuch("city", city);

    /// <summary>The routes of cities and partner platforms (one line in Program).</summary>
    public static IEndpointRouteBuilder MapCityAndPartnerApis(this IEndpointRouteBuilder app) => app.MapCitiesApi().MapPartnersApi();
}
