using Mediation.Silo.Hosting;
using Mediation.Silo.Hosting.Health;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A standalone silo: production runs several of these next to API nodes that join as Orleans clients.
// `--apply-schema` applies the database schema for the configured storage and exits.
var builder = Host.CreateApplicationBuilder(args.Where(a => a != "--apply-schema").ToArray());
if (args.Contains("--apply-schema"))
{
    await MediationSiloHosting.ApplySchemaAsync(MediationSiloOptions.From(builder.Configuration));
    Console.WriteLine("schema applied");
    return;
}
builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning);
builder.AddMediationSiloHealth();
builder.AddMediationSilo();
builder.AddMediationTelemetry(TelemetryOptions.From(builder.Configuration), "mediation-silo");
await builder.Build().RunAsync();

// The ASP.NET Core framework (the health listener) would make this Program public, clashing with the API's in tests.
internal partial class Program;
