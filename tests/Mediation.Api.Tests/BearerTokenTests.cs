using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Mediation.Api.Tests;

/// <summary>
/// The app as production runs it (not Development): callers prove who they are with bearer tokens of the issuers it
/// trusts — here the tests' own (HMAC) and a "payment platform" signing with RSA, trusted only for consumers and ops.
/// </summary>
public sealed class BearerTokenFixture : IAsyncLifetime
{
    public const string PlatformIssuer = "https://pay.example/oauth";
    public RSA PlatformKey { get; } = RSA.Create(2048);
    public ApiFactory Factory { get; } = new() { EnvironmentName = "Production" };

    public Task InitializeAsync()
    {
        Factory.Settings["Mediation:Auth:Issuers:1:Issuer"] = PlatformIssuer;
        Factory.Settings["Mediation:Auth:Issuers:1:Audiences:0"] = "mediation";
        Factory.Settings["Mediation:Auth:Issuers:1:PublicKeys:0"] = PlatformKey.ExportSubjectPublicKeyInfoPem();
        Factory.Settings["Mediation:Auth:Issuers:1:Roles:0"] = "consumer";
        Factory.Settings["Mediation:Auth:Issuers:1:Roles:1"] = "ops";
        Factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    public string PlatformToken(string userId, string role, string issuer = PlatformIssuer) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = issuer,
        Audience = "mediation",
        Claims = new Dictionary<string, object> { ["sub"] = userId, ["role"] = role },
        Expires = DateTime.UtcNow.AddMinutes(30),
        SigningCredentials = new SigningCredentials(new RsaSecurityKey(PlatformKey), SecurityAlgorithms.RsaSha256),
    });
}

public sealed class BearerTokenTests(BearerTokenFixture fixture) : IClassFixture<BearerTokenFixture>
{
    private ApiFactory App => fixture.Factory;

    public static TheoryData<string, string> RefusedTokens => new()
    {
        { "expired", "has expired" },
        { "not yet valid", "not valid yet" },
        { "wrong audience", "not meant for this service" },
        { "unknown issuer", "issuer is not trusted" },
        { "signed with another key", "signature is not valid" },
        { "alg none", "not valid" },
        { "garbage", "not valid" },
        { "truncated", "not valid" },
        { "two roles", "exactly one role" },
        { "unknown role", "role must be one of" },
        { "sub with a path", "sub must be one id" },
    };

