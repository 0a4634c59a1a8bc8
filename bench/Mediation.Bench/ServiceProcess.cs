using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mediation.Bench;

/// <summary>
/// The service as a separate OS process, started from its Release build the way an operator runs it: its own data
/// folder, its own ports, warnings and errors only on the console (which this class counts and keeps a sample of).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int KeptLines = 40;
    private readonly Process _process;
    private readonly string _dataDirectory;
    private readonly object _lock = new();
    private readonly List<string> _firstProblems = [];
    private readonly Queue<string> _lastLines = new();
    private readonly Dictionary<string, int> _problemCounts = [];
    private string? _currentProblem;
    private StreamWriter? _logFile;

    public Uri BaseAddress { get; }
    public int ProcessId => _process.Id;

    private ServiceProcess(Process process, Uri baseAddress, string dataDirectory, StreamWriter? logFile)
    {
        _logFile = logFile;
        _process = process;
        BaseAddress = baseAddress;
        _dataDirectory = dataDirectory;
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The service (src/Api) as the bench always started it: co-hosted silo, SQLite unless the environment says otherwise.</summary>
    public static Task<ServiceProcess> StartAsync(IReadOnlyList<KeyValuePair<string, string>> environment, bool rebuild, string? logFile, TextWriter log)
    {
        var httpPort = FreePort();
        var settings = new List<KeyValuePair<string, string>> { new("Mediation__SiloPort", FreePort().ToString()) };
        settings.AddRange(environment);
        return StartAsync(new Launch("service", Api, settings, httpPort, null), rebuild, logFile, log);
    }

    /// <summary>A built program of the repository: the assembly of <see cref="Project"/> under bin/Release.</summary>
    public sealed record Project(string Folder, string Assembly);

    public static readonly Project Api = new("src/Api", "Mediation.Api");
    public static readonly Project Silo = new("src/Silo", "Mediation.Silo");
    public static readonly Project Relay = new("bench/Mediation.Relay", "Mediation.Relay");

    /// <summary>
    /// How to start one process: with <paramref name="HttpPort"/> it listens there (ASPNETCORE_URLS) and is ready when
    /// /health answers; otherwise it is ready when <paramref name="ReadyPort"/> accepts a TCP connection (a silo's gateway).
    /// </summary>
    public sealed record Launch(string Role, Project Project, IReadOnlyList<KeyValuePair<string, string>> Environment, int? HttpPort, int? ReadyPort);

    public static async Task<ServiceProcess> StartAsync(Launch launch, bool rebuild, string? logFile, TextWriter log)
    {
        var dll = await EnsureBuiltAsync(launch.Project, rebuild, log);
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"mediation-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDirectory);
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        if (launch.HttpPort is { } httpPort) info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["MEDIATION_DATA_DIR"] = dataDirectory;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in BenchTokens.Environment) info.Environment[key] = value;
        foreach (var (key, value) in launch.Environment) info.Environment[key] = value;

        var file = logFile is null ? null : new StreamWriter(logFile, append: false) { AutoFlush = true };
        var service = new ServiceProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"),
            new Uri($"http://127.0.0.1:{launch.HttpPort ?? launch.ReadyPort}"), dataDirectory, file) { Role = launch.Role };
        try
        {
            if (launch.HttpPort is not null) await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            else await service.WaitUntilListeningAsync(launch.ReadyPort ?? throw new ArgumentException("a launch needs an HTTP or a ready port"), TimeSpan.FromSeconds(120));
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
        return service;
    }

    /// <summary>What the process is in its deployment: service, relay, api, silo.</summary>
    public string Role { get; private init; } = "service";

    private static readonly SemaphoreSlim BuildLock = new(1, 1);
    private static readonly HashSet<string> BuiltThisRun = [];

    /// <summary>Builds the project in Release if its assembly is missing, or once per invocation when <paramref name="rebuild"/>.</summary>
    public static async Task<string> EnsureBuiltAsync(Project project, bool rebuild, TextWriter log)
    {
        var folder = Path.Combine(RepositoryRoot(), project.Folder);
        var dll = Path.Combine(folder, "bin", "Release", "net10.0", project.Assembly + ".dll");
        await BuildLock.WaitAsync();
        try
        {
            if ((rebuild && !BuiltThisRun.Contains(folder)) || !File.Exists(dll))
            {
                log.WriteLine($"building: dotnet build -c Release {project.Folder}");
                await BuildAsync(folder);
                BuiltThisRun.Add(folder);
                if (!File.Exists(dll)) throw new InvalidOperationException($"the build did not produce {dll}");
            }
        }
        finally
        {
            BuildLock.Release();
        }
        return dll;
    }

    /// <summary>Walks up from the program's folder, then from the current one, to the folder holding Mediation.sln.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Mediation.sln"))) return dir.FullName;
        throw new InvalidOperationException("Mediation.sln not found above the program or the current directory");
    }

    private static async Task BuildAsync(string project)
    {
        var info = new ProcessStartInfo("dotnet", ["build", "-c", "Release", "-nologo", "-v", "quiet", project])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var build = Process.Start(info)!;
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        if (build.ExitCode != 0)
            throw new InvalidOperationException($"dotnet build -c Release {project} failed ({build.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilHealthyAsync(TimeSpan limit)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the {Role} exited with {_process.ExitCode}:\n{Tail()}");
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (deadline.Elapsed > limit) throw new TimeoutException($"the {Role} was not healthy within {limit.TotalSeconds} s:\n{Tail()}");
            await Task.Delay(200);
        }
    }

    private async Task WaitUntilListeningAsync(int port, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the {Role} exited with {_process.ExitCode}:\n{Tail()}");
            try
            {
                using var client = new TcpClient();
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
                return;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException) { }
            if (deadline.Elapsed > limit) throw new TimeoutException($"the {Role} did not listen on {port} within {limit.TotalSeconds} s:\n{Tail()}");
            await Task.Delay(200);
        }
    }

    /// <summary>CPU seconds (user + system) from /proc/PID/stat; null once the process is gone.</summary>
    public double? ProcCpuSeconds => ProcStat.CpuSeconds(_process.Id);

    /// <summary>Resident memory (VmRSS) in bytes; null once the process is gone.</summary>
    public long? RssBytes => ProcStat.RssBytes(_process.Id);

    /// <summary>CPU time the service has used so far (user + system, all threads).</summary>
    public TimeSpan? CpuTime
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.HasExited ? null : _process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    public long WorkingSetBytes
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.WorkingSet64;
            }
            catch (InvalidOperationException)
            {
                return 0;
            }
        }
    }

    /// <summary>Null while the service runs; its exit code once it has stopped by itself.</summary>
    public int? ExitCode
    {
        get
        {
            try
            {
                return _process.HasExited ? _process.ExitCode : null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            _logFile?.WriteLine(line);
            _lastLines.Enqueue(line);
            if (_lastLines.Count > KeptLines) _lastLines.Dequeue();
            // The console logger writes "warn: Category[id]" / "fail: ..." and then the message on indented lines.
            if (line.StartsWith("warn: ", StringComparison.Ordinal) || line.StartsWith("fail: ", StringComparison.Ordinal)
                || line.StartsWith("crit: ", StringComparison.Ordinal))
            {
                _currentProblem = line;
                return;
            }
            if (_currentProblem is not null)
            {
                // The first message line tells the kind of problem; count by level, category and the message with
                // its ids and numbers taken out, so that one kind of problem is one line of the report.
                var key = $"{_currentProblem.Split('[')[0]} {Normalize(line.Trim())}";
                if (key.Length > 220) key = key[..220] + "…";
                _problemCounts[key] = _problemCounts.GetValueOrDefault(key) + 1;
                if (_firstProblems.Count < 5) _firstProblems.Add(key);
                _currentProblem = null;
            }
        }
    }

    private static string Normalize(string message)
    {
        message = System.Text.RegularExpressions.Regex.Replace(message, @"\[Activation: [^\]]*?GrainType=([\w.]+)[^\]]*\]", "[$1]");
        message = System.Text.RegularExpressions.Regex.Replace(message, @"\[S[\d.:@]+ ([\w.-]+)/[^\]]*\]", "[$1]");
        message = System.Text.RegularExpressions.Regex.Replace(message, @"\b[0-9a-f]{32}\b", "…");
        message = System.Text.RegularExpressions.Regex.Replace(message, @"\d+", "#");
        return message;
    }

    /// <summary>Warnings and errors the service logged, by kind, most frequent first.</summary>
    public IReadOnlyList<(string Problem, int Count)> Problems()
    {
        lock (_lock) return _problemCounts.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value)).ToList();
    }

    public string Tail()
    {
        lock (_lock) return string.Join('\n', _lastLines);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException) { }
        _process.Dispose();
        lock (_lock)
        {
            _logFile?.Dispose();
            _logFile = null;
        }
        for (var attempt = 0; attempt < 5 && Directory.Exists(_dataDirectory); attempt++)
        {
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
        }
    }
}
