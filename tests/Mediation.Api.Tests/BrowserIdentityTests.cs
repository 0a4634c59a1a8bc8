using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>
/// Browsers say who they are with the sign-in page's cookie (<c>role:userId</c>), and on the hub's path only with
/// <c>dev-user</c>/<c>dev-role</c> query parameters: same rules as the headers, and the headers win when present.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class BrowserIdentityTests(ApiFixture fixture)
{
    [Fact]
    public async Task The_sign_in_cookie_names_the_caller_on_REST()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        using var browser = fixture.Factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{s.OrderId}");
        request.Headers.Add("Cookie", $"mediation-dev-identity=consumer:{s.ConsumerId}");
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(request)).StatusCode);

        var someoneElse = new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{s.OrderId}");
        someoneElse.Headers.Add("Cookie", "mediation-dev-identity=consumer:c-someone-else");
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(someoneElse)).StatusCode);
    }

    [Theory]
    [InlineData("consumer,ops:c-x")]
    [InlineData("emperor:c-x")]
    [InlineData("consumer:")]
    [InlineData("consumer")]
    [InlineData("ops:has space")]
    public async Task A_malformed_cookie_is_401(string value)
    {
        using var browser = fixture.Factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/orders/o-anything");
        request.Headers.Add("Cookie", $"mediation-dev-identity={Uri.EscapeDataString(value)}");
        var response = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("mediation-dev-identity", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Headers_win_over_the_cookie()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        using var merchant = fixture.Factory.As(s.MerchantId, "merchant");
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{s.OrderId}");
        request.Headers.Add("Cookie", "mediation-dev-identity=ops:platform");
        Assert.Equal(HttpStatusCode.OK, (await merchant.SendAsync(request)).StatusCode);

        using var stranger = fixture.Factory.As("m-stranger", "merchant");
        var withOpsCookie = new HttpRequestMessage(HttpMethod.Get, $"/api/orders/{s.OrderId}");
        withOpsCookie.Headers.Add("Cookie", "mediation-dev-identity=ops:platform");
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.SendAsync(withOpsCookie)).StatusCode);
    }

    [Fact]
    public async Task Query_parameters_name_the_caller_on_the_hub_and_nowhere_else()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Factory.BaseAddress, $"/hubs/negotiation?dev-user={s.MerchantId}&dev-role=merchant"))
            .Build();
        await using (hub)
        {
            await hub.StartAsync();
            var seq = await hub.InvokeAsync<long>("SendMessage", dispute.DisputeId, "Hello from the browser");
            var timeline = await s.TimelineAsync(dispute.DisputeId);
            Assert.Contains(timeline, e => e.Seq == seq && e.AuthorId == s.MerchantId && e.Text == "Hello from the browser");
        }

        using var anonymous = fixture.Factory.CreateClient();
        var rest = await anonymous.GetAsync($"/api/orders/{s.OrderId}?dev-user={s.ConsumerId}&dev-role=consumer");
        Assert.Equal(HttpStatusCode.Unauthorized, rest.StatusCode);
    }

    [Theory]
    [InlineData("dev-user=platform&dev-role=consumer,ops")]
    [InlineData("dev-user=platform&dev-role=ops&dev-role=ops")]
    [InlineData("dev-role=ops")]
    public async Task A_malformed_query_identity_cannot_connect_to_the_hub(string query)
    {
        var hub = new HubConnectionBuilder().WithUrl(new Uri(fixture.Factory.BaseAddress, $"/hubs/negotiation?{query}")).Build();
        await using var _ = hub;
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
