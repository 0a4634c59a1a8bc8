using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Collections.Concurrent;
using System.Data.Common;
using Mediation.Api.Realtime;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mediation.Testing;

/// <summary>The real app on a real Kestrel on a loopback port, with its own temporary database folder.</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly bool _ownsDataDirectory;

    public string DataDirectory { get; }
    public int SiloPort { get; } = FreePort.Next();
    /// <summary>The app's settings for this test; the demo seeding is off unless a test turns it on.</summary>
    public Dictionary<string, string?> Settings { get; } = new(TestTokens.Settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
    {
        ["Mediation:Seed:Demo"] = "false",
    };
    /// <summary>Everything the app logged, to assert on levels.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Holds replays and loses stream events of this node's dispute feeds, for the disputes a test names.</summary>
    public TestFeedProbe Feeds { get; } = new();

    /// <summary>Services a test adds on top of the app's (an in-memory trace exporter, say), applied last.</summary>
    public List<Action<IServiceCollection>> TestServices { get; } = [];

    /// <param name="dataDirectory">Another node's folder, to join its cluster and database; a new temporary one if null.</param>
    public ApiFactory(string? dataDirectory = null)
    {
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("mediation-api-").FullName;
        UseKestrel(0);
    }

    /// <summary>The host environment (<c>Development</c> unless a test says otherwise, as WebApplicationFactory does).</summary>
    public string? EnvironmentName { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (EnvironmentName is not null) builder.UseEnvironment(EnvironmentName);
        builder.UseSetting("MEDIATION_DATA_DIR", DataDirectory);
        builder.UseSetting("Mediation:SiloPort", SiloPort.ToString());
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureServices(services => services.AddSingleton<IOutgoingGrainCallFilter, FaultInjection>());
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IFeedProbe>(Feeds);
            foreach (var add in TestServices) add(services);
        });
    }

    public HttpClient As(string userId, string role)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(userId, role));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public Uri BaseAddress
    {
        get
        {
            using var client = CreateClient();
            return client.BaseAddress!;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!_ownsDataDirectory) return;
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}
