using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Mediation.Testing;

/// <summary>
/// The service as an OS process from the test's output folder, configured only through environment variables, as a
/// container would be: the embedded default as the README's run command starts it (<see cref="StartAsync"/>), or in
/// production mode a standalone silo (<c>Mediation.Silo.dll</c>) or an API node (<c>Mediation.Api.dll</c>).
/// The one wrapper of every test project; <c>MediationProcess</c> is a global alias of it in the test projects.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name { get; }
    public int? HttpPort { get; }
    /// <summary>The HTTP port of an API node (embedded or client); 0 for a standalone silo.</summary>
    public int Port => HttpPort ?? 0;
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output { get { lock (_log) return _log.ToString(); } }

    private ServiceProcess(string name, ProcessStartInfo info, int? httpPort)
    {
        Name = name;
        HttpPort = httpPort;
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Record(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.Contains("Application started", StringComparison.Ordinal)) _started.TrySetResult();
    }

    /// <summary>
    /// The embedded default (one process co-hosting a silo on SQLite in <paramref name="dataDirectory"/>), started as
    /// <c>dotnet Mediation.Api.dll</c>; returns once /health answers.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null, int? port = null)
    {
        var httpPort = port ?? FreePort.Next();
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Mediation.Api.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["MEDIATION_DATA_DIR"] = dataDirectory;
        info.Environment["Mediation__SiloPort"] = FreePort.Next().ToString();
        info.Environment["Mediation__Seed__Demo"] = "false"; // a test turns the demo on through its settings
        foreach (var (key, value) in TestTokens.Environment) info.Environment[key] = value;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var service = new ServiceProcess("mediation", info, httpPort);
        await service.WaitUntilHealthyAsync();
        return service;
    }

    /// <summary>Starts a standalone silo and returns once its host has started (it has joined the cluster).</summary>
    public static async Task<ServiceProcess> StartSiloAsync(string name, IReadOnlyDictionary<string, string> environment)
    {
        var silo = new ServiceProcess(name, Info("Mediation.Silo.dll", environment), null);
        await silo.WaitForStartAsync();
        return silo;
    }

    /// <summary>Starts an API node on a free loopback port and returns once /health answers.</summary>
    public static async Task<ServiceProcess> StartApiAsync(string name, IReadOnlyDictionary<string, string> environment)
    {
        var port = FreePort.Next();
        var info = Info("Mediation.Api.dll", environment);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var api = new ServiceProcess(name, info, port);
        await api.WaitForStartAsync();
        await api.WaitUntilHealthyAsync();
        return api;
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Poll.UntilAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Output}");
            return (await http.GetAsync("/health")).IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(60), $"{Name} healthy", () => Output);
    }

    /// <summary>Runs <c>Mediation.Silo.dll --apply-schema</c> to completion; returns its output.</summary>
    public static async Task<string> ApplySchemaAsync(IReadOnlyDictionary<string, string> environment)
    {
        var info = Info("Mediation.Silo.dll", environment);
        info.ArgumentList.Add("--apply-schema");
        await using var run = new ServiceProcess("apply-schema", info, null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await run._process.WaitForExitAsync(timeout.Token);
        run._process.WaitForExit(); // flushes the redirected output
        Assert.True(run._process.ExitCode == 0, $"--apply-schema exited with {run._process.ExitCode}:\n{run.Output}");
        return run.Output;
    }

    private static ProcessStartInfo Info(string assembly, IReadOnlyDictionary<string, string> environment)
    {
        // This folder is an ASP.NET Core app's: assemblies of the ASP.NET Core shared framework that the silo takes
        // from packages (Microsoft.Extensions.ObjectPool, say) are not copied here, so the silo runs on that framework too.
        var info = new ProcessStartInfo("dotnet", ["exec", "--runtimeconfig", SharedRuntimeConfig.Value, Path.Combine(AppContext.BaseDirectory, assembly)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in TestTokens.Environment) info.Environment[key] = value;
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return info;
    }

    private static readonly Lazy<string> SharedRuntimeConfig = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"mediation-production-tests-{Environment.ProcessId}.runtimeconfig.json");
        File.WriteAllText(path, """
            {"runtimeOptions": {"tfm": "net10.0", "frameworks": [
              {"name": "Microsoft.NETCore.App", "version": "10.0.0"},
              {"name": "Microsoft.AspNetCore.App", "version": "10.0.0"}]}}
            """);
        return path;
    });

    private async Task WaitForStartAsync()
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_started.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first == _started.Task) return;
        var why = first == exited ? $"exited with {_process.ExitCode}" : "did not start within 60 s";
        throw new InvalidOperationException($"{Name} {why}:\n{Output}");
    }

    public HttpClient As(string userId, string role)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(userId, role));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod; returns once the process has exited.</summary>
    public async Task TerminateAsync(TimeSpan? within = null)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {within ?? TimeSpan.FromSeconds(60)} of SIGTERM:\n{Output}");
        }
    }

    /// <summary>SIGTERM, as a process manager stops a service, then wait for it to exit.</summary>
    public Task StopGracefullyAsync() => TerminateAsync();

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }
}
