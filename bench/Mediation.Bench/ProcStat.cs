using System.Runtime.InteropServices;

namespace Mediation.Bench;

/// <summary>What Linux says about a process in /proc: CPU time from <c>stat</c>, resident memory from <c>status</c>.</summary>
public static partial class ProcStat
{
    private const int ScClockTicks = 2; // _SC_CLK_TCK
    private static readonly double TicksPerSecond = ClockTicks();

    /// <summary>User + system CPU seconds of <paramref name="pid"/> so far (fields 14 and 15 of /proc/PID/stat); null once it is gone.</summary>
    public static double? CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond; // fields[0] is field 3 (state)
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Resident set size of <paramref name="pid"/> in bytes (VmRSS of /proc/PID/status); null once it is gone.</summary>
    public static long? RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Raises this process's soft limit of open files to the hard one (thousands of connections need as many sockets);
    /// the services and workers the bench starts inherit it. Returns the limit now in force, or null off Linux.
    /// </summary>
    public static ulong? RaiseOpenFilesLimit()
    {
        if (!OperatingSystem.IsLinux()) return null;
        const int RlimitNofile = 7;
        if (getrlimit(RlimitNofile, out var limit) != 0) return null;
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (setrlimit(RlimitNofile, in raised) == 0) return raised.Current;
        }
        return limit.Current;
    }

    private static double ClockTicks()
    {
        try
        {
            return OperatingSystem.IsLinux() && sysconf(ScClockTicks) is > 0 and var ticks ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private record struct RLimit(ulong Current, ulong Maximum);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);

    [LibraryImport("libc")]
    private static partial long sysconf(int name);
}
