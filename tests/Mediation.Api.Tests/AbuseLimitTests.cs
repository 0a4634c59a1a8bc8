using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>
/// Abuse limits: past a user's allowance on a route that creates something, a call is answered 429 with Retry-After
/// and our words, and did nothing; another user is not touched; an address has its own allowance; a hub connection
/// past its allowance gets a HubException in the same shape and stays usable.
/// </summary>
public sealed class AbuseLimitTests : IAsyncLifetime
{
    private const string Long = "00:10:00"; // no refill while a test runs

    private readonly ApiFactory _factory = new()
    {
        Settings =
        {
            ["Mediation:RateLimits:Disputes:PerUser:TokenLimit"] = "1",
            ["Mediation:RateLimits:Disputes:PerUser:ReplenishmentPeriod"] = Long,
            ["Mediation:RateLimits:Messages:PerUser:TokenLimit"] = "3",
            ["Mediation:RateLimits:Messages:PerUser:TokensPerPeriod"] = "1",
            ["Mediation:RateLimits:Messages:PerUser:ReplenishmentPeriod"] = Long,
            ["Mediation:RateLimits:Offers:PerUser:TokenLimit"] = "2",
            ["Mediation:RateLimits:Offers:PerUser:TokensPerPeriod"] = "1",
            ["Mediation:RateLimits:Offers:PerUser:ReplenishmentPeriod"] = Long,
            ["Mediation:RateLimits:Evidence:PerUser:TokenLimit"] = "1",
            ["Mediation:RateLimits:Evidence:PerUser:ReplenishmentPeriod"] = Long,
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Messages_past_a_users_allowance_are_429_with_retry_after_and_change_nothing()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        for (var i = 0; i < 3; i++)
            await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = $"hello {i}" }));
        var before = await s.TimelineAsync(dispute.DisputeId);

        await AssertTooManyAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "one too many" }), "messages");

        Assert.Equal(before.Select(e => e.Seq), (await s.TimelineAsync(dispute.DisputeId)).Select(e => e.Seq));
        Assert.DoesNotContain(await s.TimelineAsync(dispute.DisputeId), e => e.Text == "one too many");
    }

    [Fact]
    public async Task A_flooded_user_does_not_limit_another_user()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        var refused = 0;
        for (var i = 0; i < 10; i++)
        {
            var response = await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = $"flood {i}" });
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused++;
        }
        Assert.Equal(7, refused);

        // The merchant, in the same dispute, from the same address: its own allowance, untouched.
        for (var i = 0; i < 3; i++)
            await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = $"answer {i}" }));
        // And another consumer elsewhere.
        var other = await Scenario.PaidOrderAsync(_factory.As);
        var otherDispute = await other.OpenDisputeAsync();
        await Scenario.EventAsync(await other.Consumer.PostAsJsonAsync($"/api/disputes/{otherDispute.DisputeId}/messages", new { text = "hello" }));
    }

    [Fact]
    public async Task Opening_disputes_offers_and_uploads_past_the_allowance_are_429()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();

        // The same consumer opens a dispute on a second order: past its allowance of one.
        var secondOrder = $"o-{Guid.NewGuid():N}"[..14];
        var order = JsonSerializer.SerializeToElement(s.OrderBody());
        var body = JsonSerializer.Deserialize<Dictionary<string, object>>(order.GetRawText())!;
        body["orderId"] = secondOrder;
        Assert.Equal(HttpStatusCode.Created, (await s.Ops.PostAsJsonAsync("/api/orders", body)).StatusCode);
        await AssertTooManyAsync(await s.Consumer.PostAsJsonAsync("/api/disputes", new
        {
            orderId = secondOrder, category = "Quality", requestedRemedy = "FullRefund", claimedAmount = 199m, description = "again",
        }), "disputes opened");
        var list = await s.Consumer.GetFromJsonAsync<JsonElement>($"/api/consumers/{s.ConsumerId}/disputes");
        Assert.Equal(1, list.GetProperty("disputes").GetArrayLength());

        // Offers: two, then refused.
        await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/offers", new { remedy = "PartialRefund", amount = 50 }));
        await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/offers", new { remedy = "PartialRefund", amount = 60 }));
        var before = await s.TimelineAsync(dispute.DisputeId);
        await AssertTooManyAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/offers", new { remedy = "PartialRefund", amount = 70 }), "offers");
        Assert.Equal(before.Select(e => e.Seq), (await s.TimelineAsync(dispute.DisputeId)).Select(e => e.Seq));

        // Evidence: one, then refused; the refused upload stored nothing.
        var photo = EvidenceTests.Jpeg(withLocation: false);
        await Scenario.EventAsync(await EvidenceTests.UploadAsync(s.Consumer, dispute.DisputeId, photo, "crushed.jpg", "image/jpeg"));
        before = await s.TimelineAsync(dispute.DisputeId);
        await AssertTooManyAsync(await EvidenceTests.UploadAsync(s.Consumer, dispute.DisputeId, EvidenceTests.Jpeg(withLocation: false, width: 80), "again.jpg", "image/jpeg"), "evidence uploads");
        Assert.Equal(before.Select(e => e.Seq), (await s.TimelineAsync(dispute.DisputeId)).Select(e => e.Seq));
        var folder = Path.Combine(_factory.DataDirectory, "evidence", dispute.DisputeId);
        if (Directory.Exists(folder))
            Assert.DoesNotContain(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories),
                f => !Path.GetFileName(f).StartsWith(before.Single(e => e.Type == DisputeEventType.EvidenceAdded).Evidence!.Sha256, StringComparison.Ordinal));
    }

    [Fact]
    public async Task REST_and_the_hub_share_a_users_message_allowance()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        await using var consumer = await PartyConnection.ConnectAsync(_factory.BaseAddress, s.ConsumerId, "consumer");
        await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "rest 1" }));
        await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "rest 2" }));
        await consumer.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "hub 3");
        var before = await s.TimelineAsync(dispute.DisputeId);

        // The allowance (3) is used up over both: a fourth is refused on the hub and on REST, however it comes.
        var refused = await Assert.ThrowsAsync<HubException>(() => consumer.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "hub 4"));
        Assert.StartsWith("429 Too many calls: too many messages from you", refused.Message);
        Assert.Matches(@"\(retry after \d+ s\)$", refused.Message);
        await AssertTooManyAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "rest 4" }), "messages");
        Assert.Equal(before.Select(e => e.Seq), (await s.TimelineAsync(dispute.DisputeId)).Select(e => e.Seq));

        // A second connection of the same user has its own connection allowance, not a second message allowance.
        await using var again = await PartyConnection.ConnectAsync(_factory.BaseAddress, s.ConsumerId, "consumer");
        await Assert.ThrowsAsync<HubException>(() => again.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "hub 5"));
        // The merchant's allowance is its own.
        await Scenario.EventAsync(await s.Merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "answer" }));
    }

    [Fact]
    public async Task Each_of_a_merchants_staff_has_an_allowance_of_their_own()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        HttpClient Staff(string id)
        {
            var client = _factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                TestTokens.For(id, "merchant-staff", new Dictionary<string, object> { ["merchant"] = s.MerchantId }));
            return client;
        }
        using var ana = Staff($"ana-{s.MerchantId}");
        using var bo = Staff($"bo-{s.MerchantId}");
        for (var i = 0; i < 3; i++)
            await Scenario.EventAsync(await ana.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = $"ana {i}" }));
        await AssertTooManyAsync(await ana.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "ana again" }), "messages");

        // Another agent of the same merchant is a different person: not refused for Ana's messages.
        await Scenario.EventAsync(await bo.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "bo" }));
    }

    [Fact]
    public async Task A_hub_message_over_64_KB_is_refused_and_changes_nothing()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        await using var merchant = await PartyConnection.ConnectAsync(_factory.BaseAddress, s.MerchantId, "merchant");
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        merchant.Hub.Reconnecting += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        merchant.Hub.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };

        await Assert.ThrowsAnyAsync<Exception>(() => merchant.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, new string('x', 100_000)));
        // The server closes a connection that sends a frame past the limit.
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Single(await s.TimelineAsync(dispute.DisputeId));
    }

    private static async Task AssertTooManyAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal("Too many calls", problem.GetProperty("title").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains($"too many {what}", detail);
        Assert.Contains("nothing was done", detail);
        Assert.DoesNotContain("Exception", body);
    }
}

