using Mediation.Relay;

// The same hosting choices as the service where they touch the measured path: Kestrel on ASPNETCORE_URLS, SignalR with
// the JSON and MessagePack protocols, warnings and up on the console.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<RelayDisputes>();
builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 64 * 1024)
    .AddJsonProtocol()
    .AddMessagePackProtocol();

var app = builder.Build();
app.MapGet("/health", () => TypedResults.Ok("healthy"));
app.MapRelaySetupApi();
app.MapHub<RelayHub>(RelayHub.Path);
app.Run();
