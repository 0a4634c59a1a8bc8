using System.Net.Http.Json;

namespace Mediation.Web.Tests;

/// <summary>The two widths every page is looked at (and screenshotted) in.</summary>
public sealed record Viewport(string Name, int Width, int Height)
{
    public static readonly Viewport Phone = new("phone", 390, 844);
    public static readonly Viewport Desktop = new("desktop", 1280, 800);
    public static readonly Viewport[] Both = [Phone, Desktop];
}

/// <summary>"A page signed in as X": a browser context of its own holding a bearer token, as the sign-in page leaves it.</summary>
public static class Pages
{
    /// <summary>Where the pages keep the signed-in session (js/api.js).</summary>
    public const string SessionKey = "mediation-session";

    /// <summary>A new context (its own storage) signed in as <paramref name="userId"/>, at <paramref name="baseAddress"/>.</summary>
    public static async Task<IBrowserContext> SignedInContextAsync(this IBrowser browser, Uri baseAddress, string userId, string role, Viewport? viewport = null)
    {
        viewport ??= Viewport.Phone;
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = viewport.Width, Height = viewport.Height },
            Locale = "en-US",
            TimezoneId = "Asia/Shanghai",
        });
        context.SetDefaultTimeout(15_000);
        // A token of the tests' issuer (trusted by the app, as a payment platform's would be), in the service's origin only.
        var session = System.Text.Json.JsonSerializer.Serialize(new
        {
            role, userId, token = TestTokens.For(userId, role), expiresAt = DateTimeOffset.UtcNow.AddHours(1),
        });
        var origin = System.Text.Json.JsonSerializer.Serialize(baseAddress.GetLeftPart(UriPartial.Authority));
        // ...and its copy in the cookie that links and images carry (read by the service on GET requests only).
        await context.AddCookiesAsync([new Cookie
        {
            Name = "mediation-token", Value = TestTokens.For(userId, role),
            Domain = baseAddress.Host, Path = "/", SameSite = SameSiteAttribute.Strict,
        }]);
        await context.AddInitScriptAsync(
            $"if (location.origin === {origin} && !localStorage.getItem('{SessionKey}')) " +
            $"localStorage.setItem('{SessionKey}', {System.Text.Json.JsonSerializer.Serialize(session)});");
        return context;
    }

    /// <summary>A page signed in as <paramref name="userId"/> (its own context), opened at <paramref name="path"/>.</summary>
    public static async Task<IPage> SignedInPageAsync(this IBrowser browser, Uri baseAddress, string userId, string role, string path, Viewport? viewport = null)
    {
        var context = await browser.SignedInContextAsync(baseAddress, userId, role, viewport);
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        return page;
    }

    /// <summary>Saves the page as <c>artifacts/screenshots/{name}-{viewport}.png</c> at the repository's root.</summary>
    public static async Task<string> ScreenshotAsync(this IPage page, string name, Viewport viewport)
    {
        var path = Path.Combine(Screenshots.Directory, $"{name}-{viewport.Name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }
}

public static class Screenshots
{
    /// <summary>The folder holding Mediation.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mediation.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Mediation.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary><c>artifacts/screenshots</c> beside Mediation.sln (git-ignored).</summary>
    public static string Directory { get; } = System.IO.Directory.CreateDirectory(Path.Combine(RepositoryRoot, "artifacts", "screenshots")).FullName;
}

/// <summary>The seeded demo, as the sign-in page lists it.</summary>
public static class Demo
{
    /// <summary>Waits until the seeder's last step (the settled dispute's feedback) is in: every demo order exists and c-chen's dispute is closed.</summary>
    public static async Task WaitUntilSeededAsync(ApiFactory app)
    {
        using var chen = app.As("c-chen", "consumer");
        using var ops = app.As("ops-platform", "ops");
        await Poll.UntilAsync(async () =>
        {
            var response = await chen.GetAsync("/api/consumers/c-chen/disputes");
            if (!response.IsSuccessStatusCode) return false;
            var text = await response.Content.ReadAsStringAsync();
            return text.Contains("\"Closed\"", StringComparison.Ordinal) && await OrderExistsAsync(ops, "o-demo-3002");
        }, TimeSpan.FromSeconds(60), "demo seeded", () => string.Join("\n", app.Logs.Entries.Where(e => e.Category.Contains("Demo", StringComparison.Ordinal)).Select(e => $"{e.Level} {e.Message} {e.Exception}")));
    }

    private static async Task<bool> OrderExistsAsync(HttpClient ops, string orderId) =>
        (await ops.GetAsync($"/api/orders/{orderId}")).IsSuccessStatusCode;

    public static async Task<T?> GetJsonAsync<T>(this HttpClient client, string path) =>
        await client.GetFromJsonAsync<T>(path, MediationJson.Options);
}