/// <summary>Each address has its own allowance on top of each user's: many users behind one address share it.</summary>
public sealed class AddressLimitTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new()
    {
        Settings =
        {
            ["Mediation:RateLimits:Messages:PerIp:TokenLimit"] = "4",
            ["Mediation:RateLimits:Messages:PerIp:TokensPerPeriod"] = "1",
            ["Mediation:RateLimits:Messages:PerIp:ReplenishmentPeriod"] = "00:10:00",
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Users_behind_one_address_share_its_allowance()
    {
        var a = await Scenario.PaidOrderAsync(_factory.As);
        var da = await a.OpenDisputeAsync();
        var b = await Scenario.PaidOrderAsync(_factory.As);
        var db = await b.OpenDisputeAsync();

        // Four users, one message each, all from 127.0.0.1: each well inside its own allowance.
        await Scenario.EventAsync(await a.Consumer.PostAsJsonAsync($"/api/disputes/{da.DisputeId}/messages", new { text = "a1" }));
        await Scenario.EventAsync(await a.Merchant.PostAsJsonAsync($"/api/disputes/{da.DisputeId}/messages", new { text = "a2" }));
        await Scenario.EventAsync(await b.Consumer.PostAsJsonAsync($"/api/disputes/{db.DisputeId}/messages", new { text = "b1" }));
        await Scenario.EventAsync(await b.Merchant.PostAsJsonAsync($"/api/disputes/{db.DisputeId}/messages", new { text = "b2" }));
        var before = await b.TimelineAsync(db.DisputeId);

        var response = await b.Merchant.PostAsJsonAsync($"/api/disputes/{db.DisputeId}/messages", new { text = "b3" });
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        Assert.Equal(before.Select(e => e.Seq), (await b.TimelineAsync(db.DisputeId)).Select(e => e.Seq));

        // Offers are a different allowance: the address's messages being used up does not stop them.
        await Scenario.EventAsync(await b.Merchant.PostAsJsonAsync($"/api/disputes/{db.DisputeId}/offers", new { remedy = "PartialRefund", amount = 50 }));
    }
}

/// <summary>A hub connection past its own allowance of calls (whatever the method) gets a HubException in the REST shape and stays usable.</summary>
public sealed class HubCallLimitTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new()
    {
        Settings =
        {
            ["Mediation:RateLimits:HubCalls:TokenLimit"] = "3",
            ["Mediation:RateLimits:HubCalls:TokensPerPeriod"] = "3",
            ["Mediation:RateLimits:HubCalls:ReplenishmentPeriod"] = "00:00:02",
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_hub_connection_past_its_allowance_gets_429_and_stays_usable()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync();
        await using var merchant = await PartyConnection.ConnectAsync(_factory.BaseAddress, s.MerchantId, "merchant");

        // Twelve calls at once on one connection: three in the bucket, a few more refilled at most.
        var calls = Enumerable.Range(0, 12).Select(i => merchant.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, $"burst {i}")).ToList();
        var accepted = new List<long>();
        var refusals = new List<string>();
        foreach (var call in calls)
        {
            try { accepted.Add(await call); }
            catch (HubException e) { refusals.Add(e.Message); }
        }
        Assert.NotEmpty(refusals);
        Assert.All(refusals, message =>
        {
            Assert.StartsWith("429 Too many calls: too many calls on this connection", message);
            Assert.Matches(@"\(retry after \d+ s\)$", message);
        });

        // The refused calls did nothing: exactly the accepted messages are on the timeline.
        var timeline = await s.TimelineAsync(dispute.DisputeId);
        Assert.Equal(accepted.Count, timeline.Count(e => e.Type == DisputeEventType.Message));
        Assert.Equal(accepted.Order(), timeline.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Seq));

        // Still connected; once the bucket refills, the same connection goes on.
        Assert.Equal(HubConnectionState.Connected, merchant.Hub.State);
        long? later = null;
        await Poll.UntilAsync(async () =>
        {
            try { later = await merchant.Hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "after the pause"); return true; }
            catch (HubException e) when (e.Message.StartsWith("429 ", StringComparison.Ordinal)) { return false; }
        }, TimeSpan.FromSeconds(15), "accepted again after the refill");
        Assert.Equal(HubConnectionState.Connected, merchant.Hub.State);
        Assert.Contains(await s.TimelineAsync(dispute.DisputeId), e => e.Seq == later && e.Text == "after the pause");
    }
}

