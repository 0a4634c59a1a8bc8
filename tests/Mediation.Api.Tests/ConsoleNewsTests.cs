using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>
/// A merchant's console gets one line per dispute per window, not one per event: a burst of chat on a dispute is
/// folded into a line carrying its latest state (seq, unread), and the list itself is never behind.
/// </summary>
public sealed class ConsoleNewsTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new() { Settings = { ["Mediation:Deadlines:ConsoleNewsWindow"] = "00:00:05" } };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_burst_of_messages_reaches_the_console_as_one_line_with_the_latest_state()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        await using var console = await PartyConnection.ConnectAsync(_factory.BaseAddress, s.MerchantId, "merchant");
        await console.Hub.InvokeAsync("FollowMerchant", s.MerchantId);
        var dispute = await s.OpenDisputeAsync();
        var opened = await console.NextSummaryAsync();
        Assert.Equal("Opened", opened.GetProperty("kind").GetString());

        // Ten messages inside the window that the Opened line started.
        for (var i = 0; i < 10; i++)
            await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = $"hello {i}" }));

        var line = await console.NextSummaryAsync(seconds: 20);
        Assert.Equal("Message", line.GetProperty("kind").GetString());
        Assert.Equal(11, line.GetProperty("seq").GetInt64());
        Assert.Equal(11, line.GetProperty("unread").GetInt64());
        Assert.Empty(console.PendingSummaries()); // one line for the ten, not ten

        // The list read now is exactly as current as the line.
        var list = await s.Merchant.GetFromJsonAsync<PartyDisputes>($"/api/merchants/{s.MerchantId}/disputes", Scenario.Json);
        Assert.Equal(11, Assert.Single(list!.Disputes).LastSeq);
    }
}
