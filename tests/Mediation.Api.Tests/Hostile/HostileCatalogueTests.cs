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
