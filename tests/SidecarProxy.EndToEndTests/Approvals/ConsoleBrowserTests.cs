using System.Drawing;
using System.Globalization;
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
/// agent's held request completes; an open page follows what happens elsewhere without being reloaded.
/// With <c>SIDECAR_CONSOLE_SCREENSHOTS</c> set to a directory the tests save the screenshots of docs/approvals.md there.
/// </summary>
public sealed class ConsoleBrowserTests
{
    [Fact]
    public async Task Person_LogsIn_SeesTheHeldRequest_Approves_AndTheAgentGets200()
    {
        await using var bed = await ConsoleBrowserBed.StartAsync();
        var (held, id, marker) = await bed.HoldAsync();

        using var browser = ConsoleBrowserBed.StartChromium();
        browser.Navigate().GoToUrl(new Uri(bed.ConsoleUrl, "/approvals/" + id));

        // Login: the sidecar sends the browser to the issuer, which sends it back with a code; the console page follows.
        var state = await ElementAsync(browser, By.Id("approval-state"));
        Assert.Equal("pending", state.Text);
        Assert.Contains("Pat Approver", browser.FindElement(By.Id("person")).Text, StringComparison.Ordinal);
        var page = browser.FindElement(By.TagName("main")).Text;
        foreach (var expected in new[] { ConsoleBrowserBed.AgentId, "DELETE", marker, "deleting needs a human", "cleanup" })
        {
            Assert.Contains(expected, page, StringComparison.Ordinal);
        }

        Assert.Equal(1, bed.Issuer.TokensIssued);
        bed.Screenshot(browser, "console-approval.png");
        browser.FindElement(By.Id("comment")).SendKeys("checked in the browser");
        browser.FindElement(By.Id("approve")).Click();

        using var response = await held.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(bed.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        var shownState = await ElementAsync(browser, By.Id("approval-state"));
        Assert.Contains(shownState.Text, new[] { "approved", "used" });
        Assert.Contains("checked in the browser", browser.FindElement(By.TagName("main")).Text, StringComparison.Ordinal);
        Assert.Equal(ApprovalStates.Used, (await bed.Store.GetAsync(id, CancellationToken.None))!.State);

        // The page loaded right after the vote may still say "approved"; the live update catches up with the use.
        Assert.True(
            await Eventually.TrueAsync(() => browser.FindElement(By.Id("approval-state")).Text == "used", TimeSpan.FromSeconds(30)),
            "the approval page never showed that the approval was used");
        bed.Screenshot(browser, "console-decided.png");
    }

    [Fact]
    public async Task ListPage_ShowsANewlyHeldRequest_WithoutReloading()
    {
        await using var bed = await ConsoleBrowserBed.StartAsync();
        using var browser = ConsoleBrowserBed.StartChromium();
        browser.Navigate().GoToUrl(new Uri(bed.ConsoleUrl, "/"));
        await ElementAsync(browser, By.Id("pending-rows"));
        Assert.Equal("Pending (0)", browser.FindElement(By.Id("pending")).Text);

        // A reload or a navigation would lose this; and the script has read the list once (it asks again only
        // after it has drawn the first answer), so it knows what is new when the held request shows up.
        browser.ExecuteScript("window.__consoleTestMarker = 'still here';");
        await LivePollsAsync(browser, ConsoleLiveEndpoints.LivePath, atLeast: 2);

        var (held, id, marker) = await bed.HoldAsync();

        var link = await ElementAsync(browser, By.CssSelector($"#pending-rows a[href='/approvals/{id}']"));
        Assert.Equal(id, link.Text);
        Assert.Equal("still here", browser.ExecuteScript("return window.__consoleTestMarker;"));
        Assert.Equal("Pending (1)", browser.FindElement(By.Id("pending")).Text);
        var row = browser.FindElement(By.Id("pending-rows")).Text;
        Assert.Contains(ConsoleBrowserBed.AgentId, row, StringComparison.Ordinal);
        Assert.Contains(marker, row, StringComparison.Ordinal);
        Assert.True(
            await Eventually.TrueAsync(() => browser.FindElement(By.Id("live-status")).Text.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
            "the new approval was not announced in the status region");
        Assert.False(held.IsCompleted);
        bed.Screenshot(browser, "console-list.png");
    }

    [Fact]
    public async Task ApprovalPage_DeniedElsewhere_ShowsTheDenial_AndDisablesItsButtons()
    {
        await using var bed = await ConsoleBrowserBed.StartAsync();
        var (held, id, _) = await bed.HoldAsync();
        using var browser = ConsoleBrowserBed.StartChromium();
        browser.Navigate().GoToUrl(new Uri(bed.ConsoleUrl, "/approvals/" + id));
        Assert.Equal("pending", (await ElementAsync(browser, By.Id("approval-state"))).Text);
        Assert.True(browser.FindElement(By.Id("approve")).Enabled);
        Assert.True(browser.FindElement(By.Id("deny")).Enabled);
        browser.ExecuteScript("window.__consoleTestMarker = 'still here';");

        // Another approver denies through the admin JSON API (an admin SPIFFE ID with the approve role).
        using (var admin = bed.CreateApproverClient())
        using (var deny = await admin.PostAsync(
            new Uri($"/admin/approvals/{id}/deny", UriKind.Relative),
            new StringContent("""{"comment": "denied from the API"}""", Encoding.UTF8, "application/json")))
        {
            Assert.True(deny.StatusCode == HttpStatusCode.OK, await deny.Content.ReadAsStringAsync());
        }

        using var response = await held.WaitAsync(TimeSpan.FromSeconds(60));
        var (status, code, _) = await Problem.ReadAsync(response);
        Assert.Equal((403, "approval_denied"), (status, code));

        Assert.True(
            await Eventually.TrueAsync(() => browser.FindElement(By.Id("approval-state")).Text == "denied", TimeSpan.FromSeconds(30)),
            "the approval page never showed the denial");
        Assert.Equal("still here", browser.ExecuteScript("return window.__consoleTestMarker;"));
        Assert.False(browser.FindElement(By.Id("approve")).Enabled);
        Assert.False(browser.FindElement(By.Id("deny")).Enabled);
        Assert.False(browser.FindElement(By.Id("comment")).Enabled);
        var outcome = browser.FindElement(By.Id("decide-outcome"));
        Assert.True(outcome.Displayed);
        Assert.Contains("denied, decided by " + ConsoleBrowserBed.ApproverId, outcome.Text, StringComparison.Ordinal);
        var votes = browser.FindElement(By.Id("votes-rows")).Text;
        Assert.Contains("deny", votes, StringComparison.Ordinal);
        Assert.Contains("denied from the API", votes, StringComparison.Ordinal);
    }

    private static async Task<IWebElement> ElementAsync(ChromeDriver browser, By by)
    {
        IWebElement? found = null;
        Assert.True(
            await Eventually.TrueAsync(() => (found = browser.FindElements(by).FirstOrDefault()) is not null, TimeSpan.FromSeconds(30)),
            $"{by} never appeared; the browser is at {browser.Url}: {browser.PageSource[..Math.Min(2000, browser.PageSource.Length)]}");
        return found!;
    }

    // Counts the page's finished reads of its live JSON (the browser's resource timing entries).
    private static async Task LivePollsAsync(ChromeDriver browser, string path, int atLeast)
    {
        const string script =
            "var path = arguments[0]; return performance.getEntriesByType('resource').filter(function (e) { return new URL(e.name).pathname === path; }).length;";
        Assert.True(
            await Eventually.TrueAsync(() => Convert.ToInt64(browser.ExecuteScript(script, path), CultureInfo.InvariantCulture) >= atLeast, TimeSpan.FromSeconds(30)),
            $"the page did not read {path} {atLeast} times");
    }

    /// <summary>
    /// One sidecar in hold mode with the console on (an in-test OpenID Connect issuer logs in Pat, an approver),
    /// a recording upstream tool <c>demo</c>, a policy under which reads are free and anything else waits for a
    /// person, and an admin SPIFFE ID <see cref="ApproverId"/> with the approve role.
    /// </summary>
    private sealed class ConsoleBrowserBed : IAsyncDisposable
    {
        public const string AgentId = "spiffe://sidecar.dev/agent/demo";
        public const string ApproverId = "spiffe://sidecar.dev/ops/approver";
        private const string TrustDomain = "sidecar.dev";
        private const string ClientSecret = "browser-test-secret";
        private const string ScreenshotsVariable = "SIDECAR_CONSOLE_SCREENSHOTS";

        private readonly List<IDisposable> _disposables = [];
        private readonly List<IAsyncDisposable> _asyncDisposables = [];

        private ConsoleBrowserBed(TestCa root, IdentityDirectory identity)
        {
            Root = root;
            Identity = identity;
        }

        public TestCa Root { get; }

        public IdentityDirectory Identity { get; }

        public RecordingUpstream Upstream { get; private set; } = null!;

        public TestOidcIssuer Issuer { get; private set; } = null!;

        public TestProxy Proxy { get; private set; } = null!;

        public Uri ConsoleUrl => Proxy.App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Admin);

        public IApprovalStore Store => Proxy.App.Services.GetRequiredService<IApprovalStore>();

        public static async Task<ConsoleBrowserBed> StartAsync()
        {
            var bed = new ConsoleBrowserBed(TestCa.CreateRoot(TrustDomain), new IdentityDirectory());
            try
            {
                bed.Identity.WriteBundle(TrustDomain, bed.Root);
                bed.Upstream = await RecordingUpstream.StartAsync();
                bed._asyncDisposables.Add(bed.Upstream);
                bed.Issuer = await TestOidcIssuer.StartAsync(ClientSecret);
                bed._asyncDisposables.Add(bed.Issuer);
                bed.Issuer.User = new TestPerson("pat-sub", "Pat Approver", "pat@corp.example", ["approve"]);
                bed.Proxy = await TestProxy.StartAsync(bed.Identity, bed.Settings(), s => s.AddSingletonPdp(HoldWrites()));
                bed._asyncDisposables.Add(bed.Proxy);
                return bed;
            }
            catch
            {
                await bed.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// Sends a DELETE as the agent, which the policy holds for a person, and waits until its approval is
        /// pending. Returns the agent's request (still open), the approval's id, and the marker in its path.
        /// </summary>
        public async Task<(Task<HttpResponseMessage> Held, string Id, string Marker)> HoldAsync()
        {
            var marker = Guid.NewGuid().ToString("N")[..12];
            var agent = Proxy.CreateClient(Root.IssueSvid(AgentId));
            _disposables.Add(agent);
            var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri($"/tools/demo/items/{marker}", UriKind.Relative))
            {
                Content = new StringContent("""{"reason": "cleanup"}""", Encoding.UTF8, "application/json"),
            };
            _disposables.Add(delete);
            var held = agent.SendAsync(delete);
            string? id = null;
            Assert.True(
                await Eventually.TrueAsync(async () =>
                {
                    id = (await Store.ListAsync(pending: true, CancellationToken.None))
                        .FirstOrDefault(a => a.Context.Path.Contains(marker, StringComparison.Ordinal))?.Id;
                    return id is not null;
                }),
                "the agent's request was never held for approval");
            return (held, id!, marker);
        }

        /// <summary>A client of the admin listener presenting <see cref="ApproverId"/>'s SVID.</summary>
        public HttpClient CreateApproverClient() =>
            TestProxy.CreateAgentClient(ConsoleUrl, Root.IssueSvid(ApproverId), null, Identity.ServerCa.Certificate, out _);

        // Debian's chromium and chromium-driver (.ci/run installs them); headless, as root (no sandbox), trusting the
        // sidecar's test certificate (its CA is not in the browser's store). The window size is the screenshots'.
        public static ChromeDriver StartChromium()
        {
            var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium", AcceptInsecureCertificates = true };
            options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900");
            var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
            service.SuppressInitialDiagnosticInformation = true;
            service.HideCommandPromptWindow = true;
            return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        }

        /// <summary>
        /// Saves what the browser shows as <paramref name="name"/> in the directory of SIDECAR_CONSOLE_SCREENSHOTS
        /// (the images of docs/approvals.md); nothing without it. Screenshots go into the docs, so the page must
        /// hold none of the issuer's tokens nor the console's client secret.
        /// </summary>
        public void Screenshot(ChromeDriver browser, string name)
        {
            var page = browser.PageSource;
            Assert.DoesNotContain(ClientSecret, page, StringComparison.Ordinal);
            Assert.All(Issuer.Tokens, token => Assert.DoesNotContain(token, page, StringComparison.Ordinal));
            if (Environment.GetEnvironmentVariable(ScreenshotsVariable) is not { Length: > 0 } directory)
            {
                return;
            }

            // The whole page, not only what fits in the window: the window grows by what is below it, then shrinks back.
            var window = browser.Manage().Window;
            var before = window.Size;
            var below = Convert.ToInt32(
                browser.ExecuteScript("return document.documentElement.scrollHeight - window.innerHeight;"), CultureInfo.InvariantCulture);
            if (below > 0)
            {
                window.Size = new Size(before.Width, before.Height + below);
            }

            Directory.CreateDirectory(directory);
            browser.GetScreenshot().SaveAsFile(Path.Combine(directory, name));
            window.Size = before;
        }

        // The agents' clients go first: that aborts a request still held, so the sidecar stops without waiting for it.
        public async ValueTask DisposeAsync()
        {
            for (var i = _disposables.Count - 1; i >= 0; i--)
            {
                _disposables[i].Dispose();
            }

            for (var i = _asyncDisposables.Count - 1; i >= 0; i--)
            {
                await _asyncDisposables[i].DisposeAsync();
            }

            Identity.Dispose();
            Root.Dispose();
        }

        // Reads are free; anything else waits for a person, then is allowed with the approval.
        private static TestPolicyDecisionPoint HoldWrites() => new(r =>
            r.Method == "GET" ? PolicyDecision.Allow("reads are free")
            : r.Approval is { ApprovedBy.Count: > 0 } ? PolicyDecision.Allow("approved")
            : new PolicyDecision { Allowed = false, RequireApproval = true, Approval = new ApprovalRequirement(), Reason = "deleting needs a human" });

        private Dictionary<string, string?> Settings()
        {
            var settings = TestProxy.BaseSettings();
            foreach (var (key, value) in Identity.Configuration(TrustDomain))
            {
                settings[key] = value;
            }

            TestProxy.AddPathTool(settings, "demo", Upstream.Url);
            settings["Sidecar:Admin:Listen"] = "https://127.0.0.1:0";
            settings["Sidecar:Admin:Principals:0:Id"] = ApproverId;
            settings["Sidecar:Admin:Principals:0:Roles:0"] = "approve";
            settings["Sidecar:Approvals:Mode"] = "hold";
            settings["Sidecar:Approvals:HoldTimeout"] = "00:05:00";
            settings["Sidecar:Approvals:Oidc:Authority"] = Issuer.Issuer.ToString();
            settings["Sidecar:Approvals:Oidc:ClientId"] = TestOidcIssuer.ClientId;
            settings["Sidecar:Approvals:Oidc:ClientSecret"] = ClientSecret;
            return settings;
        }
    }
}
