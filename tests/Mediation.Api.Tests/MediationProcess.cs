using System.Diagnostics;

namespace Mediation.Api.Tests;

/// <summary>The service as a separate OS process, started the way the README's run command starts it.</summary>
public sealed class MediationProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriter _output = new();

    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");
    public string Output { get { lock (_output) return _output.ToString(); } }

    private MediationProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => { lock (_output) _output.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static async Task<MediationProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null, int? port = null)
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
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;

        var started = new MediationProcess(Process.Start(info)!, httpPort);
        await started.WaitUntilHealthyAsync();
        return started;
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the service exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the service did not become healthy:\n{Output}");
            await Task.Delay(100); // poll interval
        }
    }

    public HttpClient As(string userId, string role)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Add("X-User-Id", userId);
        client.DefaultRequestHeaders.Add("X-Role", role);
        return client;
    }

    /// <summary>SIGTERM, as a process manager stops a service, then wait for it to exit.</summary>
    public async Task StopGracefullyAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
    }

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
