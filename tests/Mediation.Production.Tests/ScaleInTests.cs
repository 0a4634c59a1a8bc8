using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace Mediation.Production.Tests;

/// <summary>Two silos and an API node as an Orleans client; one silo is stopped gracefully while parties chat.</summary>
[Collection(ProductionCollection.Name)]
public sealed class ScaleInTests(PostgresServer server, ITestOutputHelper output)
{
    private const int Disputes = 6;
    private const int MessagesPerParty = 30;

    [Fact]
    public async Task Stopping_one_of_two_silos_gracefully_mid_chat_loses_nothing_and_every_hub_call_succeeds()
    {
        var settings = new ProductionSettings(await server.CreateDatabaseAsync("scalein"));
        var silos = await Task.WhenAll(
            ServiceProcess.StartSiloAsync("silo-1", settings.Silo()),
            ServiceProcess.StartSiloAsync("silo-2", settings.Silo()));
        await using var silo1 = silos[0];
        await using var silo2 = silos[1];
        await using var api = await ServiceProcess.StartApiAsync("api", settings.ClientApi());
        await Poll.UntilAsync(async () => await PostgresServer.ScalarAsync<long>(settings.ConnectionString,
            "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = $1 AND status = 3", settings.ClusterId) == 2,
            TimeSpan.FromSeconds(30), "two active silos");

        // Several disputes, each with its consumer and merchant connected to the hub and following it.
        var chats = new List<Chat>();
        for (var i = 0; i < Disputes; i++)
        {
            var s = await Scenario.PaidOrderAsync(api.As);
            var id = (await s.OpenDisputeAsync()).DisputeId;
            var chat = new Chat(s, id,
                await PartyConnection.ConnectAsync(api.BaseAddress, s.ConsumerId, "consumer"),
                await PartyConnection.ConnectAsync(api.BaseAddress, s.MerchantId, "merchant"));
            await chat.Consumer.Hub.InvokeAsync("JoinDispute", id, 0L);
            await chat.Merchant.Hub.InvokeAsync("JoinDispute", id, 0L);
            chats.Add(chat);
        }

        // A steady trickle: each party of each dispute sends a message every ~150 ms.
        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        var clock = Stopwatch.StartNew();
        var trickle = chats.SelectMany(chat => new[] { (chat, chat.Consumer), (chat, chat.Merchant) }).Select(async pair =>
        {
            var (chat, party) = pair;
            for (var n = 0; n < MessagesPerParty; n++)
            {
                var text = $"{party.UserId} #{n}";
                try
                {
                    await party.Hub.InvokeAsync<long>("SendMessage", chat.DisputeId, text);
                    chat.Sent(party).Enqueue(text);
                    Interlocked.Increment(ref sent);
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{clock.Elapsed.TotalSeconds:0.00} s: {party.UserId} SendMessage '{text}' failed: {e.GetType().Name}: {e.Message}");
                }
                await Task.Delay(150); // pacing of the trickle, not a wait for anything
            }
        }).ToList();

        // A quarter of the way in, silo-2 is stopped the way Kubernetes stops a pod.
        var total = Disputes * 2 * MessagesPerParty;
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref sent) >= total / 4 || failures.Count > 0), TimeSpan.FromSeconds(60), "a quarter of the messages sent");
        var stopping = Stopwatch.StartNew();
        var stoppedAt = clock.Elapsed;
        await silo2.TerminateAsync(TimeSpan.FromSeconds(60));
        var sentByExit = Volatile.Read(ref sent);
        output.WriteLine($"silo-2 got SIGTERM at {stoppedAt.TotalSeconds:0.00} s and exited after {stopping.Elapsed.TotalSeconds:0.0} s; {sentByExit} of {total} sent by then");
        await Task.WhenAll(trickle);

        Assert.True(sentByExit < total, "the chat was over before silo-2 exited; the test proves nothing");
        Assert.True(failures.IsEmpty,
            $"hub calls failed while silo-2 shut down (SIGTERM at {stoppedAt.TotalSeconds:0.00} s):\n{string.Join("\n", failures)}\n--- api output ---\n{Tail(api.Output)}\n--- silo-2 output ---\n{Tail(silo2.Output)}");

        // Every party receives the whole timeline once, in order, including each counterpart message.
        foreach (var chat in chats)
        {
            var lastSeq = (await chat.Scenario.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{chat.DisputeId}", Scenario.Json))!.LastSeq;
            foreach (var (party, counterpart) in new[] { (chat.Consumer, chat.Merchant), (chat.Merchant, chat.Consumer) })
            {
                var events = await party.NextEventsAsync((int)lastSeq, seconds: 20);
                Assert.Equal(Enumerable.Range(1, (int)lastSeq).Select(i => (long)i), events.Select(e => e.Seq));
                var fromCounterpart = events.Where(e => e.Type == DisputeEventType.Message && e.AuthorId == counterpart.UserId).Select(e => e.Text);
                Assert.Equal(chat.Sent(counterpart), fromCounterpart);
            }
        }
        // Nothing more arrives: a sentinel message is the next and only event each party gets.
        foreach (var chat in chats)
        {
            var sentinel = await chat.Consumer.Hub.InvokeAsync<long>("SendMessage", chat.DisputeId, "sentinel");
            foreach (var party in new[] { chat.Consumer, chat.Merchant })
            {
                Assert.Equal(sentinel, Assert.Single(await party.NextEventsAsync(1)).Seq);
                Assert.Empty(party.Pending());
            }
        }
        foreach (var chat in chats) await chat.DisposeAsync();
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];

    private sealed record Chat(Scenario Scenario, string DisputeId, PartyConnection Consumer, PartyConnection Merchant) : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _byConsumer = new();
        private readonly ConcurrentQueue<string> _byMerchant = new();

        public ConcurrentQueue<string> Sent(PartyConnection party) => party == Consumer ? _byConsumer : _byMerchant;

        public async ValueTask DisposeAsync()
        {
            await Consumer.DisposeAsync();
            await Merchant.DisposeAsync();
        }
    }
}
