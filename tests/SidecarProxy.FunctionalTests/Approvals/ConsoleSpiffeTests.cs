using System.Net;
using System.Text.Json;
using SidecarProxy.Approvals;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Approvals;

/// <summary>
/// Issue 13: the approval console for admin SPIFFE IDs, signed in by the X.509-SVID their browser presents as the
/// client certificate on the admin listener (real mTLS), with or without an OpenID Connect login for people.
/// </summary>
public sealed class ConsoleSpiffeTests
{
    private const string Revoker = "spiffe://agents.test/sec/revoker";

    [Fact]
    public async Task SpiffeAdmin_ListsOpensAndApproves_WithoutLogin_AndTheVoteIsItsSpiffeId()
    {
        await using var bed = await ConsoleBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 300 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        var held = agent.SendAsync(bed.Approvals.Gated(marker));
        var id = await bed.Approvals.PendingIdAsync(marker);
        using var browser = bed.Browser(ApprovalBed.Approver1);

        var list = await browser.PageAsync("/");
        Assert.Contains($"href=\"/approvals/{id}\"", list, StringComparison.Ordinal);
        Assert.Contains($"Signed in by client certificate as <span id=\"person\">{ApprovalBed.Approver1}</span>", list, StringComparison.Ordinal);
        Assert.DoesNotContain("/console/logout", list, StringComparison.Ordinal);
        Assert.Equal(0, bed.Issuer.TokensIssued);
        Assert.False(browser.HasSession);

        var page = await browser.PageAsync("/approvals/" + id);
        Assert.Contains(CredentialBed.AgentId, page, StringComparison.Ordinal);
        Assert.Contains("id=\"approve\"", page, StringComparison.Ordinal);
        Assert.Contains($"You decide as {ApprovalBed.Approver1}.", page, StringComparison.Ordinal);
        var csrf = ConsoleBrowser.Csrf(page);
        Assert.NotEmpty(csrf);
        using (var decided = await browser.PostAsync($"/approvals/{id}/approve", new Dictionary<string, string>
        {
            [ConsoleAuthentication.AntiforgeryField] = csrf,
            ["comment"] = "checked by the bot's operator",
        }))
        {
            Assert.Equal(HttpStatusCode.SeeOther, decided.StatusCode);
            Assert.Equal($"/approvals/{id}?done=approve", decided.Headers.Location!.ToString());
        }

        using var response = await held;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(bed.Approvals.Bed.UpstreamRequestsFor(marker));
        Assert.Equal([ApprovalBed.Approver1], bed.Approvals.Bed.Policy.Requests[^1].Approval!.ApprovedBy);

        // Recorded exactly as the JSON API records a SPIFFE ID: the ID, and no display name beside it.
        var record = await bed.Approvals.GetAsync(id);
        Assert.Equal("used", record.GetProperty("state").GetString());
        var vote = Assert.Single(record.GetProperty("votes").EnumerateArray());
        Assert.Equal((ApprovalBed.Approver1, "checked by the bot's operator"), (vote.GetProperty("by").GetString(), vote.GetProperty("comment").GetString()));
        Assert.False(vote.TryGetProperty("by_name", out _));
        var decidedLine = await AuditedAsync(bed.Approvals, l => l.TryGetProperty("approval", out var a) && a.GetProperty("event").GetString() == "approval_decided");
        Assert.Equal(ApprovalBed.Approver1, decidedLine.GetProperty("spiffe_id").GetString());

        var after = await browser.PageAsync($"/approvals/{id}?done=approve");
        Assert.Contains("Your approval was recorded.", after, StringComparison.Ordinal);
        ConsoleTests.AssertNoSecrets(bed.Approvals, [.. bed.Issuer.Tokens, csrf]);
    }

