using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mediation.Api.Tests;

/// <summary>
/// The receiving platform's side of Mediation's webhooks, as a real HTTP server on a loopback port: the payment
/// platform's (instructions) or a partner platform's (forwarded complaints). It checks <c>Mediation-Signature</c>,
/// applies each instruction or complaint id once, and can be down (not listening, or 503) or answer 500 a number of
/// times, or lose its answer after applying.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Path = "/webhooks/mediation";

    /// <summary>One request as it arrived and how it was answered.</summary>
    /// <param name="Id">The instruction id or complaint id the body names.</param>
    public sealed record Delivery(string? Id, string? IdempotencyKey, string Body, string? Signature,
        WebhookSignatureCheck Check, int AnsweredStatus, DateTimeOffset At);

    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly ConcurrentDictionary<string, InstructionWebhook> _applied = new();
    private readonly ConcurrentDictionary<string, PartnerComplaintWebhook> _complaints = new();
    private readonly ConcurrentDictionary<string, int> _applications = new();
    private readonly object _gate = new();
    private WebApplication? _app;
    private int _failuresLeft;
    private readonly HashSet<string> _loseAnswerOnce = [];

    public int Port { get; } = FreePort.Next();
    public string Secret { get; } = "whsec-" + Guid.NewGuid().ToString("N");
    public string Url => $"http://127.0.0.1:{Port}{Path}";

    /// <summary>Listening but answering 503 to everything.</summary>
    public bool Unavailable { get; set; }

    public IReadOnlyList<Delivery> Deliveries => _deliveries.ToArray();
    public IReadOnlyList<Delivery> DeliveriesOf(string id) => Deliveries.Where(d => d.Id == id).ToList();
    public InstructionWebhook? Applied(string instructionId) => _applied.GetValueOrDefault(instructionId);
    /// <summary>The forwarded complaint the partner platform took, once.</summary>
    public PartnerComplaintWebhook? Complaint(string complaintId) => _complaints.GetValueOrDefault(complaintId);
    /// <summary>How many times the platform carried the instruction out: must never pass 1.</summary>
    public int Applications(string instructionId) => _applications.GetValueOrDefault(instructionId);

    /// <summary>The next <paramref name="count"/> signed deliveries are answered 500, before anything is applied.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    /// <summary>The instruction is applied, then the answer is a 500 as if it had been lost on the way back.</summary>
    public void LoseAnswerOnce(string instructionId)
    {
        lock (_gate) _loseAnswerOnce.Add(instructionId);
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, Port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost(Path, ReceiveAsync);
        await app.StartAsync();
        _app = app;
    }

    /// <summary>Stops listening: connections are refused until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var signature = request.Headers[WebhookSignature.HeaderName].ToString();
        var key = request.Headers[WebhookSignature.IdempotencyHeaderName].ToString();
        var check = WebhookSignature.Verify(Secret, signature, body, DateTimeOffset.UtcNow);
        InstructionWebhook? instruction = null;
        PartnerComplaintWebhook? complaint = null;
        try
        {
            var type = JsonDocument.Parse(body).RootElement.GetProperty("type").GetString();
            if (type == InstructionWebhook.InstructionType) instruction = JsonSerializer.Deserialize<InstructionWebhook>(body, MediationJson.Options);
            else if (type == PartnerComplaintWebhook.ComplaintType) complaint = JsonSerializer.Deserialize<PartnerComplaintWebhook>(body, MediationJson.Options);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
        var id = instruction?.InstructionId ?? complaint?.ComplaintId;

        int status;
        if (Unavailable) status = 503;
        else if (check != WebhookSignatureCheck.Valid || id is null || id != key) status = 400;
        else if (Interlocked.Decrement(ref _failuresLeft) >= 0) status = 500;
        else
        {
            // Applied at most once by id, whatever the number of deliveries.
            var first = instruction is not null ? _applied.TryAdd(id, instruction) : _complaints.TryAdd(id, complaint!);
            if (first) _applications.AddOrUpdate(id, 1, (_, n) => n + 1);
            bool lose;
            lock (_gate) lose = _loseAnswerOnce.Remove(id);
            status = lose ? 500 : 200;
        }
        _deliveries.Enqueue(new Delivery(id, key, body, signature, check, status, DateTimeOffset.UtcNow));
        return Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>
/// The real app with a real webhook receiver on loopback, retrying fast: each fixture says where its webhooks go
/// (<see cref="Configure"/>) and what else it needs.
/// </summary>
public abstract class ReceiverFixture : IAsyncLifetime
{
    public WebhookReceiver Receiver { get; } = new();
    public ApiFactory Factory { get; } = new();

    /// <summary>The fixture's own settings, with <see cref="Receiver"/> started (its URL and secret are known).</summary>
    protected abstract void Configure(IDictionary<string, string?> settings);

    public async Task InitializeAsync()
    {
        await Receiver.StartAsync();
        Factory.Settings["Mediation:Webhooks:RetryBaseDelay"] = "00:00:00.100";
        Factory.Settings["Mediation:Webhooks:RetryMaxDelay"] = "00:00:00.500";
        Configure(Factory.Settings);
        Factory.StartServer();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
