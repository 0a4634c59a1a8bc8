using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Mediation.Api.Admission;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Mediation.Api.Tests;

/// <summary>
/// Refusals past an address's free ones are held before they are answered (Mediation:RateLimits:RefusalHold), so that a
/// client ignoring Retry-After gets its requests back at the hold's pace instead of as fast as they can be refused: a
/// 429 on REST and on the hub, a 401 for a bad token. The hold here is ten minutes, so "still held" cannot be luck; a
/// held refusal is released when its caller goes away, and past MaxHeldRefusals a refusal is answered at once.
/// </summary>
public sealed class RefusalHoldTests : IAsyncLifetime
{
    private const string Long = "00:10:00";

    private readonly ApiFactory _factory = new()
    {
        Settings =
        {
            ["Mediation:RateLimits:Messages:PerUser:TokenLimit"] = "1",
            ["Mediation:RateLimits:Messages:PerUser:TokensPerPeriod"] = "1",
            ["Mediation:RateLimits:Messages:PerUser:ReplenishmentPeriod"] = Long,
            ["Mediation:RateLimits:HubCalls:TokenLimit"] = "1",
            ["Mediation:RateLimits:HubCalls:TokensPerPeriod"] = "1",
            ["Mediation:RateLimits:HubCalls:ReplenishmentPeriod"] = Long,
            ["Mediation:RateLimits:FreeRefusals:TokenLimit"] = "1",
            ["Mediation:RateLimits:FreeRefusals:TokensPerPeriod"] = "1",
            ["Mediation:RateLimits:FreeRefusals:ReplenishmentPeriod"] = Long,
            ["Mediation:RateLimits:RefusalHold"] = Long,
            ["Mediation:RateLimits:MaxHeldRefusals"] = "2",
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private RefusalHold Hold => _factory.Services.GetRequiredService<RefusalHold>();

    private Task HeldAsync(int count) =>
        Poll.UntilAsync(() => Task.FromResult(Hold.Held == count), TimeSpan.FromSeconds(15), $"{count} refusals held", () => $"held: {Hold.Held}");

    [Fact]
    public async Task Past_the_free_refusals_a_429_is_held_and_past_the_cap_answered_at_once()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        var messages = $"/api/disputes/{dispute.DisputeId}/messages";
        await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync(messages, new { text = "the one allowed" }));

        // The address's one free refusal: answered at once, with Retry-After.
        var free = await s.Consumer.PostAsJsonAsync(messages, new { text = "refused at once" });
        Assert.Equal(HttpStatusCode.TooManyRequests, free.StatusCode);
        Assert.NotNull(free.Headers.RetryAfter?.Delta);

        // The next two are held (the hold is ten minutes); the caller that gives up releases its hold.
        using var giveUp = new CancellationTokenSource();
        var held = Enumerable.Range(0, 2).Select(i => s.Consumer.PostAsJsonAsync(messages, new { text = $"held {i}" }, giveUp.Token)).ToList();
        await HeldAsync(2);

        // Past MaxHeldRefusals (2) a refusal is answered at once: memory stays bounded whatever the flood.
        var overCap = await s.Consumer.PostAsJsonAsync(messages, new { text = "over the cap" }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.TooManyRequests, overCap.StatusCode);
        Assert.All(held, t => Assert.False(t.IsCompleted, "a held refusal was answered"));

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(held));
        await HeldAsync(0);

        // Nothing of any refused message was stored.
        var timeline = await s.TimelineAsync(dispute.DisputeId);
        Assert.Equal(["the one allowed"], timeline.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Text));
    }

    [Fact]
    public async Task A_bad_token_past_the_free_refusals_is_held_and_a_good_one_is_not()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        using var forger = _factory.CreateClient();
        var forged = TestTokens.For(s.ConsumerId, "consumer", key: Convert.ToBase64String(new byte[32]));
        forger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);

        var first = await forger.GetAsync($"/api/disputes/{dispute.DisputeId}");
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal("application/problem+json", first.Content.Headers.ContentType?.MediaType);

        using var giveUp = new CancellationTokenSource();
        var second = forger.GetAsync($"/api/disputes/{dispute.DisputeId}", giveUp.Token);
        await HeldAsync(1);

        // Meanwhile the real consumer, from the same address, is answered as usual: only refusals are held.
        var real = await s.Consumer.GetAsync($"/api/disputes/{dispute.DisputeId}").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
        Assert.False(second.IsCompleted, "the held 401 was answered");

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        await HeldAsync(0);
    }

    [Fact]
    public async Task A_hub_connection_past_its_allowance_waits_out_its_held_refusal_before_its_next_call()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        await using var merchant = await PartyConnection.ConnectAsync(_factory.BaseAddress, s.MerchantId, "merchant");
        await using var consumer = await PartyConnection.ConnectAsync(_factory.BaseAddress, s.ConsumerId, "consumer");

        await merchant.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "the one allowed");
        var refused = await Assert.ThrowsAsync<HubException>(() => merchant.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "refused at once"));
        Assert.StartsWith("429 Too many calls", refused.Message);

        // The next refusal is held; the connection runs one call at a time, so its following call waits behind it.
        var held = merchant.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "held");
        await HeldAsync(1);
        var behind = merchant.Hub.InvokeAsync("MarkRead", dispute.DisputeId, 1L);

        // Another connection is not held up: the consumer's call is answered and its message stored.
        var seq = await consumer.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "from the other side").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(held.IsCompleted, "the held refusal was answered");
        Assert.False(behind.IsCompleted, "a call behind a held refusal ran");

        // Closing the connection releases the hold.
        await merchant.Hub.StopAsync();
        await HeldAsync(0);
        await Assert.ThrowsAnyAsync<Exception>(() => held);
        await Assert.ThrowsAnyAsync<Exception>(() => behind);
        var timeline = await s.TimelineAsync(dispute.DisputeId);
        Assert.Equal(["the one allowed", "from the other side"], timeline.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Text));
        Assert.Contains(timeline, e => e.Seq == seq);
    }
}
