using Mediation.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Mediation.Grains.Tests;

/// <summary>
/// A two-silo cluster on one temporary SQLite file, with the grains' and reminders' clocks on a fake time
/// provider so deadlines are tested by moving the clock. Membership and messaging stay on real time.
/// The cluster (and so the fake clock) is shared by the collection; each test takes its own <see cref="TestClock"/>.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 11, 9, 0, 0, TimeSpan.Zero));
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("mediation-grains-").FullName;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var options = new MediationSiloOptions { DataDirectory = DataDirectory };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Each mediation test has a city of its own, so that desks never share cases between tests.
            ["Mediation:Cities:Balance:Mediators:0"] = "med-b1",
            ["Mediation:Cities:Balance:Mediators:1"] = "med-b2",
            ["Mediation:Cities:Balance:Mediators:2"] = "med-b3",
            ["Mediation:Cities:Ruling:Mediators:0"] = "med-r1",
            ["Mediation:Cities:Returns:Mediators:0"] = "med-x1",
            ["Mediation:Cities:Priority:Mediators:0"] = "med-p1",
            ["Mediation:Desk:MaxOpenCases"] = "5",
        }).Build();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMediation(options, configuration);
            silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Grains, _clock);
            silo.Services.AddKeyedSingleton<TimeProvider>("Orleans.Reminders", _clock);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>A clock for one test, starting wherever earlier tests left the shared one.</summary>
    public TestClock StartTestClock() => new(_clock);

    /// <summary>The silo the grain is active on, or null when it is not active.</summary>
    public SiloAddress? HostOf(IAddressable grain) =>
        Cluster.TryGetGrainContext(grain.GetGrainId(), out var context) ? context.Address.SiloAddress : null;

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// One test's view of the shared fake clock: its times are offsets from <see cref="Start"/>, so they never depend on
/// how far earlier tests moved the clock, and it refuses to go back or to jump past a time the test asks for.
/// </summary>
public sealed class TestClock(FakeTimeProvider shared)
{
    public DateTimeOffset Start { get; } = shared.GetUtcNow();
    public DateTimeOffset Now => shared.GetUtcNow();
    public TimeSpan Elapsed => Now - Start;

    /// <summary>Moves the clock to <see cref="Start"/> + <paramref name="sinceStart"/>.</summary>
    public void AdvanceTo(TimeSpan sinceStart)
    {
        Assert.True(Elapsed <= sinceStart, $"the test's clock is already at +{Elapsed}, past +{sinceStart}");
        shared.Advance(sinceStart - Elapsed);
    }

    /// <summary>
    /// Polls until <paramref name="condition"/> holds, moving the clock on in 5 s steps meanwhile (the reminder
    /// service loads due reminders on its own fake clock's ticks), never past +<paramref name="notAfter"/>.
    /// </summary>
    public async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan notAfter, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen by +{Elapsed} (test clock)");
            Step(TimeSpan.FromSeconds(5), notAfter);
            await Task.Delay(20); // poll interval
        }
    }

    /// <summary>Moves the clock on by <paramref name="step"/>, never past <see cref="Start"/> + <paramref name="notAfter"/>.</summary>
    public void Step(TimeSpan step, TimeSpan notAfter)
    {
        if (Elapsed < notAfter) shared.Advance(step < notAfter - Elapsed ? step : notAfter - Elapsed);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
