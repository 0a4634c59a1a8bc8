using System.Data.Common;
using System.Net;
using System.Text.Json;
using Mediation.Api.Problems;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Mediation.Api.Tests;

/// <summary>A 503 names its real cause (busy, a server left, the database) and says when to retry.</summary>
[Collection(ApiCollection.Name)]
public sealed class FaultAnswerTests(ApiFixture fixture)
{
    private sealed class AnyDbException() : DbException("connection refused");

    public static TheoryData<string, int, string, string, int?> Causes => new()
    {
        { "timeout", 503, "Busy", "the service is busy", 2 },
        { "limit", 503, "Busy", "the service is busy", 2 },
        { "busy", 503, "Busy", "shed", 2 },
        { "silo", 503, "Service unavailable", "a server left the cluster", 1 },
        { "database", 503, "Service unavailable", "cannot reach its database", 5 },
        { "database inside Orleans", 503, "Service unavailable", "cannot reach its database", 5 },
        { "unavailable", 503, "Service unavailable", "cannot reach its database", 5 },
        { "cancelled", 503, "Service unavailable", "cancelled", 2 },
        { "orleans", 503, "Service unavailable", "the cluster could not complete", 2 },
        { "invalid", 400, "Invalid request", "no good", null },
    };

    private static Exception Fault(string cause) => cause switch
    {
        "timeout" => new TimeoutException("Response did not arrive on time"),
        "limit" => new LimitExceededException("too many"),
        "busy" => MediationException.Busy("shed before it started"),
        "silo" => new SiloUnavailableException("silo left"),
        "database" => new AnyDbException(),
        "database inside Orleans" => new OrleansException("storage failed", new AnyDbException()),
        "unavailable" => new MediationException(ErrorCode.Unavailable, "the service cannot reach its database right now"),
        "cancelled" => new TaskCanceledException(),
        "orleans" => new OrleansException("something in the cluster"),
        "invalid" => MediationException.Invalid("no good"),
        _ => throw new ArgumentOutOfRangeException(nameof(cause)),
    };

    [Theory]
    [MemberData(nameof(Causes))]
    public void Each_failure_is_described_by_its_real_cause(string cause, int status, string title, string mentions, int? retryAfter)
    {
        var problem = MediationProblems.Describe(Fault(cause));
        Assert.NotNull(problem);
        Assert.Equal(status, problem.Status);
        Assert.Equal(title, problem.Title);
        Assert.Contains(mentions, problem.Detail);
        Assert.Equal(retryAfter, problem.RetryAfterSeconds);
        if (status == 503) Assert.Contains("retry", problem.ToString());
        if (!cause.StartsWith("database") && cause != "unavailable") Assert.DoesNotContain("database", problem.Detail);
    }

    [Theory]
    [InlineData("timeout", "Busy", "busy", "2")]
    [InlineData("busy", "Busy", "too many calls", "2")]
    [InlineData("silo", "Service unavailable", "a server left the cluster", "1")]
    [InlineData("database", "Service unavailable", "cannot reach its database", "5")]
    [InlineData("cancelled", "Service unavailable", "cancelled", "2")]
    public async Task A_503_over_HTTP_names_its_cause_and_carries_Retry_After(string fault, string title, string mentions, string retryAfter)
    {
        var client = fixture.Factory.As("c-faults", "consumer");
        var response = await client.GetAsync($"/api/disputes/{FaultInjection.Prefix}{fault}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(retryAfter, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString());
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains(mentions, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_busy_hub_call_says_busy_and_to_retry()
    {
        await using var party = await PartyConnection.ConnectAsync(fixture.Factory.BaseAddress, "c-faults", "consumer");
        var refused = await Assert.ThrowsAsync<HubException>(() => party.Hub.InvokeAsync("JoinDispute", $"{FaultInjection.Prefix}timeout", 0L));
        Assert.Contains("503 Busy", refused.Message);
        Assert.Contains("retry after 2 s", refused.Message);
    }
}