/// <summary>
/// Behind a trusted proxy (Mediation:ForwardedHeaders) the per-address limit keys on the client's address from
/// X-Forwarded-For; from anyone else the header is ignored, so a client cannot dodge it by naming other addresses.
/// </summary>
public sealed class ForwardedAddressLimitTests
{
    private static ApiFactory Factory(bool trustLoopback)
    {
        var factory = new ApiFactory
        {
            Settings =
            {
                ["Mediation:RateLimits:Messages:PerIp:TokenLimit"] = "1",
                ["Mediation:RateLimits:Messages:PerIp:TokensPerPeriod"] = "1",
                ["Mediation:RateLimits:Messages:PerIp:ReplenishmentPeriod"] = "00:10:00",
            },
        };
        if (trustLoopback) factory.Settings["Mediation:ForwardedHeaders:KnownNetworks:0"] = "127.0.0.0/8";
        return factory;
    }

    private static async Task<HttpStatusCode> SendFromAsync(HttpClient party, string disputeId, string forwardedFor, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/disputes/{disputeId}/messages") { Content = JsonContent.Create(new { text }) };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await party.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_client_address_has_its_own_allowance()
    {
        await using var factory = Factory(trustLoopback: true);
        var s = await Scenario.PaidOrderAsync(factory.As);
        var dispute = await s.OpenDisputeAsync();

        Assert.Equal(HttpStatusCode.Created, await SendFromAsync(s.Consumer, dispute.DisputeId, "203.0.113.7", "from the consumer's phone"));
        Assert.Equal(HttpStatusCode.Created, await SendFromAsync(s.Merchant, dispute.DisputeId, "198.51.100.20", "from the merchant's office"));
        // A third call from the first address: that address's allowance (1) is used up.
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendFromAsync(s.Merchant, dispute.DisputeId, "203.0.113.7", "same address"));
    }