    private static string Token(string kind, string userId) => kind switch
    {
        "expired" => TestTokens.For(userId, "consumer", notBefore: DateTimeOffset.UtcNow.AddHours(-3), expires: DateTimeOffset.UtcNow.AddHours(-2)),
        "not yet valid" => TestTokens.For(userId, "consumer", notBefore: DateTimeOffset.UtcNow.AddHours(2), expires: DateTimeOffset.UtcNow.AddHours(3)),
        "wrong audience" => TestTokens.For(userId, "consumer", audience: "another-service"),
        "unknown issuer" => TestTokens.For(userId, "consumer", issuer: "https://evil.example"),
        "signed with another key" => TestTokens.For(userId, "consumer", key: Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
        "alg none" => Unsigned(userId),
        "garbage" => "not.a.token",
        "truncated" => TestTokens.For(userId, "consumer")[..^12],
        "two roles" => TestTokens.For(userId, "consumer", new Dictionary<string, object> { ["role"] = new[] { "consumer", "ops" } }),
        "unknown role" => TestTokens.For(userId, "emperor"),
        "sub with a path" => TestTokens.For("../../etc/passwd", "consumer"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string Unsigned(string userId)
    {
        static string Part(object o) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(o));
        return $"{Part(new { alg = "none", typ = "JWT" })}.{Part(new { sub = userId, role = "consumer", iss = TestTokens.Issuer, aud = "mediation", exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds() })}.";
    }

    private HttpClient WithToken(string token)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_bad_token_is_401_in_our_words_on_REST_and_the_hub_and_changes_nothing(string kind, string words)
    {
        var s = await Scenario.PaidOrderAsync(App.As);
        var dispute = await s.OpenDisputeAsync();
        var before = await s.TimelineAsync(dispute.DisputeId);

        using var forged = WithToken(Token(kind, s.ConsumerId));
        var response = await forged.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "sent with a bad token" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{kind}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(words, detail);
        Assert.DoesNotContain("IDX", detail); // the validator's own messages name keys and internals
        Assert.DoesNotContain("Exception", body);

        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(App.BaseAddress, "/hubs/negotiation"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(Token(kind, s.ConsumerId)))
            .Build();
        await using var _ = hub;
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        Assert.Equal(before.Select(e => e.Seq), (await s.TimelineAsync(dispute.DisputeId)).Select(e => e.Seq));
    }

    [Fact]
    public async Task The_development_identity_is_refused_outside_the_embedded_default_in_Development()
    {
        var s = await Scenario.PaidOrderAsync(App.As);
        using var client = App.CreateClient();
        client.DefaultRequestHeaders.Add("X-User-Id", s.ConsumerId);
        client.DefaultRequestHeaders.Add("X-Role", "consumer");
        var response = await client.GetAsync($"/api/consumers/{s.ConsumerId}/disputes");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("accepted only by the embedded default in Development", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_second_issuer_with_its_own_key_works_side_by_side_for_the_roles_it_is_trusted_with()
    {
        var s = await Scenario.PaidOrderAsync(App.As);
        var dispute = await s.OpenDisputeAsync();

        // The payment platform's RSA token for the consumer: REST and hub.
        using var consumer = WithToken(fixture.PlatformToken(s.ConsumerId, "consumer"));
        await Scenario.EventAsync(await consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "from the pay app" }));
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(App.BaseAddress, "/hubs/negotiation"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(fixture.PlatformToken(s.ConsumerId, "consumer")))
            .AddJsonProtocol(o => MediationJson.Configure(o.PayloadSerializerOptions))
            .Build();
        await using (hub)
        {
            await hub.StartAsync();
            await hub.InvokeAsync("JoinDispute", dispute.DisputeId, 0L); // a stranger's token would be refused here
        }

        // It is not trusted to say who is a merchant...
        using var merchant = WithToken(fixture.PlatformToken(s.MerchantId, "merchant"));
        var refused = await merchant.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "posing as the store" });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("may not assert the role merchant", await refused.Content.ReadAsStringAsync());

        // ...nor can its key sign for another issuer's name.
        using var posing = WithToken(fixture.PlatformToken(s.MerchantId, "merchant", issuer: TestTokens.Issuer));
        Assert.Equal(HttpStatusCode.Unauthorized, (await posing.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "x" })).StatusCode);

        var texts = (await s.TimelineAsync(dispute.DisputeId)).Select(e => e.Text).ToList();
        Assert.Contains("from the pay app", texts);
        Assert.DoesNotContain("posing as the store", texts);
    }

    [Fact]
    public async Task Merchant_staff_act_for_their_merchant_and_for_no_other()
    {
        var s = await Scenario.PaidOrderAsync(App.As);
        var dispute = await s.OpenDisputeAsync();
        using var staff = WithToken(TestTokens.For("staff-amy", "merchant-staff", new Dictionary<string, object> { ["merchant"] = s.MerchantId }));
        var reply = await Scenario.EventAsync(await staff.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text = "Sorry, we will sort it out" }));
        Assert.Equal(s.MerchantId, reply.AuthorId);
        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync($"/api/merchants/{s.MerchantId}/disputes")).StatusCode);

        var other = await Scenario.PaidOrderAsync(App.As);
        var theirs = await other.OpenDisputeAsync();
        var refused = await staff.PostAsJsonAsync($"/api/disputes/{theirs.DisputeId}/messages", new { text = "not my store" });
        Assert.Contains(refused.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        Assert.DoesNotContain(await other.TimelineAsync(theirs.DisputeId), e => e.Text == "not my store");

        using var noMerchant = WithToken(TestTokens.For("staff-bob", "merchant-staff"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await noMerchant.GetAsync($"/api/merchants/{s.MerchantId}/disputes")).StatusCode);
    }
}

/// <summary>The embedded default's sign-in: its local issuer gives a token for a demo person.</summary>
[Collection(ApiCollection.Name)]
public sealed class LocalIssuerTests(ApiFixture fixture)
{
    [Fact]
    public async Task The_sign_in_token_works_on_REST_and_the_hub()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        using var anonymous = fixture.Factory.CreateClient();
        var issued = await anonymous.PostAsJsonAsync("/api/auth/token", new { userId = s.MerchantId, role = "merchant" });
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString()!;

        using var merchant = fixture.Factory.CreateClient();
        merchant.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var list = await merchant.GetStringAsync($"/api/merchants/{s.MerchantId}/disputes");
        Assert.Contains(dispute.DisputeId, list);

        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Factory.BaseAddress, "/hubs/negotiation"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        await using var _ = hub;
        await hub.StartAsync();
        await hub.InvokeAsync("JoinDispute", dispute.DisputeId, 0L);
    }

    [Theory]
    [InlineData("""{"userId":"c-1","role":"emperor"}""", "role must be one of")]
    [InlineData("""{"userId":"../x","role":"consumer"}""", "userId must be")]
    [InlineData("""{"userId":"s-1","role":"merchant-staff"}""", "merchantId names the merchant")]
    [InlineData("""{"userId":"c-1","role":"consumer","merchantId":"m-1"}""", "merchantId names the merchant")]
    public async Task A_bad_sign_in_request_is_400(string body, string words)
    {
        using var anonymous = fixture.Factory.CreateClient();
        var response = await anonymous.PostAsync("/api/auth/token", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(words, await response.Content.ReadAsStringAsync());
    }
}
