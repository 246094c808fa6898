using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SidecarProxy.Approvals;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Approvals;

/// <summary>
/// Issue 13: the approval console for people, on the admin listener, with an OpenID Connect login (code flow with
/// PKCE) through an in-test issuer, driven hop by hop like a browser.
/// </summary>
public sealed partial class ConsoleTests
{
    [Fact]
    public async Task WithoutSession_ConsoleRedirectsToTheIssuer_WithPkceAndNonce_AndTheJsonApiStill401()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var browser = bed.Browser();

        using var response = await browser.GetAsync("/");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var query = System.Web.HttpUtility.ParseQueryString(response.Headers.Location!.Query);
        Assert.Equal(("code", "S256", TestOidcIssuer.ClientId), (query["response_type"], query["code_challenge_method"], query["client_id"]));

        // The code comes back in the query (the default of the code flow, so the handler may leave response_mode out).
        Assert.True(query["response_mode"] is null or "query", query["response_mode"]);
        Assert.False(string.IsNullOrEmpty(query["code_challenge"]));
        Assert.False(string.IsNullOrEmpty(query["nonce"]));
        Assert.Equal(bed.ConsoleUrl + "console/signin-oidc", query["redirect_uri"]);
        Assert.Contains("openid", query["scope"]!.Split(' '));

