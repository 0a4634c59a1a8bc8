using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Mediation.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (options.ShowHelp)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

// Thousands of connections need as many sockets: lift the soft limit of open files to the hard one (the services and
// workers started from here inherit it).
var openFiles = ProcStat.RaiseOpenFilesLimit();

// Thousands of connections answer at once; don't let the thread pool's slow ramp-up show as latency.
ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
ThreadPool.SetMinThreads(Math.Max(minWorkers, 64), Math.Max(minIo, 64));

var progress = Console.Error;

// Ctrl-C and SIGTERM cancel the run instead of killing this process, so that the started service is stopped and,
// under --compare, the PostgreSQL server is stopped and its folder removed (scripts/pg.sh stop).
using var interrupt = new CancellationTokenSource();
void Interrupt(PosixSignalContext context)
{
    if (interrupt.IsCancellationRequested) return; // a second signal: let it end the process
    context.Cancel = true;
    progress.WriteLine($"{context.Signal}: stopping (the service and any PostgreSQL server are stopped first)");
    interrupt.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

try
{
    if (options.WorkerSlice is not null) return await WorkerLoad.RunWorkerAsync(options.WorkerSlice, interrupt.Token);
    if (options.ChartFrom is not null)
    {
        var earlier = JsonSerializer.Deserialize<SweepReport>(await File.ReadAllTextAsync(options.ChartFrom), SweepReport.JsonOptions)
            ?? throw new InvalidOperationException($"{options.ChartFrom} holds no report");
        Console.Out.Write(earlier.ToText());
        Chart.Save(earlier, Path.ChangeExtension(options.ChartFrom, ".png"));
        progress.WriteLine($"wrote {Path.ChangeExtension(options.ChartFrom, ".png")}");
        return 0;
    }
    if (openFiles is { } limit && (ulong)options.Disputes * 2 / (ulong)Math.Max(1, options.LoadProcesses) + 1000 > limit)
        progress.WriteLine($"warning: {options.Disputes * 2} connections in {Math.Max(1, options.LoadProcesses)} process(es) against an open-files limit of {limit} per process; use --load-processes");
    if (options.Compare) return await Compare.RunAsync(options, progress, interrupt.Token);
    if (options.Flood) return await Flood.RunAsync(options, progress, interrupt.Token);
    var sweep = await Sweep.RunAsync(options, progress, interrupt.Token);
    var text = sweep.ToText();
    Console.Out.Write(text);
    var json = options.JsonFile ?? Path.Combine(ServiceProcess.RepositoryRoot(), "bench", "results",
        $"{sweep.At:yyyy-MM-dd-HHmm}-{options.Label}-n{options.Disputes}.json");
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
    await File.WriteAllTextAsync(json, JsonSerializer.Serialize(sweep, SweepReport.JsonOptions));
    await File.WriteAllTextAsync(Path.ChangeExtension(json, ".txt"), text);
    var png = Path.ChangeExtension(json, ".png");
    try
    {
        Chart.Save(sweep, png);
        progress.WriteLine($"wrote {json}, {Path.GetFileName(png)} and {Path.GetFileName(Path.ChangeExtension(json, ".txt"))}");
    }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        progress.WriteLine($"wrote {json} and the text; the chart failed: {e.GetType().Name}: {e.Message}");
    }
    return sweep.Systems.Any(s => s.Failure is not null) ? 1 : 0;
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    Console.Error.WriteLine("the benchmark was interrupted; nothing was reported");
    return 130;
}
catch (Exception e)
{
    Console.Error.WriteLine($"the benchmark failed: {e.Message}");
    if (e is RunFailedException { ServiceTail: { Length: > 0 } tail }) Console.Error.WriteLine($"the service's last output:\n{tail}");
    return 1;
}
