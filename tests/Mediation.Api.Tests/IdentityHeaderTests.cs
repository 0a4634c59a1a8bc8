using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>
/// The development identity is one <c>X-User-Id</c> and one <c>X-Role</c> naming one role. Anything else is 401 on
/// REST and a refused hub connection; nothing adds up to more rights ("consumer,ops" is not ops).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IdentityHeaderTests(ApiFixture fixture)
{
    // HTTP strips the optional whitespace around a field value (RFC 9110 5.5), so " ops" arrives as "ops":
    // the spellings below keep their oddity on the wire.
    public static TheoryData<string> MalformedRoles => new()
    {
        "consumer,ops", "consumer, ops", "ops,consumer", "merchant,consumer", "Ops,", ",ops", "ops,", "ops;consumer",
        "o ps", "ops ops", "ops\tops", "0", "4", "-1", "1,4", "", "emperor", "admin", "operator", "opsx", "Consumer|Ops", "\"ops\"",
    };

    [Theory]
    [MemberData(nameof(MalformedRoles))]
    public async Task A_malformed_role_is_401_on_REST_and_can_push_no_order(string role)
    {
        var orderId = $"o-{Guid.NewGuid():N}"[..20];
        using var client = fixture.Factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(OrderBody(orderId)) };
        request.Headers.TryAddWithoutValidation("X-User-Id", "platform");
        request.Headers.TryAddWithoutValidation("X-Role", role);
        var response = await client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"X-Role '{role}': {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("X-Role must be one of consumer, merchant, mediator, regulator, ops", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        await AssertNoOrderAsync(orderId);
    }

    [Theory]
    [MemberData(nameof(MalformedRoles))]
    public async Task A_malformed_role_cannot_connect_to_the_hub(string role)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Factory.BaseAddress, "/hubs/negotiation"), o => { o.Headers["X-User-Id"] = "platform"; o.Headers["X-Role"] = role; })
            .Build();
        await using var _ = hub;
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Theory]
    [InlineData("X-Role: consumer\r\nX-Role: ops")]
    [InlineData("X-Role: ops\r\nX-Role: ops")]
    [InlineData("X-Role: ops\r\nX-User-Id: someone-else")]
    public async Task Two_identity_headers_are_401_not_the_last_or_the_strongest(string headers)
    {
        var orderId = $"o-{Guid.NewGuid():N}"[..20];
        var (status, body) = await RawPostAsync("/api/orders", $"X-User-Id: platform\r\n{headers}", JsonSerializer.Serialize(OrderBody(orderId)));
        Assert.True(status == 401, $"{headers}: {status} {body}");
        Assert.Contains("in one header", body);
        await AssertNoOrderAsync(orderId);
    }

    [Theory]
    [InlineData("ops")]
    [InlineData("OPS")]
    [InlineData("Ops")]
    public async Task One_role_name_in_any_case_is_accepted(string role)
    {
        var orderId = $"o-{Guid.NewGuid():N}"[..20];
        var response = await fixture.Factory.As("platform", role).PostAsJsonAsync("/api/orders", OrderBody(orderId));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static object OrderBody(string orderId) => new
    {
        orderId, consumerId = "c-id-test", merchantId = "m-id-test", storeName = "Lakeside Tea House", city = "Hangzhou",
        items = new[] { new { name = "Longjing tea", spec = "250 g tin", quantity = 1, price = 10m } },
        total = 10m, currency = "CNY", paidAt = "2026-11-20T10:00:00Z", paymentChannel = "Alipay",
    };

    private async Task AssertNoOrderAsync(string orderId)
    {
        var read = await fixture.Factory.As("platform", "ops").GetAsync($"/api/orders/{orderId}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    /// <summary>HttpClient folds repeated headers into one line; this writes the request by hand.</summary>
    private async Task<(int Status, string Body)> RawPostAsync(string path, string headers, string json)
    {
        var address = fixture.Factory.BaseAddress;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        var bytes = Encoding.UTF8.GetBytes(json);
        var request = $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\n{headers}\r\nContent-Type: application/json\r\n" +
                      $"Content-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        await stream.WriteAsync(bytes);
        using var reader = new StreamReader(stream);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var status = int.Parse(response.Split(' ', 3)[1]);
        return (status, response);
    }
}
