using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace Mediation.Api.Tests;

/// <summary>
/// Phone numbers and addresses are the parties' own: the other party sees them masked until the remedy needs them,
/// a mediator's case file masks them, and no message text or phone number reaches the log at Information or above.
/// </summary>
public sealed class PersonalDataTests(MediationFixture fixture) : IClassFixture<MediationFixture>
{
    private ApiFactory Factory => fixture.Factory;
    private static readonly JsonSerializerOptions Json = MediationJson.Options;

    private const string Phone = "138 0013 8000";
    private const string PhoneDigits = "13800138000";
    private const string Address = "88 Nanshan Road";

    private sealed record Parties(string DisputeId, string ConsumerId, string MerchantId, HttpClient Consumer, HttpClient Merchant, HttpClient Ops);

    private async Task<Parties> OpenAsync(string city, string remedy = "FullRefund", string description = "The tins arrived crushed.")
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var ops = Factory.As("platform", "ops");
        var consumer = Factory.As($"c-{id}", "consumer");
        var merchant = Factory.As($"m-{id}", "merchant");
        Assert.Equal(HttpStatusCode.Created, (await ops.PostAsJsonAsync("/api/orders", new
        {
            orderId = $"o-{id}", consumerId = $"c-{id}", merchantId = $"m-{id}", storeName = "Canal Silk", city,
            items = new[] { new { name = "Silk scarf", spec = "90 cm", quantity = 2, price = 100m } }, total = 200m, currency = "CNY",
            paidAt = "2026-11-20T10:00:00Z", paymentChannel = "WeChat Pay",
        })).StatusCode);
        var opened = await consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = $"o-{id}", category = "NotAsDescribed", requestedRemedy = remedy, claimedAmount = remedy is "Exchange" or "Repair" ? 0m : 200m, description,
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var dispute = (await opened.Content.ReadFromJsonAsync<DisputeView>(Json))!;
        return new Parties(dispute.DisputeId, $"c-{id}", $"m-{id}", consumer, merchant, ops);
    }

    private static async Task<IReadOnlyList<DisputeEvent>> TimelineAsync(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<List<DisputeEvent>>($"/api/disputes/{disputeId}/events?afterSeq=0", Json))!;

    private static async Task<DisputeView> ViewAsync(HttpClient client, string disputeId) =>
        (await client.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Json))!;

    private static void AssertMasked(string? text, bool withAddress = true)
    {
        Assert.NotNull(text);
        Assert.DoesNotContain(Phone, text);
        Assert.DoesNotContain("0013", text);
        Assert.DoesNotContain(Address, text);
        Assert.Contains("•••••••••00", text); // the last two digits stay, so the reader knows a number was there
        if (withAddress) Assert.Contains(PersonalData.MaskedAddress, text);
    }

    [Fact]
    public async Task No_message_text_or_phone_number_is_logged_at_Information_or_above()
    {
        var p = await OpenAsync("Hangzhou", description: $"Tangerine-Zebra description, call {Phone}");
        await using var merchant = await PartyConnection.ConnectAsync(Factory.BaseAddress, p.MerchantId, "merchant");
        await merchant.Hub.InvokeAsync("JoinDispute", p.DisputeId, 0L);
        await Scenario.EventAsync(await p.Consumer.PostAsJsonAsync($"/api/disputes/{p.DisputeId}/messages", new { text = $"Tangerine-Zebra over REST: call {Phone} at {Address}" }));
        await using var consumer = await PartyConnection.ConnectAsync(Factory.BaseAddress, p.ConsumerId, "consumer");
        await consumer.Hub.InvokeAsync<long>("SendMessage", p.DisputeId, $"Tangerine-Zebra over the hub: {PhoneDigits}");
        // A refused one too: a stranger's message, then one too long.
        await using var stranger = await PartyConnection.ConnectAsync(Factory.BaseAddress, "c-stranger", "consumer");
        await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => stranger.Hub.InvokeAsync<long>("SendMessage", p.DisputeId, $"Tangerine-Zebra stranger {Phone}"));
        await merchant.NextEventsAsync(3); // Opened, and the two messages, pushed

        var logged = Factory.Logs.Entries.Where(e => e.Level >= LogLevel.Information).ToList();
        Assert.NotEmpty(logged);
        Assert.DoesNotContain(logged, e => e.Message.Contains("Tangerine", StringComparison.OrdinalIgnoreCase)
                                           || e.Message.Contains(PhoneDigits) || e.Message.Contains(Phone) || e.Message.Contains(Address)
                                           || (e.Exception?.ToString().Contains("Tangerine", StringComparison.Ordinal) ?? false));
    }

    [Fact]
    public async Task The_merchant_sees_the_consumers_phone_and_address_masked_until_an_exchange_needs_them()
    {
        var p = await OpenAsync("Hangzhou", remedy: "Exchange", description: $"Wrong size. Call {Phone}.");
        var text = $"Please call {Phone}; I live at {Address}.";
        await using var merchant = await PartyConnection.ConnectAsync(Factory.BaseAddress, p.MerchantId, "merchant");
        await merchant.Hub.InvokeAsync("JoinDispute", p.DisputeId, 0L);
        await Scenario.EventAsync(await p.Consumer.PostAsJsonAsync($"/api/disputes/{p.DisputeId}/messages", new { text }));

        // The merchant: over REST, in the live push, in the dispute's description and in its case file.
        AssertMasked((await TimelineAsync(p.Merchant, p.DisputeId)).Single(e => e.Type == DisputeEventType.Message).Text);
        var pushed = await merchant.NextEventsAsync(2);
        AssertMasked(pushed.Single(e => e.Type == DisputeEventType.Message).Text);
        Assert.DoesNotContain(Phone, pushed.Single(e => e.Type == DisputeEventType.Opened).Text);
        Assert.DoesNotContain(Phone, (await ViewAsync(p.Merchant, p.DisputeId)).Description);
        var file = (await p.Merchant.GetFromJsonAsync<CaseFile>($"/api/disputes/{p.DisputeId}/case-file", Json))!;
        AssertMasked(file.Timeline.Single(e => e.Type == DisputeEventType.Message).Text);

        // The consumer reads its own words as written.
        Assert.Equal(text, (await TimelineAsync(p.Consumer, p.DisputeId)).Single(e => e.Type == DisputeEventType.Message).Text);
        Assert.Equal($"Wrong size. Call {Phone}.", (await ViewAsync(p.Consumer, p.DisputeId)).Description);

        // The merchant accepts the exchange: it sends the goods back to the consumer, so now it sees where and whom to call.
        await Scenario.EventAsync(await p.Merchant.PostAsync($"/api/disputes/{p.DisputeId}/offers/1/accept", null));
        Assert.Equal(Remedy.Exchange, (await ViewAsync(p.Merchant, p.DisputeId)).Outcome?.Remedy);
        Assert.Equal(text, (await TimelineAsync(p.Merchant, p.DisputeId)).Single(e => e.Type == DisputeEventType.Message).Text);
        Assert.Equal($"Wrong size. Call {Phone}.", (await ViewAsync(p.Merchant, p.DisputeId)).Description);
    }

    [Fact]
    public async Task The_return_address_and_the_merchants_phone_reach_the_consumer_only_once_a_return_is_owed()
    {
        var p = await OpenAsync("Hangzhou", remedy: "ReturnAndRefund");
        Assert.Equal(HttpStatusCode.OK, (await p.Ops.PutAsJsonAsync($"/api/merchants/{p.MerchantId}/profile",
            new { verified = true, city = "Hangzhou", returnAddress = "1 Harbour Road, Ningbo" })).StatusCode);
        var text = $"Our returns desk: {Phone}, {Address}.";
        await Scenario.EventAsync(await p.Merchant.PostAsJsonAsync($"/api/disputes/{p.DisputeId}/messages", new { text }));

        var negotiating = await ViewAsync(p.Consumer, p.DisputeId);
        Assert.Null(negotiating.ReturnAddress);
        AssertMasked((await TimelineAsync(p.Consumer, p.DisputeId)).Single(e => e.Type == DisputeEventType.Message).Text);

        // The merchant accepts the consumer's claim: the goods go back first.
        await Scenario.EventAsync(await p.Merchant.PostAsync($"/api/disputes/{p.DisputeId}/offers/1/accept", null));
        var owed = await ViewAsync(p.Consumer, p.DisputeId);
        Assert.Equal(DisputeState.AwaitingReturn, owed.State);
        Assert.Equal("1 Harbour Road, Ningbo", owed.ReturnAddress);
        Assert.Equal(text, (await TimelineAsync(p.Consumer, p.DisputeId)).Single(e => e.Type == DisputeEventType.Message).Text);
    }

    [Fact]
    public async Task A_mediators_case_file_masks_the_parties_phones_and_addresses()
    {
        var p = await OpenAsync("Suzhou", description: $"Not silk at all. Call {Phone}, I am at {Address}.");
        Assert.Equal(HttpStatusCode.OK, (await p.Ops.PutAsJsonAsync($"/api/merchants/{p.MerchantId}/profile",
            new { verified = true, city = "Suzhou", returnAddress = "1 Harbour Road, Suzhou" })).StatusCode);
        await Scenario.EventAsync(await p.Merchant.PostAsJsonAsync($"/api/disputes/{p.DisputeId}/messages", new { text = $"It is silk. Shop phone {Phone}." }));
        await Scenario.EventAsync(await p.Consumer.PostAsJsonAsync($"/api/disputes/{p.DisputeId}/messages", new { text = $"Come and see, {Address}, {Phone}." }));
        await Poll.UntilAsync(async () => (await ViewAsync(p.Consumer, p.DisputeId)).AllowedActions.Contains(DisputeAction.Escalate),
            TimeSpan.FromSeconds(15), "escalation allowed after the one-second window");
        await Scenario.EventAsync(await p.Consumer.PostAsync($"/api/disputes/{p.DisputeId}/escalate", null));
        var mediator = Factory.As("med-s1", "mediator");
        await Poll.UntilAsync(async () => (await ViewAsync(p.Consumer, p.DisputeId)).MediatorId == "med-s1",
            TimeSpan.FromSeconds(15), "assigned to the Suzhou mediator");

        var json = await mediator.GetStringAsync($"/api/disputes/{p.DisputeId}/case-file");
        Assert.DoesNotContain("0013", json);
        Assert.DoesNotContain(Address, json);
        var file = JsonSerializer.Deserialize<CaseFile>(json, Json)!;
        Assert.Contains("•••••••••00", file.Dispute.Description);
        Assert.All(file.Timeline.Where(e => e.Type == DisputeEventType.Message), e => AssertMasked(e.Text, withAddress: e.AuthorRole == "consumer"));
        var html = await mediator.GetStringAsync($"/api/disputes/{p.DisputeId}/case-file?format=html");
        Assert.DoesNotContain("0013", html);
        Assert.DoesNotContain(Address, html);

        // The parties' own words stay theirs in their files.
        var consumerFile = (await p.Consumer.GetFromJsonAsync<CaseFile>($"/api/disputes/{p.DisputeId}/case-file", Json))!;
        Assert.Contains(consumerFile.Timeline, e => e.Text == $"Come and see, {Address}, {Phone}.");
        AssertMasked(consumerFile.Timeline.Single(e => e.Text?.StartsWith("It is silk", StringComparison.Ordinal) == true).Text, withAddress: false);
    }
}
