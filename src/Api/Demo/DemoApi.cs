using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration.Memory;

namespace Mediation.Api.Demo;

public static class DemoApi
{
    /// <summary>The demo's cities and mediators go under every other configuration source, so anything set wins.</summary>
    public static WebApplicationBuilder AddDemo(this WebApplicationBuilder builder, DemoOptions demo, Mediation.Silo.Hosting.MediationSiloOptions hosting)
    {
        var cities = new Dictionary<string, string?>();
        foreach (var (city, mediators) in DemoPeople.Mediators)
            for (var i = 0; i < mediators.Length; i++) cities[$"Mediation:Cities:{city}:Mediators:{i}"] = mediators[i];
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new MemoryConfigurationSource { InitialData = cities });
        if (demo.SeedNow)
        {
            // The grains' clock starts in the past, so the demo's older disputes can pass their negotiation window;
            // the seeder moves it forward to the system's time before it seeds anything else.
            var clock = new DemoClock(TimeProvider.System, DemoSeeder.StartOffset);
            builder.Services.AddSingleton(clock);
            builder.Services.AddKeyedSingleton<TimeProvider>(Orleans.Runtime.TimeProviderNames.Grains, clock);
            builder.Services.AddHostedService<DemoSeeder>();
        }
        return builder;
    }

    public static IEndpointRouteBuilder MapDemoApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/demo/people", GetPeople).WithTags("Demo").WithName("GetDemoPeople")
            .WithSummary("Embedded default with the demo on: the demo's people to sign in as (development identity), with each consumer's orders.")
            .AllowAnonymous();
        return app;
    }

    public static Ok<IReadOnlyList<DemoPerson>> GetPeople() => TypedResults.Ok(DemoPeople.All);
}
