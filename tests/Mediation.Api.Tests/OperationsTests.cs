using System.Net;
using System.Text.Json;

namespace Mediation.Api.Tests;

/// <summary>What ops and integrators see of a running node: its probes and its API reference.</summary>
[Collection(ApiCollection.Name)]
public sealed class OperationsTests(ApiFixture fixture)
{
    [Fact]
    public async Task Live_answers_from_the_process_alone_and_ready_lists_the_cluster_and_the_database()
    {
        using var client = fixture.Factory.CreateClient();

        var (liveStatus, live) = await GetJsonAsync(client, "/health/live");
        Assert.Equal(HttpStatusCode.OK, liveStatus);
        Assert.Equal("Healthy", live.GetProperty("status").GetString());
        Assert.Equal(["process"], Checks(live).Keys);

        foreach (var path in new[] { "/health/ready", "/health" })
        {
            var (readyStatus, ready) = await GetJsonAsync(client, path);
            Assert.Equal(HttpStatusCode.OK, readyStatus);
            Assert.Equal("Healthy", ready.GetProperty("status").GetString());
            var checks = Checks(ready);
            Assert.Equal(["cluster", "database"], checks.Keys.Order());
            Assert.All(checks.Values, c => Assert.Equal("Healthy", c.GetProperty("status").GetString()));
            Assert.Equal(1, checks["cluster"].GetProperty("data").GetProperty("activeSilos").GetInt32());
        }
    }

    [Fact]
    public async Task Ready_turns_unhealthy_with_503_when_the_database_cannot_be_opened_while_live_stays_healthy()
    {
        await using var factory = new ApiFactory();
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        // The embedded database's file goes away under the running node (a lost volume, say).
        foreach (var file in Directory.GetFiles(factory.DataDirectory, "mediation.db*")) File.Delete(file);

        var (readyStatus, ready) = await GetJsonAsync(client, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.Equal("Unhealthy", ready.GetProperty("status").GetString());
        var checks = Checks(ready);
        Assert.Equal("Unhealthy", checks["database"].GetProperty("status").GetString());
        Assert.Equal("Sqlite does not answer", checks["database"].GetProperty("description").GetString());
        Assert.Equal("Healthy", checks["cluster"].GetProperty("status").GetString());
        Assert.DoesNotContain("Exception", ready.GetRawText());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
        // Liveness has no dependency: Kubernetes does not restart a node because its database is away.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_bearer_scheme_and_the_problem_responses()
    {
        using var client = fixture.Factory.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;

        var bearer = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        Assert.Equal("JWT", bearer.GetProperty("bearerFormat").GetString());
        Assert.Contains(root.GetProperty("security").EnumerateArray(), r => r.TryGetProperty("Bearer", out _));

        var problem = root.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails").GetProperty("properties");
        foreach (var field in new[] { "status", "title", "detail" }) Assert.True(problem.TryGetProperty(field, out _), field);

        var operations = root.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject())
            .ToList();
        Assert.NotEmpty(operations);
        Assert.All(operations, operation =>
        {
            var responses = operation.Value.GetProperty("responses");
            foreach (var status in new[] { "400", "401", "403", "404", "409", "429", "503" })
            {
                var schema = responses.GetProperty(status).GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
                // A route that declares its own validation problem keeps it (ProblemDetails with the fields in error).
                Assert.Contains(schema.GetProperty("$ref").GetString(), new[] { "#/components/schemas/ProblemDetails", "#/components/schemas/HttpValidationProblemDetails" });
            }
        });
    }

    [Fact]
    public async Task The_API_reference_page_is_served_as_HTML_with_its_script_from_the_service_itself()
    {
        using var client = fixture.Factory.CreateClient();
        var page = await client.GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Mediation API", html);

        // Offline-friendly: the page's script comes from this service, not from a CDN.
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script[^>]+src=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(script.StartsWith("http", StringComparison.Ordinal), script);
        var resolved = new Uri(new Uri(client.BaseAddress!, "/scalar/"), script);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(resolved)).StatusCode);
    }

    private static async Task<(HttpStatusCode, JsonElement)> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static Dictionary<string, JsonElement> Checks(JsonElement report) =>
        report.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
}
