using Microsoft.Extensions.Hosting;
using Mediation.Silo.Hosting;

// A standalone silo: production hosts this next to API nodes that join as Orleans clients.
var builder = Host.CreateApplicationBuilder(args);
builder.AddMediationSilo();
await builder.Build().RunAsync();
