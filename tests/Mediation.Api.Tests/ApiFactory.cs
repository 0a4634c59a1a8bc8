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

namespace Mediation.Api.Tests;

/// <summary>The real app on a real Kestrel on a loopback port, with its own temporary database folder.</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly bool _ownsDataDirectory;

    public string DataDirectory { get; }
    public int SiloPort { get; } = FreePort.Next();
    public Dictionary<string, string?> Settings { get; } = new();
    /// <summary>Everything the app logged, to assert on levels.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Holds replays and loses stream events of this node's dispute feeds, for the disputes a test names.</summary>
    public TestFeedProbe Feeds { get; } = new();

    /// <param name="dataDirectory">Another node's folder, to join its cluster and database; a new temporary one if null.</param>
    public ApiFactory(string? dataDirectory = null)
    {
        _ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("mediation-api-").FullName;
        UseKestrel(0);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("MEDIATION_DATA_DIR", DataDirectory);
        builder.UseSetting("Mediation:SiloPort", SiloPort.ToString());
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureServices(services => services.AddSingleton<IOutgoingGrainCallFilter, FaultInjection>());
        builder.ConfigureTestServices(services => services.AddSingleton<IFeedProbe>(Feeds));
    }

    public HttpClient As(string userId, string role)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-User-Id", userId);
        client.DefaultRequestHeaders.Add("X-Role", role);
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

public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A logger provider that keeps every entry the app writes.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>
/// Faults on demand: a grain whose key starts with "fault-" fails the way its name says, so that the answers to
/// overload, a silo leaving and a database outage can be tested over HTTP and the hub without causing them.
/// </summary>
public sealed class FaultInjection : IOutgoingGrainCallFilter
{
    public const string Prefix = "fault-";

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        var key = context.TargetId.Key.ToString();
        if (key is null || !key.StartsWith(Prefix, StringComparison.Ordinal)) return context.Invoke();
        throw key[Prefix.Length..] switch
        {
            "timeout" => new TimeoutException("Response did not arrive on time"),
            "busy" => MediationException.Busy("too many calls in flight"),
            "silo" => new SiloUnavailableException("The target silo became unavailable"),
            "database" => new InjectedDbException(),
            "unavailable" => new MediationException(ErrorCode.Unavailable, "the service cannot reach its database right now"),
            "cancelled" => new OperationCanceledException(),
            var other => new InvalidOperationException($"no fault named {other}"),
        };
    }

    private sealed class InjectedDbException() : DbException("connection refused");
}
