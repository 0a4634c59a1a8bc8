namespace Mediation.Web.Tests;

/// <summary>
/// One headless Chromium for the whole run (Debian's <c>/usr/bin/chromium</c>, never a downloaded one) and one app on
/// a loopback port with the demo seeded. Tests open their own browser contexts ("a page signed in as X").
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;
    /// <summary>The app with the demo seeded (its people on the sign-in page, orders and disputes in each state).</summary>
    public ApiFactory App { get; } = new();
    /// <summary>The origin of a payment app's page (another loopback port) that the app allows through CORS.</summary>
    public int HostPagePort { get; } = FreePort.Next();
    public string HostOrigin => $"http://127.0.0.1:{HostPagePort}";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (bash scripts/test.sh does it as root)");
        App.Settings["Mediation:Seed:Demo"] = "true";
        App.Settings["Mediation:Cors:Origins:0"] = HostOrigin;
        App.Settings["Mediation:HeartbeatPeriod"] = "00:00:01";
        _ = App.BaseAddress; // starts the app now, so its seeding runs while the browser starts
        _playwright = await Playwright.CreateAsync();
        // Assertions wait for what a person would see; on a CI machine running other test projects beside this one,
        // Playwright's 5 s default is too short a patience for a live update, not a sign of a missing one.
        Assertions.SetDefaultExpectTimeout(15_000);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        await Demo.WaitUntilSeededAsync(App);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        await App.DisposeAsync();
    }

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Web";
}
