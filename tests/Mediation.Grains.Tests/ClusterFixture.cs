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
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 11, 9, 0, 0, TimeSpan.Zero));
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("mediation-grains-").FullName;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var options = new MediationSiloOptions { DataDirectory = DataDirectory };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection().Build();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMediation(options, configuration);
            silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Grains, Clock);
            silo.Services.AddKeyedSingleton<TimeProvider>("Orleans.Reminders", Clock);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
