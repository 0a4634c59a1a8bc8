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
    if (options.Compare) return await Compare.RunAsync(options, progress, interrupt.Token);

    var storage = options.Url is not null ? null
        : options.Environment.Any(e => e.Key.Replace(":", "__").Equals("Mediation__Storage", StringComparison.OrdinalIgnoreCase)
            && e.Value.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase))
            ? "PostgreSQL (the server given by --env; its settings are not known to the bench)"
            : "SQLite, embedded in the service process (WAL, synchronous=FULL), a file in a fresh temp folder";
    var report = await BenchRun.RunAsync(options, new RunSpec(options.Label!, options.Environment, options.Build, options.ServiceLog, storage), progress, interrupt.Token);
    Console.Out.Write(report.ToText());
    if (options.JsonFile is not null)
    {
        await File.WriteAllTextAsync(options.JsonFile, JsonSerializer.Serialize(report, Report.JsonOptions));
        progress.WriteLine($"wrote {options.JsonFile}");
    }
    return 0;
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
