using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;

namespace Mediation.Api.Tests;

/// <summary>An app whose parties may escalate at once and whose Hangzhou desk has a mediator, to reach a ruling.</summary>
public sealed class MediatedApiFixture : IAsyncLifetime
{
    public string MediatorId { get; } = $"med-{Guid.NewGuid():N}"[..16];
    public ApiFactory Factory { get; } = new();

    public Task InitializeAsync()
    {
        Factory.Settings["Mediation:Deadlines:NegotiationWindow"] = "00:00:00";
        Factory.Settings["Mediation:Cities:Hangzhou:Mediators:0"] = MediatorId;
        Factory.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>The mediator's ruling seals the evidence: the list and hashes are frozen, and nothing more is taken.</summary>
public sealed class EvidenceSealingTests(MediatedApiFixture fixture) : IClassFixture<MediatedApiFixture>
{
    [Fact]
    public async Task An_upload_after_the_ruling_sealed_the_evidence_is_refused_and_leaves_nothing_behind()
    {
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var disputeId = (await s.OpenDisputeAsync()).DisputeId;
        var photo = EvidenceTests.Jpeg(withLocation: true);
        var evidence = (await Scenario.EventAsync(await EvidenceTests.UploadAsync(s.Consumer, disputeId, photo, "tins.jpg", "image/jpeg"))).Evidence!;

        await Scenario.EventAsync(await s.Consumer.PostAsync($"/api/disputes/{disputeId}/escalate", null));
        var view = (await s.Consumer.GetFromJsonAsync<DisputeView>($"/api/disputes/{disputeId}", Scenario.Json))!;
        Assert.Equal((DisputeState.InMediation, fixture.MediatorId), (view.State, view.MediatorId));
        using var mediator = fixture.Factory.As(fixture.MediatorId, "mediator");
        await Scenario.EventAsync(await mediator.PostAsJsonAsync($"/api/disputes/{disputeId}/ruling", new
        {
            category = "Quality", responsibility = "Merchant", remedy = "FullRefund", amount = 199, returnFirst = false,
            reasons = "The photo shows both tins crushed.",
        }));

        var before = await s.TimelineAsync(disputeId);
        var sealedEvent = Assert.Single(before, e => e.Type == DisputeEventType.EvidenceSealed);
        Assert.Equal([evidence], sealedEvent.EvidenceList!);
        var folder = Path.Combine(fixture.Factory.DataDirectory, "evidence", disputeId);
        var filesBefore = Directory.EnumerateFiles(folder).Order().ToList();
        Assert.Equal(3, filesBefore.Count); // original, shared copy, thumbnail

        var late = EvidenceTests.Jpeg(withLocation: false, width: 80, height: 60);
        var response = await EvidenceTests.UploadAsync(s.Merchant, disputeId, late, "late.jpg", "image/jpeg");

        var detail = await EvidenceTests.AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal($"the evidence of dispute {disputeId} is sealed: nothing can be added after the ruling or the evidence deadline", detail);
        Assert.Equal(before.Select(e => e.Seq), (await s.TimelineAsync(disputeId)).Select(e => e.Seq));
        Assert.Equal(filesBefore, Directory.EnumerateFiles(folder).Order().ToList());
        Assert.DoesNotContain(filesBefore, f => f.Contains(Convert.ToHexStringLower(SHA256.HashData(late)), StringComparison.Ordinal));

        // What was sealed stays downloadable, location-free for the other party.
        var download = await s.Merchant.GetAsync($"/api/disputes/{disputeId}/evidence/{evidence.EvidenceId}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Empty(EvidenceTests.GpsValues(await download.Content.ReadAsByteArrayAsync()));
    }
}