    [Fact]
    public async Task SpiffeAdmin_VotingInTheConsoleAndThroughTheApi_IsOneApprover()
    {
        await using var bed = await ConsoleBed.StartAsync(new ApprovalRequirement { MinApprovals = 2 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(marker));
        using var browser = bed.Browser(ApprovalBed.Approver1);

        using (var decided = await browser.DecideAsync(id, approve: true))
        {
            Assert.Equal(HttpStatusCode.SeeOther, decided.StatusCode);
        }

        Assert.Contains("1 of 2", await browser.PageAsync("/approvals/" + id), StringComparison.Ordinal);
        using (var again = await bed.Approvals.DecideAsync(ApprovalBed.Approver1, id, approve: true))
        {
            Assert.Equal((409, "already_voted"), ((int)again.StatusCode, (await Problem.ReadAsync(again)).Code));
        }

        await bed.Approvals.ApproveAsync(ApprovalBed.Approver2, id);
        using var retry = await agent.SendAsync(bed.Approvals.Gated(marker, approvalId: id));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal([ApprovalBed.Approver1, ApprovalBed.Approver2], bed.Approvals.Bed.Policy.Requests[^1].Approval!.ApprovedBy);
    }

    [Fact]
    public async Task SpiffeAdmin_PostWithoutCsrfToken_Is400_AndNothingIsDecided()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));
        using var browser = bed.Browser(ApprovalBed.Approver1);
        await browser.PageAsync("/approvals/" + id);

        foreach (var form in new[] { new Dictionary<string, string> { ["comment"] = "x" }, new Dictionary<string, string>() })
        {
            using var refused = await browser.PostAsync($"/approvals/{id}/approve", form);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("anti-forgery", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());
        var line = await AuditedAsync(bed.Approvals, l => l.GetProperty("reason").GetString() == "csrf_token_invalid");
        Assert.Equal(ApprovalBed.Approver1, line.GetProperty("spiffe_id").GetString());
    }

    [Fact]
    public async Task CsrfToken_IssuedToOneSpiffeId_IsRefusedForAnother_EvenWithTheSameCookies()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));

        // One browser (one cookie jar, so the antiforgery cookie is the same) with two certificates installed.
        var cookies = new CookieContainer();
        using var first = bed.Browser(ApprovalBed.Approver1, cookies);
        using var second = bed.Browser(ApprovalBed.Approver2, cookies);
        var firstsToken = ConsoleBrowser.Csrf(await first.PageAsync("/approvals/" + id));

        using (var foreign = await second.PostAsync($"/approvals/{id}/approve",
            new Dictionary<string, string> { [ConsoleAuthentication.AntiforgeryField] = firstsToken }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        }

        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());

        // Its own token, with the same cookie, is accepted.
        using var own = await second.DecideAsync(id, approve: true);
        Assert.Equal(HttpStatusCode.SeeOther, own.StatusCode);
        var vote = Assert.Single((await bed.Approvals.GetAsync(id)).GetProperty("votes").EnumerateArray());
        Assert.Equal(ApprovalBed.Approver2, vote.GetProperty("by").GetString());
    }

    [Fact]
    public async Task SpiffeReader_SeesThePages_ButGets403OnApprove_AndWithoutAConsoleRole403Everywhere()
    {
        await using var bed = await ConsoleBed.StartAsync(configure: AddRevoker);
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));

        using var reader = bed.Browser(ApprovalBed.AdminReader);
        Assert.Contains(id, await reader.PageAsync("/"), StringComparison.Ordinal);
        var page = await reader.PageAsync("/approvals/" + id);
        Assert.Contains(CredentialBed.AgentId, page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"approve\"", page, StringComparison.Ordinal);
        using (var post = await reader.PostAsync($"/approvals/{id}/approve", new Dictionary<string, string> { ["comment"] = "x" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }

        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());

        // An admin SPIFFE ID whose only role is revoke: like a person without roles.
        using var revoker = bed.Browser(Revoker);
        foreach (var path in new[] { "/", "/approvals/" + id, "/console/live/approvals" })
        {
            using var refused = await revoker.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.DoesNotContain(id, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var line = await AuditedAsync(bed.Approvals, l => l.GetProperty("spiffe_id").GetString() == Revoker);
        Assert.Equal("admin_forbidden", line.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task AgentsOwnSvid_EvenAsAnApprover_CannotApproveItsOwnRequest()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));

        // The bed gives the agent's SPIFFE ID the role approve.
        using var browser = bed.Browser(CredentialBed.AgentId);
        using (var own = await browser.DecideAsync(id, approve: true))
        {
            Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
            Assert.Contains("Self-approval refused", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());
        var line = await AuditedAsync(bed.Approvals, l => l.GetProperty("reason").GetString() == "self_approval");
        Assert.Equal(CredentialBed.AgentId, line.GetProperty("spiffe_id").GetString());
    }

    [Fact]
    public async Task AgentSvid_NotAnAdminPrincipal_IsTreatedLikeABrowserWithoutCertificate()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(CredentialBed.Marker()));
        using var other = bed.Browser(CredentialBed.OtherAgentId);

        using (var start = await other.GetAsync("/approvals/" + id))
        {
            Assert.Equal(HttpStatusCode.Found, start.StatusCode);
            Assert.StartsWith(bed.Issuer.Issuer + "authorize?", start.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        using (var post = await other.PostAsync($"/approvals/{id}/approve", new Dictionary<string, string> { ["comment"] = "x" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        }

        using (var live = await other.GetAsync("/console/live/approvals"))
        {
            Assert.Equal((401, "console_session_missing"), ((int)live.StatusCode, (await Problem.ReadAsync(live)).Code));
        }

        Assert.Equal("pending", (await bed.Approvals.GetAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task ClientCertificate_TakesPrecedenceOverAPersonsSession()
    {
        await using var bed = await ConsoleBed.StartAsync();
        using var person = bed.Browser();
        await person.LoginToAsync();
        Assert.True(person.HasSession);

        // The same browser (the person's cookies) now presents an admin's certificate.
        using var both = bed.Browser(ApprovalBed.Approver2, person.Cookies);
        var list = await both.PageAsync("/");

        Assert.Contains($"Signed in by client certificate as <span id=\"person\">{ApprovalBed.Approver2}</span>", list, StringComparison.Ordinal);
        Assert.DoesNotContain("Alice Approver", list, StringComparison.Ordinal);
        Assert.DoesNotContain("/console/logout", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LiveJson_WorksForASpiffeAdmin()
    {
        await using var bed = await ConsoleBed.StartAsync();
        var marker = CredentialBed.Marker();
        using var agent = bed.Approvals.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Approvals.Gated(marker));
        using var browser = bed.Browser(ApprovalBed.AdminReader);

        using var list = await browser.GetAsync("/console/live/approvals");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("application/json", list.Content.Headers.ContentType?.MediaType);
        var pending = Assert.Single(JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("pending").EnumerateArray());
        Assert.Equal((id, CredentialBed.AgentId), (pending.GetProperty("id").GetString(), pending.GetProperty("agent").GetString()));

        await bed.Approvals.ApproveAsync(ApprovalBed.Approver1, id);
        using var one = await browser.GetAsync("/console/live/approvals/" + id);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var state = JsonDocument.Parse(await one.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("approved", state.GetProperty("state").GetString());
        Assert.Equal(ApprovalBed.Approver1, Assert.Single(state.GetProperty("votes").EnumerateArray()).GetProperty("by").GetString());
    }

    [Fact]
    public async Task WithoutOidc_SpiffeAdminsUseTheConsole_AndEveryoneElseGetsThe401Page()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 300 }, AddRevoker);
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        var held = agent.SendAsync(bed.Gated(marker));
        var id = await bed.PendingIdAsync(marker);

        foreach (var spiffeId in new[] { null, CredentialBed.OtherAgentId })
        {
            using var stranger = bed.Browser(spiffeId);
            using var refused = await stranger.GetAsync("/approvals/" + id);
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("text/html", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("client certificate", html, StringComparison.Ordinal);
            Assert.Contains("Sidecar:Approvals:Oidc", html, StringComparison.Ordinal);
            Assert.DoesNotContain(CredentialBed.AgentId, html, StringComparison.Ordinal);
            using var post = await stranger.PostAsync($"/approvals/{id}/approve", new Dictionary<string, string> { ["comment"] = "x" });
            Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
            using var live = await stranger.GetAsync("/console/live/approvals");
            Assert.Equal(HttpStatusCode.Unauthorized, live.StatusCode);
        }

        // No login for people: the OpenID Connect routes are not there.
        using (var anonymous = bed.Browser(null))
        using (var callback = await anonymous.GetAsync("/console/signin-oidc?code=x&state=y"))
        {
            Assert.Equal(HttpStatusCode.NotFound, callback.StatusCode);
        }

        using var admin = bed.Browser(ApprovalBed.Approver1);
        Assert.Contains($"href=\"/approvals/{id}\"", await admin.PageAsync("/"), StringComparison.Ordinal);
        using (var liveList = await admin.GetAsync("/console/live/approvals"))
        {
            Assert.Equal(HttpStatusCode.OK, liveList.StatusCode);
        }

        var csrf = ConsoleBrowser.Csrf(await admin.PageAsync("/approvals/" + id));
        Assert.NotEmpty(csrf);
        using (var decided = await admin.PostAsync($"/approvals/{id}/approve", new Dictionary<string, string>
        {
            [ConsoleAuthentication.AntiforgeryField] = csrf,
            ["comment"] = "fine",
        }))
        {
            Assert.Equal(HttpStatusCode.SeeOther, decided.StatusCode);
        }

        using var response = await held;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([ApprovalBed.Approver1], bed.Bed.Policy.Requests[^1].Approval!.ApprovedBy);
        ConsoleTests.AssertNoSecrets(bed, [csrf]);
    }

    private static void AddRevoker(Dictionary<string, string?> settings)
    {
        settings["Sidecar:Admin:Principals:6:Id"] = Revoker;
        settings["Sidecar:Admin:Principals:6:Roles:0"] = "revoke";
    }

    /// <summary>The first audit line <paramref name="match"/> accepts, once it is written (bounded wait).</summary>
    private static async Task<JsonElement> AuditedAsync(ApprovalBed bed, Func<JsonElement, bool> match)
    {
        JsonElement? found = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            found = (await bed.Bed.AuditLinesAsync(1)).FirstOrDefault(l => Matches(l, match)) is { ValueKind: JsonValueKind.Object } line ? line : null;
            return found is not null;
        }));
        return found!.Value;
    }

    private static bool Matches(JsonElement line, Func<JsonElement, bool> match)
    {
        try
        {
            return match(line);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            // A line without the member (or with another type) is not the one looked for.
            return false;
        }
    }
}
