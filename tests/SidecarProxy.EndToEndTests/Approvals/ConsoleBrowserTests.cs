using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SidecarProxy.Approvals;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.EndToEndTests.Approvals;

/// <summary>
/// Issue 13: the approval console in a real browser (Debian's headless chromium driven through chromium-driver):
/// a person logs in through the in-test OpenID Connect issuer, sees a held request's context, approves it, and the
/// agent's held request completes.
/// </summary>
public sealed class ConsoleBrowserTests
{
    private const string TrustDomain = "sidecar.dev";
    private const string AgentId = "spiffe://sidecar.dev/agent/demo";

    [Fact]
    public async Task Person_LogsIn_SeesTheHeldRequest_Approves_AndTheAgentGets200()
    {
        using var root = TestCa.CreateRoot(TrustDomain);
        using var identity = new IdentityDirectory();
        identity.WriteBundle(TrustDomain, root);
        await using var upstream = await RecordingUpstream.StartAsync();
        await using var issuer = await TestOidcIssuer.StartAsync("browser-test-secret");
        issuer.User = new TestPerson("pat-sub", "Pat Approver", "pat@corp.example", ["approve"]);
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in identity.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "demo", upstream.Url);
        settings["Sidecar:Admin:Listen"] = "https://127.0.0.1:0";
        settings["Sidecar:Admin:Principals:0:Id"] = "spiffe://sidecar.dev/ops/approver";
        settings["Sidecar:Admin:Principals:0:Roles:0"] = "approve";
        settings["Sidecar:Approvals:Mode"] = "hold";
        settings["Sidecar:Approvals:HoldTimeout"] = "00:05:00";
        settings["Sidecar:Approvals:Oidc:Authority"] = issuer.Issuer.ToString();
        settings["Sidecar:Approvals:Oidc:ClientId"] = TestOidcIssuer.ClientId;
        settings["Sidecar:Approvals:Oidc:ClientSecret"] = "browser-test-secret";

        // Reads are free; anything else waits for a person, then is allowed with the approval.
        var policy = new TestPolicyDecisionPoint(r =>
            r.Method == "GET" ? PolicyDecision.Allow("reads are free")
            : r.Approval is { ApprovedBy.Count: > 0 } ? PolicyDecision.Allow("approved")
            : new PolicyDecision { Allowed = false, RequireApproval = true, Approval = new ApprovalRequirement(), Reason = "deleting needs a human" });
        await using var proxy = await TestProxy.StartAsync(identity, settings, s => s.AddSingletonPdp(policy));
        var console = proxy.App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Admin);
        var store = proxy.App.Services.GetRequiredService<IApprovalStore>();

        var marker = Guid.NewGuid().ToString("N")[..12];
        using var agent = proxy.CreateClient(root.IssueSvid(AgentId));
        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri($"/tools/demo/items/{marker}", UriKind.Relative))
        {
            Content = new StringContent("""{"reason": "cleanup"}""", Encoding.UTF8, "application/json"),
        };
        var held = agent.SendAsync(delete);
        string? id = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            id = (await store.ListAsync(pending: true, CancellationToken.None)).FirstOrDefault(a => a.Context.Path.Contains(marker, StringComparison.Ordinal))?.Id;
            return id is not null;
        }));

        using var browser = StartChromium();
        browser.Navigate().GoToUrl(new Uri(console, "/approvals/" + id));

        // Login: the sidecar sends the browser to the issuer, which sends it back with a code; the console page follows.
        var state = await ElementAsync(browser, By.Id("approval-state"));
        Assert.Equal("pending", state.Text);
        Assert.Contains("Pat Approver", browser.FindElement(By.Id("person")).Text, StringComparison.Ordinal);
        var page = browser.FindElement(By.TagName("main")).Text;
        foreach (var expected in new[] { AgentId, "DELETE", marker, "deleting needs a human", "cleanup" })
        {
            Assert.Contains(expected, page, StringComparison.Ordinal);
        }

        Assert.Equal(1, issuer.TokensIssued);
        browser.FindElement(By.Id("comment")).SendKeys("checked in the browser");
        browser.FindElement(By.Id("approve")).Click();

        using var response = await held.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        var shownState = await ElementAsync(browser, By.Id("approval-state"));
        Assert.Contains(shownState.Text, new[] { "approved", "used" });
        Assert.Contains("checked in the browser", browser.FindElement(By.TagName("main")).Text, StringComparison.Ordinal);
        Assert.Equal(ApprovalStates.Used, (await store.GetAsync(id!, CancellationToken.None))!.State);
    }

    // Debian's chromium and chromium-driver (.ci/run installs them); headless, as root (no sandbox), trusting the
    // sidecar's test certificate (its CA is not in the browser's store).
    private static ChromeDriver StartChromium()
    {
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium", AcceptInsecureCertificates = true };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1024");
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static async Task<IWebElement> ElementAsync(ChromeDriver browser, By by)
    {
        IWebElement? found = null;
        Assert.True(
            await Eventually.TrueAsync(() => (found = browser.FindElements(by).FirstOrDefault()) is not null, TimeSpan.FromSeconds(30)),
            $"{by} never appeared; the browser is at {browser.Url}: {browser.PageSource[..Math.Min(2000, browser.PageSource.Length)]}");
        return found!;
    }
}
