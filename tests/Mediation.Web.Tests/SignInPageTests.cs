namespace Mediation.Web.Tests;

[Collection(WebCollection.Name)]
public sealed class SignInPageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Picking_a_demo_consumer_signs_in_and_opens_the_consumer_page()
    {
        await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.App.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = Viewport.Phone.Width, Height = Viewport.Phone.Height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Merchants" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in as Lakeside Tea House (merchant, m-lakeside-tea)" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in as Zhou Lan (mediator, med-zhou)" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in as Li Wei (consumer, c-li)" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/consumer\\.html$"));
        // The sign-in left a bearer token from the local issuer, and the page uses it: it knows who it is for.
        Assert.Equal("c-li", await page.EvaluateAsync<string>($"() => JSON.parse(localStorage.getItem('{Pages.SessionKey}')).userId"));
        await Expect(page.Locator("#who")).ToHaveTextAsync("c-li");
    }

    [Fact]
    public async Task Sign_in_page_screenshots_at_phone_and_desktop_width()
    {
        foreach (var viewport in Viewport.Both)
        {
            await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = fixture.App.BaseAddress.ToString().TrimEnd('/'),
                ViewportSize = new ViewportSize { Width = viewport.Width, Height = viewport.Height },
            });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/");
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("\\d+ demo people"));
            var path = await page.ScreenshotAsync("sign-in", viewport);
            Assert.True(new FileInfo(path).Length > 0, path);
        }
    }
}
