using System.Collections.Concurrent;
using System.Text.Json;
using Mediation.Grains.Webhooks;
using Mediation.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Mediation.Grains.Tests;

/// <summary>
/// The platform's end of the webhook for these tests, put in through DI on every silo: it can be down, and it
/// records each instruction it took and how many times it was sent.
/// </summary>
public sealed class RecordingWebhook : IWebhookSender
{
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentDictionary<string, InstructionWebhook> _taken = new();

    public volatile bool Down;

    public int Attempts(string instructionId) => _attempts.GetValueOrDefault(instructionId);
    public InstructionWebhook? Taken(string instructionId) => _taken.GetValueOrDefault(instructionId);

    public Task<WebhookDelivery> DeliverAsync(OutgoingWebhook webhook, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        _attempts.AddOrUpdate(webhook.Key, 1, (_, n) => n + 1);
        if (Down) return Task.FromResult(WebhookDelivery.Failed);
        _taken.TryAdd(webhook.Key, JsonSerializer.Deserialize<InstructionWebhook>(webhook.Body, MediationJson.Options)!);
        return Task.FromResult(WebhookDelivery.Delivered);
    }
}

/// <summary>
/// Two silos on one SQLite file, real clocks, the outbox reminder every 5 s: the silo holding an undelivered
/// instruction is killed (no graceful stop) and the survivor delivers it from the stored outbox.
/// </summary>
public sealed class InstructionOutboxKillTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("mediation-outbox-").FullName;
    private readonly RecordingWebhook _webhook = new();
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var options = new MediationSiloOptions { DataDirectory = _dataDirectory, MinimumReminderPeriod = TimeSpan.FromSeconds(1) };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mediation:Webhooks:ReminderPeriod"] = "00:00:05",
            ["Mediation:Webhooks:RetryBaseDelay"] = "00:00:00.100",
            ["Mediation:Webhooks:RetryMaxDelay"] = "00:00:00.500",
        }).Build();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMediation(options, configuration);
            silo.Services.AddSingleton<IWebhookSender>(_webhook);
            silo.Configure<ClusterMembershipOptions>(o => { o.ProbeTimeout = TimeSpan.FromSeconds(1); o.NumMissedProbesLimit = 2; });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_silo_killed_with_the_instruction_in_the_outbox_still_delivers_it()
    {
        _webhook.Down = true;
        var id = Guid.NewGuid().ToString("N")[..10];
        var now = DateTimeOffset.UtcNow;
        var instruction = new Instruction($"ins-d-{id}-1", $"d-{id}", $"o-{id}", $"c-{id}", $"m-{id}", Remedy.FullRefund, 199m, "CNY",
            ReturnFirst: true, Guaranteed: false, now, now.AddDays(3), "ruling");
        var grain = _cluster.Client.GetGrain<IInstructionGrain>(instruction.InstructionId);
        await grain.IssueAsync(instruction);
        await UntilAsync(() => _webhook.Attempts(instruction.InstructionId) >= 2, TimeSpan.FromSeconds(20), "two failed attempts");

        Assert.True(_cluster.TryGetGrainContext(grain.GetGrainId(), out var context), "the instruction grain is not active");
        var victim = _cluster.Silos.Single(s => s.SiloAddress.Equals(context!.Address.SiloAddress));
        var survivor = _cluster.Silos.Single(s => s != victim);
        await _cluster.KillSiloAsync(victim);
        _webhook.Down = false;

        // Nothing calls the grain: only its stored outbox and reminder can bring the delivery about.
        await UntilAsync(() => _webhook.Taken(instruction.InstructionId) is not null, TimeSpan.FromSeconds(90), "delivery after the kill");
        Assert.Equal(InstructionWebhook.From(instruction), _webhook.Taken(instruction.InstructionId));
        Assert.True(_cluster.TryGetGrainContext(grain.GetGrainId(), out var after));
        Assert.Equal(survivor.SiloAddress, after!.Address.SiloAddress);

        var status = await grain.GetAsync(new Caller("platform", Role.Ops));
        Assert.True(status.Delivered);
        Assert.True(status.DeliveryAttempts >= 3);
    }

    private static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"no {what} within {timeout.TotalSeconds} s");
            await Task.Delay(50); // poll interval
        }
    }
}
