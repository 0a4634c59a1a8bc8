using Mediation;
using Mediation.Api.Apis;
using Mediation.Api.Identity;
using Mediation.Api.Problems;
using Mediation.Api.Realtime;
using Mediation.Silo.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.SignalR;

var builder = WebApplication.CreateBuilder(args);

// The embedded default: one process hosting a silo (SQLite under MEDIATION_DATA_DIR) and the HTTP edge.
// In production the edge may instead join separately run silos as an Orleans client (Mediation:ApiHosting=Client).
if (MediationSiloOptions.From(builder.Configuration).ApiHosting == ApiHosting.Client) builder.AddMediationClient();
else builder.AddMediationSilo();

// Rejected grain calls (a silo stopping) are sent again, for REST and the hub alike.
builder.Services.AddSingleton<IOutgoingGrainCallFilter, RetryRejectedCalls>();
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<MediationExceptionHandler>();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    MediationJson.Configure(o.SerializerOptions);
    // Missing or null required fields are malformed input, not defaults.
    o.SerializerOptions.RespectNullableAnnotations = true;
    o.SerializerOptions.RespectRequiredConstructorParameters = true;
});
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024);
builder.Services.AddAuthentication(DevelopmentIdentityHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, DevelopmentIdentityHandler>(DevelopmentIdentityHandler.SchemeName, null);
builder.Services.AddAuthorization();
builder.Services.AddOpenApi();
builder.Services.AddSignalR(o => { o.AddFilter<MediationHubFilter>(); o.MaximumReceiveMessageSize = 64 * 1024; })
    .AddJsonProtocol(o => MediationJson.Configure(o.PayloadSerializerOptions))
    .AddMessagePackProtocol();
builder.Services.AddSingleton<IFeedProbe, NoFeedProbe>();
builder.Services.AddSingleton<DisputeFeeds>();
builder.Services.AddSingleton<PartyFeeds>();
builder.Services.AddHostedService<FeedHeartbeat>();
builder.Services.AddHealthChecks();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseIdempotencyBuffering();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApi();
app.MapHealthChecks("/health");
app.MapOrdersApi();
app.MapDisputesApi();
app.MapPartiesApi();
app.MapHub<NegotiationHub>(NegotiationHub.Path);

app.Lifetime.ApplicationStarted.Register(() =>
    app.Logger.LogInformation("Mediation is listening on {Urls} (data: {DataDir})",
        string.Join(", ", app.Urls), MediationSiloOptions.From(app.Configuration).DataDirectory));

app.Run();

public partial class Program;
