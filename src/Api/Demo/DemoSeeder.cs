using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Mediation.Api.Demo;

/// <summary>
/// Seeds the demo on a first start on an empty data folder, through the public REST API of this very process (the
/// same paths any client takes): orders for each consumer, store profiles, and disputes awaiting the merchant,
/// negotiating with an open offer, and settled with the remedy carried out, confirmed and rated; and, opened four days
/// earlier on the grains' <see cref="DemoClock"/> so that their negotiation window has ended, one in mediation with
/// evidence and one ruled, carried out and confirmed. The demo clock is back at the system's time before the rest.
/// </summary>
public sealed class DemoSeeder(IServer server, IHostApplicationLifetime lifetime, ILogger<DemoSeeder> logger, TimeProvider clock, DemoClock demoClock, Identity.LocalIssuer tokens)
    : BackgroundService
{
    /// <summary>Where the grains' clock starts: the older disputes open then.</summary>
    public static readonly TimeSpan StartOffset = TimeSpan.FromDays(-4);

    /// <summary>Where it goes next: the older disputes' 72 h negotiation window is over, so they can escalate.</summary>
    public static readonly TimeSpan EscalationOffset = TimeSpan.FromHours(-1);

    private static readonly JsonSerializerOptions Json = MediationJson.Options;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult())) await started.Task.WaitAsync(stoppingToken);
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null) { logger.LogWarning("Demo not seeded: the server has no address"); return; }
        var uri = new Uri(address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://[::]", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1"));
        try
        {
            await SeedAsync(uri, stoppingToken);
            logger.LogInformation("Demo seeded: {People} people, {Orders} orders; sign in at {Url}", DemoPeople.All.Count, DemoPeople.Orders.Count, uri);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or JsonException)
        {
            logger.LogWarning(e, "Demo seeding stopped");
        }
        finally
        {
            // Whatever happened, the grains run on the system's time from now on.
            demoClock.MoveTo(TimeSpan.Zero);
        }
    }

    private async Task SeedAsync(Uri baseAddress, CancellationToken ct)
    {
        using var ops = Client(baseAddress, "ops-platform", Role.Ops);
        foreach (var store in DemoPeople.Stores)
            await Send(ops, HttpMethod.Put, $"/api/merchants/{store.MerchantId}/profile",
                new { verified = true, city = store.City, returnAddress = store.ReturnAddress }, ct);
        var now = clock.GetUtcNow();
        foreach (var order in DemoPeople.Orders)
        {
            var store = DemoPeople.Store(order.MerchantId);
            await Send(ops, HttpMethod.Post, "/api/orders", new
            {
                orderId = order.OrderId, consumerId = order.ConsumerId, merchantId = order.MerchantId,
                storeName = store.StoreName, city = store.City,
                items = order.Items.Select(i => new { name = i.Name, spec = i.Spec, quantity = i.Quantity, price = i.Price }),
                total = order.Total, currency = "CNY", paidAt = now.AddDays(-order.DaysAgo).AddHours(-3), paymentChannel = "Alipay",
            }, ct);
        }

        await SeedMediationAsync(baseAddress, ops, ct);
        demoClock.MoveTo(TimeSpan.Zero);

        // Awaiting the merchant: the consumer has just asked.
        using (var li = Client(baseAddress, "c-li", Role.Consumer))
            await OpenAsync(li, "o-demo-1001", "DamagedInTransport", "FullRefund", 199.00m, "Both tins arrived crushed and the tea inside is damp.", ct);

        // Negotiating: the store answered and made an offer that is open now.
        using (var zhang = Client(baseAddress, "c-zhang", Role.Consumer))
        using (var silk = Client(baseAddress, "m-westlake-silk", Role.Merchant))
        {
            var id = await OpenAsync(zhang, "o-demo-2001", "NotAsDescribed", "FullRefund", 320.00m, "The scarf is a different blue from the photo and feels like polyester.", ct);
            await Send(silk, HttpMethod.Post, $"/api/disputes/{id}/messages", new { text = "Sorry to hear that. It is mulberry silk, but the dye lot may differ. Could you send a photo in daylight?" }, ct);
            await Send(zhang, HttpMethod.Post, $"/api/disputes/{id}/messages", new { text = "Sure, here is how it looks next to the listing photo." }, ct);
            await Send(silk, HttpMethod.Post, $"/api/disputes/{id}/offers", new { remedy = "PartialRefund", amount = 120.00m }, ct);
        }

        // Settled, carried out by the platform, confirmed and rated.
        using (var chen = Client(baseAddress, "c-chen", Role.Consumer))
        using (var bund = Client(baseAddress, "m-bund-electronics", Role.Merchant))
        {
            var id = await OpenAsync(chen, "o-demo-3001", "Defect", "FullRefund", 129.00m, "The charger stops charging after a few minutes.", ct);
            await Send(bund, HttpMethod.Post, $"/api/disputes/{id}/messages", new { text = "Sorry about that. Keep the charger for slow charging, and we refund half?" }, ct);
            var offer = await Send(bund, HttpMethod.Post, $"/api/disputes/{id}/offers", new { remedy = "PartialRefund", amount = 64.50m }, ct);
            await Send(chen, HttpMethod.Post, $"/api/disputes/{id}/offers/{offer.GetProperty("seq").GetInt64()}/accept", null, ct);
            // The instruction is issued, and later the platform's report reaches the dispute, a moment after each call returns.
            string? instructionId = null;
            await EventuallyAsync(async () => (instructionId = await InstructionOfAsync(chen, id, ct)) is not null, $"the instruction of {id}", ct);
            await Send(ops, HttpMethod.Post, $"/api/instructions/{instructionId}/result", new { outcome = "Done" }, ct);
            await EventuallyAsync(() => TryConfirmAsync(chen, id, ct), $"the remedy of {id} confirmed", ct);
            await Send(chen, HttpMethod.Post, $"/api/disputes/{id}/feedback", new { rating = 5, comment = "Quick and fair." }, ct);
            await Send(bund, HttpMethod.Post, $"/api/disputes/{id}/feedback", new { rating = 4 }, ct);
        }
    }

    /// <summary>Four days ago two disputes opened and the stores answered; an hour ago, their window over, both escalated.</summary>
    private async Task SeedMediationAsync(Uri baseAddress, HttpClient ops, CancellationToken ct)
    {
        using var li = Client(baseAddress, "c-li", Role.Consumer);
        using var silk = Client(baseAddress, "m-westlake-silk", Role.Merchant);
        using var zhang = Client(baseAddress, "c-zhang", Role.Consumer);
        using var bakery = Client(baseAddress, "m-jingan-bakery", Role.Merchant);
        var qipao = await OpenAsync(li, "o-demo-1004", "Quality", "ReturnAndRefund", 680.00m, "A seam on the left side split the first time I wore it.", ct);
        await Send(silk, HttpMethod.Post, $"/api/disputes/{qipao}/messages", new { text = "Our qipao are checked before they ship. A seam can give if the size is too small; we can repair it." }, ct);
        await Send(li, HttpMethod.Post, $"/api/disputes/{qipao}/messages", new { text = "It is my size. I want to return it, not have it repaired." }, ct);
        var cake = await OpenAsync(zhang, "o-demo-2003", "NotAsDescribed", "FullRefund", 268.00m, "The cake was plain vanilla, not chestnut cream, and arrived two hours late for the party.", ct);
        await Send(bakery, HttpMethod.Post, $"/api/disputes/{cake}/messages", new { text = "The courier was late, not us. The cake is our chestnut cream recipe." }, ct);
        await Send(bakery, HttpMethod.Post, $"/api/disputes/{cake}/offers", new { remedy = "PartialRefund", amount = 30.00m }, ct);
        await Send(zhang, HttpMethod.Post, $"/api/disputes/{cake}/messages", new { text = "30 yuan is not enough for a cake nobody could eat." }, ct);

        demoClock.MoveTo(EscalationOffset);
        await Send(li, HttpMethod.Post, $"/api/disputes/{qipao}/escalate", null, ct);
        await Send(zhang, HttpMethod.Post, $"/api/disputes/{cake}/escalate", null, ct);

        // In mediation with evidence: the consumer's photo, and the mediator asks the store for its own.
        var qipaoMediator = await MediatorOfAsync(li, qipao, ct);
        await SendFile(li, $"/api/disputes/{qipao}/evidence", DemoPhoto(), "split-seam.jpg", "image/jpeg", ct);
        using (var mediator = Client(baseAddress, qipaoMediator, Role.Mediator))
        {
            await Send(mediator, HttpMethod.Post, $"/api/disputes/{qipao}/messages", new { text = "I am looking at this case. Thank you for the photo of the seam." }, ct);
            await Send(mediator, HttpMethod.Post, $"/api/disputes/{qipao}/evidence-requests",
                new { of = "Merchant", text = "Please send the quality-check record and a photo of the qipao before it shipped.", dueBy = demoClock.GetUtcNow().AddDays(2) }, ct);
        }

        // Ruled, carried out by the platform and confirmed.
        var cakeMediator = await MediatorOfAsync(zhang, cake, ct);
        using (var mediator = Client(baseAddress, cakeMediator, Role.Mediator))
            await Send(mediator, HttpMethod.Post, $"/api/disputes/{cake}/ruling", new
            {
                category = "NotAsDescribed", responsibility = "Merchant", remedy = "PartialRefund", amount = 134.00m, returnFirst = false,
                reasons = "The order and the shop's listing say chestnut cream; the store shows nothing that this cake was. Late delivery is the store's to take up with its courier.",
            }, ct);
        string? instructionId = null;
        await EventuallyAsync(async () => (instructionId = await InstructionOfAsync(zhang, cake, ct)) is not null, $"the instruction of {cake}", ct);
        await Send(ops, HttpMethod.Post, $"/api/instructions/{instructionId}/result", new { outcome = "Done" }, ct);
        await EventuallyAsync(() => TryConfirmAsync(zhang, cake, ct), $"the remedy of {cake} confirmed", ct);
    }

    /// <summary>The city's desk assigns a mediator a moment after the escalation.</summary>
    private async Task<string> MediatorOfAsync(HttpClient party, string disputeId, CancellationToken ct)
    {
        string? mediatorId = null;
        await EventuallyAsync(async () =>
        {
            var dispute = await Send(party, HttpMethod.Get, $"/api/disputes/{disputeId}", null, ct);
            mediatorId = dispute.GetProperty("state").GetString() == "InMediation"
                && dispute.TryGetProperty("mediatorId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            return mediatorId is not null;
        }, $"a mediator assigned to {disputeId}", ct);
        return mediatorId!;
    }

    /// <summary>A small photo of a red cloth with a pale seam across it.</summary>
    public static byte[] DemoPhoto()
    {
        using var image = new Image<Rgb24>(96, 72);
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < image.Width; x++)
                image[x, y] = Math.Abs(y - 36 - (x / 8)) < 2 ? new Rgb24(240, 220, 200) : new Rgb24((byte)(170 + (x + y) % 30), 20, 30);
        using var jpeg = new MemoryStream();
        image.SaveAsJpeg(jpeg);
        return jpeg.ToArray();
    }

    private static async Task SendFile(HttpClient client, string path, byte[] bytes, string fileName, string contentType, CancellationToken ct)
    {
        using var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Add(file, "file", fileName);
        using var response = await client.PostAsync(path, content, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    private async Task EventuallyAsync(Func<Task<bool>> done, string what, CancellationToken ct)
    {
        for (var attempt = 1; !await done(); attempt++)
        {
            if (attempt == 80) throw new InvalidOperationException($"not {what} within 20 s");
            await Task.Delay(TimeSpan.FromMilliseconds(250), clock, ct);
        }
    }

    private static async Task<string?> InstructionOfAsync(HttpClient client, string disputeId, CancellationToken ct)
    {
        var dispute = await Send(client, HttpMethod.Get, $"/api/disputes/{disputeId}", null, ct);
        return dispute.TryGetProperty("outcome", out var outcome) && outcome.ValueKind == JsonValueKind.Object
            && outcome.TryGetProperty("instructionId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
    }

    private static async Task<bool> TryConfirmAsync(HttpClient consumer, string disputeId, CancellationToken ct)
    {
        using var response = await consumer.PostAsync($"/api/disputes/{disputeId}/confirm", null, ct);
        return response.IsSuccessStatusCode;
    }

    private static async Task<string> OpenAsync(HttpClient consumer, string orderId, string category, string remedy, decimal amount, string description, CancellationToken ct)
    {
        var dispute = await Send(consumer, HttpMethod.Post, "/api/disputes",
            new { orderId, category, requestedRemedy = remedy, claimedAmount = amount, description }, ct);
        return dispute.GetProperty("disputeId").GetString()!;
    }

    private HttpClient Client(Uri baseAddress, string userId, Role role)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Issue(userId, role.WireName()).AccessToken);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    private static async Task<JsonElement> Send(HttpClient client, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: Json) };
        using var response = await client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
