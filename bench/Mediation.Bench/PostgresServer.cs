using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Mediation.Bench;

/// <summary>
/// A throwaway PostgreSQL server from <c>scripts/pg.sh</c> (its own data folder, a free loopback port), for --compare.
/// pg.sh runs it with fsync=off, synchronous_commit=off and full_page_writes=off: a commit never waits for the disk.
/// Also measures the server's CPU (the postmaster and all its processes) so it can be set beside the service's.
/// </summary>
public sealed partial class PostgresServer : IAsyncDisposable
{
    public const string Settings = "fsync=off, synchronous_commit=off, full_page_writes=off";

    private readonly string _script;
    private readonly TextWriter _log;
    private int _stopped;

    public string Directory { get; }
    public string ConnectionString { get; }
    public int Port { get; }

    private PostgresServer(string script, string directory, string connectionString, int port, TextWriter log)
    {
        _script = script;
        Directory = directory;
        ConnectionString = connectionString;
        Port = port;
        _log = log;
    }

    /// <summary>Runs <c>scripts/pg.sh start "" PORT</c>; the last line of its output is the connection string.</summary>
    public static async Task<PostgresServer> StartAsync(TextWriter log, CancellationToken cancel)
    {
        var script = Path.Combine(ServiceProcess.RepositoryRoot(), "scripts", "pg.sh");
        var port = ServiceProcess.FreePort();
        log.WriteLine($"starting PostgreSQL: scripts/pg.sh start \"\" {port}");
        var (exit, stdout, stderr) = await RunScriptAsync(script, ["start", "", port.ToString()], TimeSpan.FromSeconds(180));
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var directory = lines.FirstOrDefault(l => l.StartsWith("PG_DIR=", StringComparison.Ordinal))?["PG_DIR=".Length..]
            // pg.sh prints PG_DIR only once the server is up; if it failed after initdb, its progress names the folder.
            ?? (InitdbLine().Match(stderr) is { Success: true } m ? m.Groups[1].Value : null);
        if (exit != 0 || lines.Length == 0 || !lines[^1].StartsWith("Host=", StringComparison.Ordinal))
        {
            if (directory is not null) await StopScriptAsync(script, directory, log);
            throw new InvalidOperationException($"scripts/pg.sh start failed (exit {exit}):\n{stderr}{stdout}");
        }
        var server = new PostgresServer(script, directory ?? throw new InvalidOperationException("scripts/pg.sh printed no PG_DIR"), lines[^1], port, log);
        if (cancel.IsCancellationRequested)
        {
            await server.DisposeAsync();
            cancel.ThrowIfCancellationRequested();
        }
        log.WriteLine($"  PostgreSQL up in {directory} on 127.0.0.1:{port} (postmaster pid {server.PostmasterPid()})");
        return server;
    }

    [GeneratedRegex(@"initdb in (\S+)/data")]
    private static partial Regex InitdbLine();

    private int? PostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(Directory, "data", "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU the server has used so far: the postmaster, its live processes (backends, writer, WAL writer, …) and the
    /// ones it has already reaped (its cutime/cstime). Null when /proc cannot tell (not Linux, server gone).
    /// </summary>
    public TimeSpan? CpuTime()
    {
        if (PostmasterPid() is not { } postmaster) return null;
        var self = ReadStat(postmaster);
        if (self is null) return null;
        var ticks = self.Value.UTime + self.Value.STime + self.Value.CUTime + self.Value.CSTime;
        try
        {
            foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == postmaster) continue;
                if (ReadStat(pid) is { } child && child.PPid == postmaster) ticks += child.UTime + child.STime;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    private static readonly long ClockTicksPerSecond = ReadClockTicks();

    private static long ReadClockTicks()
    {
        try
        {
            var ticks = sysconf(2); // _SC_CLK_TCK
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long sysconf(int name);

    private readonly record struct ProcStat(int PPid, long UTime, long STime, long CUTime, long CSTime);

    private static ProcStat? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is the state (field 3 of proc(5)); utime, stime, cutime, cstime are fields 14–17.
            return new ProcStat(int.Parse(fields[1]), long.Parse(fields[11]), long.Parse(fields[12]), long.Parse(fields[13]), long.Parse(fields[14]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The server's own log (postgres.log in its folder): warnings, errors and fatal lines, grouped by kind.</summary>
    public (int Count, IReadOnlyList<(string Problem, int Count)> Kinds) LogProblems(string? copyTo)
    {
        var file = Path.Combine(Directory, "postgres.log");
        try
        {
            if (copyTo is not null) File.Copy(file, copyTo, overwrite: true);
            var counts = new Dictionary<string, int>();
            foreach (var line in File.ReadLines(file))
            {
                var m = LogLevel().Match(line);
                if (!m.Success) continue;
                var key = Digits().Replace(line[m.Index..].Trim(), "#");
                if (key.Length > 200) key = key[..200] + "…";
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
            return (counts.Values.Sum(), counts.OrderByDescending(c => c.Value).Select(c => (c.Key, c.Value)).ToList());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, [($"could not read {file}: {e.Message}", 1)]);
        }
    }

    [GeneratedRegex(@"\b(WARNING|ERROR|FATAL|PANIC):")]
    private static partial Regex LogLevel();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    /// <summary>Runs <c>scripts/pg.sh stop DIR</c> (stops the server, removes its folder); once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await StopScriptAsync(_script, Directory, _log);
    }

    private static async Task StopScriptAsync(string script, string directory, TextWriter log)
    {
        log.WriteLine($"stopping PostgreSQL: scripts/pg.sh stop {directory}");
        try
        {
            var (exit, stdout, stderr) = await RunScriptAsync(script, ["stop", directory], TimeSpan.FromSeconds(120));
            if (exit != 0) log.WriteLine($"  scripts/pg.sh stop failed (exit {exit}); remove {directory} by hand:\n{stderr}{stdout}");
        }
        catch (Exception e)
        {
            log.WriteLine($"  scripts/pg.sh stop failed: {e.Message}; stop the server in {directory} by hand");
        }
    }

    /// <summary>Runs pg.sh to the end (not cancellable: a half-started or half-stopped server is worse than waiting).</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> RunScriptAsync(string script, string[] args, TimeSpan limit)
    {
        var info = new ProcessStartInfo("bash", [script, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/pg.sh {args[0]} did not finish within {limit.TotalSeconds} s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
