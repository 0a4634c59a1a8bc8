using Mediation;
using Mediation.Api.Admission;
using Mediation.Api.Apis;
using Mediation.Api.Demo;
using Mediation.Api.Evidence;
using Mediation.Api.Identity;
using Mediation.Api.Operations;
using Mediation.Api.Problems;
using Mediation.Api.Realtime;
using Mediation.Silo.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;

var builder = WebApplication.CreateBuilder(args);

// The embedded default: one process hosting a silo (SQLite under MEDIATION_DATA_DIR) and the HTTP edge.
// In production the edge may instead join separately run silos as an Orleans client (Mediation:ApiHosting=Client).
var hosting = MediationSiloOptions.From(builder.Configuration);
// Read before anything creates the data folder: only an empty one is seeded.
var demo = DemoOptions.From(builder.Configuration, hosting);
if (hosting.ApiHosting == ApiHosting.Client) builder.AddMediationClient(hosting);
else builder.AddMediationSilo(hosting);

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
    // A field the call does not take ("refundTo", "$type") is refused, not silently dropped.
    o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
    // A number is a JSON number: the web defaults would also read "rating": "5" (amounts already refuse strings).
    o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
});
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
// Evidence uploads raise it for their own endpoint only (EvidenceApi).
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024);
// Behind an ingress every request's TCP peer is the ingress: the client's address (what the per-address abuse limits
// key on) comes from X-Forwarded-For, trusted only from the proxies or networks named here (none by default).
builder.AddTrustedProxies();
builder.AddMediationAuthentication(hosting);
builder.Services.AddAuthorization();
builder.Services.AddApiReference();
builder.Services.AddCallAdmission(builder.Configuration);
// Per user, per address and per hub connection (Mediation:RateLimits); before AddSignalR, so its hub filter runs first.
builder.AddAbuseLimits();
// Filters run in order: errors become HubExceptions around admission, so a shed call reads like a REST 503.
builder.Services.AddSignalR(o => { o.AddFilter<MediationHubFilter>(); o.AddFilter<AdmissionHubFilter>(); o.MaximumReceiveMessageSize = 64 * 1024; })
    .AddJsonProtocol(o => MediationJson.Configure(o.PayloadSerializerOptions))
    .AddMessagePackProtocol();
MediationHubProtocol.WrapHubProtocols(builder.Services);
// SignalR logs every exception a hub method throws at Error, refusals included; MediationHubFilter logs faults itself.
builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", level => level is LogLevel.Warning or LogLevel.Critical);
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddCityOptions(builder.Configuration);
builder.Services.AddPartnerOptions(builder.Configuration);
builder.Services.AddSingleton<IFeedProbe, NoFeedProbe>();
builder.Services.AddSingleton<DeskFeeds>();
builder.Services.AddSingleton<DisputeFeeds>();
builder.Services.AddSingleton<PartyFeeds>();
builder.Services.AddOptions<FeedOptions>().Bind(builder.Configuration.GetSection(FeedOptions.Section));
builder.Services.AddHostedService<FeedHeartbeat>();
builder.AddMediationHealth(hosting);
builder.Services.AddOptions<EvidenceOptions>().Bind(builder.Configuration.GetSection(EvidenceOptions.Section));
// Pages of other origins (a payment app embedding the chat) reach the API and the hub only from configured origins.
var corsOrigins = builder.Configuration.GetSection("Mediation:Cors:Origins").Get<string[]>() ?? [];
builder.Services.AddCors(o => o.AddDefaultPolicy(policy => policy
    .WithOrigins(corsOrigins).AllowAnyHeader().AllowAnyMethod().AllowCredentials()
    .WithExposedHeaders("Idempotent-Replayed", "Retry-After", "Location")));
if (demo.Enabled) builder.AddDemo(demo, hosting);
builder.AddTelemetry();

var app = builder.Build();

app.UseTrustedProxies();
app.UseExceptionHandler();
app.UseCors();
// The pages (wwwroot) are public; what they show comes from the API under the caller's identity.
// From the project folder when run from there, else the copy beside the assembly (dotnet run from the repository's
// root, a test's output folder, a published service).
var pages = new PhysicalFileProvider(Directory.Exists(Path.Combine(app.Environment.ContentRootPath, "wwwroot", "js"))
    ? Path.Combine(app.Environment.ContentRootPath, "wwwroot")
    : Path.Combine(AppContext.BaseDirectory, "wwwroot"));
app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = pages });
app.UseStaticFiles(new StaticFileOptions { FileProvider = pages });
app.UseStatusCodePages();
app.UseUtf8Bodies();
app.UseIdempotencyBuffering();
app.UseAuthentication();
app.UseAuthorization();
app.UseCallLimits();
app.UseRateLimiter();

app.MapApiReference();
app.MapMediationHealth();
app.MapOrdersApi();
app.MapDisputesApi();
app.MapEvidenceApi();
app.MapPartiesApi();
app.MapMediationApi();
app.MapInstructionsApi();
app.MapFiguresApi();
app.MapLocalTokenApi();
app.MapCityAndPartnerApis();
app.MapHub<NegotiationHub>(NegotiationHub.Path);
if (demo.Enabled) app.MapDemoApi();
app.MapTelemetry();

app.Lifetime.ApplicationStarted.Register(() =>
    app.Logger.LogInformation("Mediation is listening on {Urls} (data: {DataDir})",
        string.Join(", ", app.Urls), hosting.DataDirectory));

app.Run();

public partial class Program;
