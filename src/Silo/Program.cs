using Mediation.Silo.Hosting;
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
builder.AddMediationSilo();
builder.AddMediationTelemetry(TelemetryOptions.From(builder.Configuration), "mediation-silo");
await builder.Build().RunAsync();

// Internal on purpose: the dashboard brings ASP.NET Core, whose generator would otherwise make this Program public and
// clash with the API's in the test projects that reference both.
internal partial class Program;