        // The JSON API keeps requiring an SVID: a browser without one is 401.
        using var api = await browser.GetAsync("/admin/approvals");
        Assert.Equal((401, "svid_missing"), ((int)api.StatusCode, (await Problem.ReadAsync(api)).Code));
    }

    [Fact]
    public async Task Login_ListsThePendingApproval_AndShowsItsFullContext_WithStrictHeaders()
    {
        await using var bed = await ConsoleBed.StartAsync();
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        using var refused = await agent.SendAsync(bed.Approvals.Gated(marker));
        var problem = await Problem.ReadAsync(refused);
        var id = problem.Body.GetProperty("approval_id").GetString()!;

        // approval_url is the console page of this approval.
        var url = new Uri(problem.Body.GetProperty("approval_url").GetString()!);
        Assert.Equal(bed.ConsoleUrl + "approvals/" + id, url.ToString());
        using var browser = bed.Browser();
        var list = await browser.LoginToAsync("/");

        Assert.True(browser.HasSession);
        Assert.Empty(bed.Issuer.Failures);
        Assert.Equal(1, bed.Issuer.TokensIssued);
        Assert.Contains("Alice Approver &lt;alice@corp.example&gt;", list, StringComparison.Ordinal);
        Assert.Contains($"href=\"/approvals/{id}\"", list, StringComparison.Ordinal);
        Assert.Contains(CredentialBed.AgentId, list, StringComparison.Ordinal);

        using var detail = await browser.GetAsync(url.PathAndQuery);
        var html = await detail.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, detail.StatusCode);
        Assert.Equal(ConsolePages.ContentSecurityPolicy, detail.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", detail.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("no-store", detail.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        // One script, the sidecar's own; nothing inline.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<script", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        Assert.Contains("<script src=\"/console/console.js\" defer></script>", html, StringComparison.Ordinal);
        foreach (var expected in new[]
        {
            CredentialBed.AgentId, "t-1", ApprovalBed.Requester, "cleanup", "plain", "DELETE", $"{marker}?force=1",
            "deleting needs a human", "&quot;repo&quot;:&quot;x&quot;", "[redacted]", "pending", "0 of 1",
        })
        {
            Assert.Contains(expected, html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("CANARY", html, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", html, StringComparison.Ordinal);

        var csrfCookie = Assert.Single(browser.Cookies.GetCookies(bed.ConsoleUrl), c => c.Name == ConsoleAuthentication.AntiforgeryCookieName);
        Assert.True(csrfCookie.Secure && csrfCookie.HttpOnly && csrfCookie.Path == "/");
    }

    [Fact]
    public async Task LiveJson_NeedsTheSession_AndCarriesTheListAndTheStateWithoutSecrets()
    {
        await using var bed = await ConsoleBed.StartAsync();
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(marker));

        using var anonymous = bed.Browser();
        foreach (var path in new[] { "/console/live/approvals", "/console/live/approvals/" + id })
        {
            using var refused = await anonymous.GetAsync(path);
            Assert.Equal((401, "console_session_missing"), ((int)refused.StatusCode, (await Problem.ReadAsync(refused)).Code));
        }

        using var browser = bed.Browser();
        await browser.LoginToAsync();
        using var list = await browser.GetAsync("/console/live/approvals");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("application/json", list.Content.Headers.ContentType?.MediaType);
        var listText = await list.Content.ReadAsStringAsync();
        var pending = Assert.Single(JsonDocument.Parse(listText).RootElement.GetProperty("pending").EnumerateArray());
        Assert.Equal((id, CredentialBed.AgentId, "0 of 1"),
            (pending.GetProperty("id").GetString(), pending.GetProperty("agent").GetString(), pending.GetProperty("approvals").GetString()));
        Assert.Contains(marker, pending.GetProperty("request").GetString(), StringComparison.Ordinal);

        using (var decided = await browser.DecideAsync(id, approve: false, comment: "not now"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, decided.StatusCode);
        }

        using var one = await browser.GetAsync("/console/live/approvals/" + id);
        var oneText = await one.Content.ReadAsStringAsync();
        var state = JsonDocument.Parse(oneText).RootElement;
        Assert.Equal("denied", state.GetProperty("state").GetString());
        var vote = Assert.Single(state.GetProperty("votes").EnumerateArray());
        Assert.Equal(("deny", "not now"), (vote.GetProperty("decision").GetString(), vote.GetProperty("comment").GetString()));
        Assert.Contains("Alice Approver", vote.GetProperty("by").GetString(), StringComparison.Ordinal);

        // Less than the pages: no headers, body preview or claims, and never a secret.
        foreach (var text in new[] { listText, oneText })
        {
            Assert.DoesNotContain("CANARY", text, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
            Assert.DoesNotContain("cleanup", text, StringComparison.Ordinal);
        }

        using var unknown = await browser.GetAsync("/console/live/approvals/apr_unknown");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var script = await browser.GetAsync("/console/console.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/console/live/approvals", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionCookie_IsHostOnly_HttpOnly_Secure_SameSiteStrict_AndCarriesNoToken()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var browser = bed.Browser();

        using var callback = await browser.LoginAsync();

        var session = callback.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleAuthentication.CookieName + "=", StringComparison.Ordinal));
        foreach (var attribute in new[] { "path=/", "secure", "samesite=strict", "httponly" })
        {
            Assert.Contains(attribute, session, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("domain=", session, StringComparison.OrdinalIgnoreCase);
        Assert.True(session.Length < 4096, "the session cookie carries only a few claims");
    }

    [Fact]
    public async Task HoldMode_ApproveThroughTheConsole_ReleasesTheHeldRequest_AndRecordsThePerson()
    {
        await using var bed = await ConsoleBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 300 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        var held = agent.SendAsync(bed.Approvals.Gated(marker));
        var id = await bed.Approvals.PendingIdAsync(marker);
        using var browser = bed.Browser();
        await browser.LoginToAsync("/approvals/" + id);

        using var decided = await browser.DecideAsync(id, approve: true, comment: "checked with\nthe repo owner");

        Assert.Equal(HttpStatusCode.SeeOther, decided.StatusCode);
        Assert.Equal($"/approvals/{id}?done=approve", decided.Headers.Location!.ToString());
        using var response = await held;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(bed.Approvals.Bed.UpstreamRequestsFor(marker));
        var person = bed.Issuer.Issuer.ToString().TrimEnd('/') + "#alice-sub";
        Assert.Equal([person], bed.Approvals.Bed.Policy.Requests[^1].Approval!.ApprovedBy);

        var page = await browser.PageAsync($"/approvals/{id}?done=approve");
        Assert.Contains("Your approval was recorded.", page, StringComparison.Ordinal);
        Assert.Contains("checked with the repo owner", page, StringComparison.Ordinal);

        var record = await bed.Approvals.GetAsync(id);
        Assert.Equal("used", record.GetProperty("state").GetString());
        var vote = Assert.Single(record.GetProperty("votes").EnumerateArray());
        Assert.Equal((person, "Alice Approver <alice@corp.example>", "checked with the repo owner"),
            (vote.GetProperty("by").GetString(), vote.GetProperty("by_name").GetString(), vote.GetProperty("comment").GetString()));

        Assert.True(await Eventually.TrueAsync(() => bed.Approvals.Bed.AuditText().Contains("approval_consumed", StringComparison.Ordinal)));
        var line = (await bed.Approvals.Bed.AuditLinesAsync(1)).Single(l =>
            l.TryGetProperty("approval", out var a) && a.GetProperty("event").GetString() == "approval_decided");
        Assert.Equal(person, line.GetProperty("spiffe_id").GetString());
        Assert.Equal("Alice Approver <alice@corp.example>", line.GetProperty("approval").GetProperty("approver_name").GetString());
        AssertNoSecrets(bed);
    }

    [Fact]
    public async Task DenyThroughTheConsole_EndsTheHeldRequest()
    {
        await using var bed = await ConsoleBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 300 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        var held = agent.SendAsync(bed.Approvals.Gated(marker));
        var id = await bed.Approvals.PendingIdAsync(marker);
        using var browser = bed.Browser();
        await browser.LoginToAsync();

        using var decided = await browser.DecideAsync(id, approve: false, comment: "not today");

        Assert.Equal(HttpStatusCode.SeeOther, decided.StatusCode);
        using var response = await held;
        Assert.Equal((403, "approval_denied"), ((int)response.StatusCode, (await Problem.ReadAsync(response)).Code));
        Assert.Empty(bed.Approvals.Bed.UpstreamRequestsFor(marker));

        // Decided: a second decision is 409, and the list shows it with who decided.
        using var again = await browser.DecideAsync(id, approve: true);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var list = await browser.PageAsync("/");
        Assert.Contains("denied", list, StringComparison.Ordinal);
        Assert.Contains("Alice Approver", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecidingTwice_OrADecidedApproval_Is409()
    {
        await using var bed = await ConsoleBed.StartAsync();
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(marker));
        using var browser = bed.Browser();
        var page = await browser.LoginToAsync("/approvals/" + id);
        var form = new Dictionary<string, string> { [ConsoleAuthentication.AntiforgeryField] = ConsoleBrowser.Csrf(page) };

        using (var first = await browser.PostAsync($"/approvals/{id}/approve", form))
        {
            Assert.Equal(HttpStatusCode.SeeOther, first.StatusCode);
        }

        using var second = await browser.PostAsync($"/approvals/{id}/approve", form);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("Already decided", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Refuse mode: the agent's retry goes through once.
        using var retry = await agent.SendAsync(bed.Approvals.Gated(marker, approvalId: id));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
    }

    [Fact]
    public async Task Post_WithoutOrWithAForeignCsrfToken_OrWithoutSession_IsRefused_AndNothingIsDecided()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));
        using var alice = bed.Browser();
        await alice.LoginToAsync("/approvals/" + id);
        bed.Issuer.User = new TestPerson("bob-sub", "Bob", "bob@corp.example", ["approve"]);
        using var bob = bed.Browser();
        var bobsPage = await bob.LoginToAsync("/approvals/" + id);

        using (var missing = await alice.PostAsync($"/approvals/{id}/approve", new Dictionary<string, string> { ["comment"] = "x" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
            Assert.Contains("anti-forgery", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Bob's token is bound to Bob's session: useless in Alice's.
        using (var foreign = await alice.PostAsync($"/approvals/{id}/approve",
            new Dictionary<string, string> { [ConsoleAuthentication.AntiforgeryField] = ConsoleBrowser.Csrf(bobsPage) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        }

        using (var json = await alice.PostAsync($"/approvals/{id}/approve", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        }

        using var anonymous = bed.Browser();
        using (var noSession = await anonymous.PostAsync($"/approvals/{id}/approve",
            new Dictionary<string, string> { [ConsoleAuthentication.AntiforgeryField] = ConsoleBrowser.Csrf(bobsPage) }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noSession.StatusCode);
        }

        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());
        Assert.True(await Eventually.TrueAsync(() => bed.Approvals.Bed.AuditText().Contains("csrf_token_invalid", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PersonWithoutApproverRole_Gets403_ReaderSeesButCannotDecide()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));

        bed.Issuer.User = new TestPerson("mallory-sub", "Mallory", "mallory@corp.example", ["developer"]);
        using var noRole = bed.Browser();
        using (var callback = await noRole.LoginAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        }

        using (var list = await noRole.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
            Assert.DoesNotContain(id, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var detail = await noRole.GetAsync("/approvals/" + id))
        {
            Assert.Equal(HttpStatusCode.Forbidden, detail.StatusCode);
        }

        bed.Issuer.User = new TestPerson("reader-sub", "Rita Reader", "rita@corp.example", ["read"]);
        using var reader = bed.Browser();
        var page = await reader.LoginToAsync("/approvals/" + id);
        Assert.Contains(CredentialBed.AgentId, page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"approve\"", page, StringComparison.Ordinal);
        using var post = await reader.PostAsync($"/approvals/{id}/approve",
            new Dictionary<string, string> { [ConsoleAuthentication.AntiforgeryField] = ConsoleBrowser.Csrf(page) });
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task ScopedApproverRole_DecidesOnlyApprovalsNamingItsGroup()
    {
        await using var bed = await ConsoleBed.StartAsync(new ApprovalRequirement { ApproverRoles = ["finance"] });
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));

        using var generalist = bed.Browser();
        await generalist.LoginToAsync();
        using (var refused = await generalist.DecideAsync(id, approve: true))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("approve:finance", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        bed.Issuer.User = new TestPerson("fin-sub", "Fiona Finance", "fiona@corp.example", ["approve:finance"]);
        using var finance = bed.Browser();
        await finance.LoginToAsync();
        using var approved = await finance.DecideAsync(id, approve: true);
        Assert.Equal(HttpStatusCode.SeeOther, approved.StatusCode);
        Assert.Equal("approved", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task SelfApproval_ByTheTasksRequester_IsRefused_ButAnotherPersonMayApprove()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));

        // The task grant says requested_by = alice@example.com: the person with that e-mail asked for the task.
        bed.Issuer.User = new TestPerson("alice-2", "Alice Requester", ApprovalBed.Requester, ["approve"]);
        using var requester = bed.Browser();
        await requester.LoginToAsync();
        using (var own = await requester.DecideAsync(id, approve: true))
        {
            Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
            Assert.Contains("Self-approval refused", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());
        Assert.True(await Eventually.TrueAsync(() => bed.Approvals.Bed.AuditText().Contains("self_approval", StringComparison.Ordinal)));

        bed.Issuer.User = new TestPerson("carol-sub", "Carol", "carol@corp.example", ["approve"]);
        using var carol = bed.Browser();
        await carol.LoginToAsync();
        using var approved = await carol.DecideAsync(id, approve: true);
        Assert.Equal(HttpStatusCode.SeeOther, approved.StatusCode);
    }

    [Theory]
    [InlineData(OidcTamper.WrongAudience)]
    [InlineData(OidcTamper.WrongIssuer)]
    [InlineData(OidcTamper.WrongSignature)]
    [InlineData(OidcTamper.WrongNonce)]
    public async Task IdToken_Spoiled_IsRefused_AndNoSessionIsMade(OidcTamper tamper)
    {
        await using var bed = await ConsoleBed.StartAsync();
        bed.Issuer.Tamper = tamper;
        using var browser = bed.Browser();

        using var callback = await browser.LoginAsync();

        Assert.Equal(HttpStatusCode.Forbidden, callback.StatusCode);
        Assert.Contains("Login failed", await callback.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, bed.Issuer.TokensIssued);
        Assert.False(browser.HasSession);
        using var again = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.Found, again.StatusCode);
        Assert.True(await Eventually.TrueAsync(() => bed.Approvals.Bed.AuditText().Contains("console_login_failed", StringComparison.Ordinal)));
        AssertNoSecrets(bed);
    }

    [Fact]
    public async Task Callback_ReplayedOrForged_IsRefused()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var browser = bed.Browser();
        using var start = await browser.GetAsync("/");
        using var issuerClient = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var redirect = await issuerClient.GetAsync(start.Headers.Location);
        var callback = redirect.Headers.Location!;

        // Another browser (no correlation cookie) cannot use the code: the state is not theirs.
        using var stranger = bed.Browser();
        using (var stolen = await stranger.GetAsync(callback.PathAndQuery))
        {
            Assert.Equal(HttpStatusCode.Forbidden, stolen.StatusCode);
            Assert.False(stranger.HasSession);
        }

        using (var forged = await browser.GetAsync("/console/signin-oidc?code=forged&state=forged"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        }

        Assert.Equal(0, bed.Issuer.TokensIssued);
    }

    [Fact]
    public async Task Continue_GoesOnlyToPathsOfThisSite()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var browser = bed.Browser();
        foreach (var (to, expected) in new[]
        {
            ("/approvals/apr_x", "/approvals/apr_x"), ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
        })
        {
            var page = await browser.PageAsync("/console/continue?to=" + Uri.EscapeDataString(to));
            Assert.Contains($"url={WebUtility.HtmlEncode(expected)}\"", page, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Logout_EndsTheSession()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var browser = bed.Browser();
        var page = await browser.LoginToAsync();

        using var logout = await browser.PostAsync("/console/logout",
            new Dictionary<string, string> { [ConsoleAuthentication.AntiforgeryField] = ConsoleBrowser.Csrf(page) });

        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.False(browser.HasSession);
        using var again = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.Found, again.StatusCode);
    }

    internal static void AssertNoSecrets(ConsoleBed bed) => AssertNoSecrets(bed.Approvals, bed.Issuer.Tokens);

    /// <summary>Neither the logs nor the audit trail hold a secret: a canary, a JWT, or any of <paramref name="secrets"/>.</summary>
    internal static void AssertNoSecrets(ApprovalBed bed, IEnumerable<string> secrets)
    {
        var logs = string.Join("\n", bed.Bed.Logs.Lines);
        foreach (var text in new[] { logs, bed.Bed.AuditText() })
        {
            Assert.DoesNotContain(ConsoleBed.ClientSecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain("CANARY", text, StringComparison.Ordinal);
            // A JWT's header and payload both start with "eyJ"; a lone "eyJ" also turns up by chance in random
            // base64url values (nonces, cookies), so look for the shape and for the exact tokens issued.
            Assert.DoesNotMatch(JwtShape(), text);
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.")]
    private static partial Regex JwtShape();
}