    [Fact]
    public async Task Without_a_trusted_proxy_X_Forwarded_For_is_ignored()
    {
        await using var factory = Factory(trustLoopback: false);
        var s = await Scenario.PaidOrderAsync(factory.As);
        var dispute = await s.OpenDisputeAsync();

        Assert.Equal(HttpStatusCode.Created, await SendFromAsync(s.Consumer, dispute.DisputeId, "203.0.113.7", "first"));
        // Naming another address does not make another allowance: both came from 127.0.0.1.
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendFromAsync(s.Merchant, dispute.DisputeId, "198.51.100.20", "second"));
        Assert.Single(await s.TimelineAsync(dispute.DisputeId), e => e.Type == DisputeEventType.Message);
    }
}

/// <summary>
/// Every call a user makes, reads included, counts against one allowance (Mediation:RateLimits:Calls), so that a flood
/// of reads is refused like a flood of messages; the payment platform's service identity (ops) is not counted.
/// </summary>
public sealed class CallLimitTests : IAsyncLifetime
{
    private readonly ApiFactory _factory = new()
    {
        Settings =
        {
            ["Mediation:RateLimits:Calls:PerUser:TokenLimit"] = "6",
            ["Mediation:RateLimits:Calls:PerUser:TokensPerPeriod"] = "1",
            ["Mediation:RateLimits:Calls:PerUser:ReplenishmentPeriod"] = "00:10:00",
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Reads_past_a_users_allowance_are_429_and_other_users_and_the_platform_go_on()
    {
        var s = await Scenario.PaidOrderAsync(_factory.As);
        var dispute = await s.OpenDisputeAsync(); // the consumer's first call
        var answered = 1;
        HttpResponseMessage response;
        while ((response = await s.Consumer.GetAsync($"/api/disputes/{dispute.DisputeId}")).StatusCode == HttpStatusCode.OK)
            Assert.True(++answered <= 6, "more calls answered than the allowance");
        Assert.Equal(6, answered);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        Assert.Contains("too many calls from you", await response.Content.ReadAsStringAsync());

        // The merchant reads its own dispute; the platform (ops) pushes orders, as many as it has.
        Assert.Equal(HttpStatusCode.OK, (await s.Merchant.GetAsync($"/api/disputes/{dispute.DisputeId}")).StatusCode);
        for (var i = 0; i < 10; i++)
        {
            var order = await Scenario.PaidOrderAsync(_factory.As);
            Assert.NotNull(order.OrderId);
        }
    }
}
