using System.Net;
using SidecarProxy.Approvals;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Approvals;

/// <summary>Issue 13: human approvals over real mTLS, refuse and hold modes, decided through the admin listener.</summary>
public sealed class ApprovalTests
{
    [Fact]
    public async Task RefuseMode_EndToEnd_ApprovedOnce_ForwardedOnce_ThenUsed()
    {
        await using var bed = await ApprovalBed.StartAsync();
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();

        using var first = await agent.SendAsync(bed.Gated(marker));
        var refused = await Problem.ReadAsync(first);
        Assert.Equal((403, "approval_required"), (refused.Status, refused.Code));
        var id = refused.Body.GetProperty("approval_id").GetString()!;
        Assert.StartsWith("apr_", id, StringComparison.Ordinal);
        Assert.Equal(bed.Admin.AdminUrl.ToString().TrimEnd('/') + "/approvals/" + id, refused.Body.GetProperty("approval_url").GetString());
        Assert.Equal(TimeSpan.FromSeconds(30), first.Headers.RetryAfter?.Delta);
        Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));

        // Pending: the retry is refused and nothing is forwarded.
        using (var early = await agent.SendAsync(bed.Gated(marker, approvalId: id)))
        {
            Assert.Equal("approval_pending", (await Problem.ReadAsync(early)).Code);
        }

        // The approver sees the context, with the body's secrets redacted and no credential header.
        var context = await bed.GetAsync(id);
        Assert.Equal(("pending", CredentialBed.AgentId, "plain", "DELETE"), (context.GetProperty("state").GetString(),
            context.GetProperty("agent").GetString(), context.GetProperty("tool").GetString(), context.GetProperty("method").GetString()));
        Assert.Equal("t-1", context.GetProperty("task").GetProperty("id").GetString());
        Assert.Equal(ApprovalBed.Requester, context.GetProperty("task").GetProperty("requested_by").GetString());
        Assert.Equal("cleanup", context.GetProperty("task").GetProperty("claims").GetProperty("purpose").GetString());
        Assert.Equal("deleting needs a human", context.GetProperty("policy").GetProperty("reason").GetString());
        Assert.Contains("\"repo\":\"x\"", context.GetProperty("body").GetProperty("preview").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("CANARY", context.GetRawText(), StringComparison.Ordinal);
        Assert.False(context.GetProperty("headers").TryGetProperty("authorization", out _));
        Assert.False(context.GetProperty("headers").TryGetProperty("x-task-grant", out _));

        await bed.ApproveAsync(ApprovalBed.Approver1, id);

        using (var retry = await agent.SendAsync(bed.Gated(marker, approvalId: id)))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }

        var forwarded = Assert.Single(bed.Bed.UpstreamRequestsFor(marker));
        Assert.False(forwarded.Headers.ContainsKey("x-approval-id"));
        var asked = bed.Bed.Policy.Requests[^1];
        Assert.Equal(id, asked.Approval!.Id);
        Assert.Equal([ApprovalBed.Approver1], asked.Approval.ApprovedBy);
        Assert.DoesNotContain(asked.Headers.Keys, k => k == "x-approval-id");

        using (var again = await agent.SendAsync(bed.Gated(marker, approvalId: id)))
        {
            Assert.Equal((403, "approval_used"), ((int)again.StatusCode, (await Problem.ReadAsync(again)).Code));
        }

        Assert.Single(bed.Bed.UpstreamRequestsFor(marker));
        Assert.Equal("used", (await bed.GetAsync(id)).GetProperty("state").GetString());

        var lines = await bed.Bed.AuditLinesAsync(1);
        Assert.True(await Eventually.TrueAsync(() => bed.Bed.AuditText().Contains("approval_consumed", StringComparison.Ordinal)));
        var audit = bed.Bed.AuditText();
        foreach (var e in new[] { "approval_requested", "approval_decided", "approval_consumed" })
        {
            Assert.Contains(e, audit, StringComparison.Ordinal);
        }

        Assert.Contains("looks fine", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("CANARY", audit, StringComparison.Ordinal);
        Assert.NotEmpty(lines);
    }

    [Fact]
    public async Task Tampering_IsApprovalMismatch_AndNothingIsForwarded()
    {
        await using var bed = await ApprovalBed.StartAsync();
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Gated(marker));
        await bed.ApproveAsync(ApprovalBed.Approver1, id);
        using var other = bed.Agent(CredentialBed.OtherAgentId);

        (string Case, HttpClient Client, HttpRequestMessage Request)[] cases =
        [
            ("changed body", agent, bed.Gated(marker, body: """{"repo": "y"}""", approvalId: id)),
            ("changed query", agent, bed.Gated(marker, query: "?force=2", approvalId: id)),
            ("changed method", agent, bed.Gated(marker, method: "POST", approvalId: id)),
            ("changed path", agent, bed.Gated(marker + "x", approvalId: id)),
            ("another task", agent, bed.Gated(marker, task: "t-2", approvalId: id)),
            ("another agent", other, bed.Gated(marker, agent: CredentialBed.OtherAgentId, approvalId: id)),
            ("forged id", agent, bed.Gated(marker, approvalId: "apr_" + new string('a', 32))),
            ("malformed id", agent, bed.Gated(marker, approvalId: "../../etc")),
        ];
        foreach (var (name, client, request) in cases)
        {
            using var response = await client.SendAsync(request);
            var problem = await Problem.ReadAsync(response);
            Assert.True((403, "approval_mismatch") == (problem.Status, problem.Code), name);
        }

        Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));

        // The genuine retry still works: a mismatch does not consume the approval.
        using var genuine = await agent.SendAsync(bed.Gated(marker, approvalId: id));
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
        Assert.Single(bed.Bed.UpstreamRequestsFor(marker));
    }

    [Fact]
    public async Task SelfApproval_IsRefused_AsCallerOrOnBehalfOfTheRequester()
    {
        await using var bed = await ApprovalBed.StartAsync();
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Gated(marker));

        using (var own = await bed.DecideAsync(CredentialBed.AgentId, id, approve: true))
        {
            Assert.Equal(403, (int)own.StatusCode);
            Assert.Contains("self_approval", await own.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var onBehalf = await bed.DecideAsync(ApprovalBed.Bot, id, approve: true, new { comment = "ok", on_behalf_of = ApprovalBed.Requester }))
        {
            Assert.Equal(403, (int)onBehalf.StatusCode);
        }

        Assert.Equal("pending", (await bed.GetAsync(id)).GetProperty("state").GetString());
        using (var reader = await bed.DecideAsync(ApprovalBed.AdminReader, id, approve: true))
        {
            Assert.Equal((403, "admin_forbidden"), ((int)reader.StatusCode, (await Problem.ReadAsync(reader)).Code));
        }

        // A bot acting for someone else is recorded, and approves.
        using (var bot = await bed.DecideAsync(ApprovalBed.Bot, id, approve: true, new { comment = "ticket 7", on_behalf_of = "bob@example.com" }))
        {
            Assert.Equal(200, (int)bot.StatusCode);
        }

        var record = await bed.GetAsync(id);
        Assert.Equal("approved", record.GetProperty("state").GetString());
        Assert.Equal("bob@example.com", record.GetProperty("votes")[0].GetProperty("on_behalf_of").GetString());
    }

    [Fact]
    public async Task TwoApprovers_AreNeeded_TheSameOneTwiceIsNotEnough_AndApproverRolesRestrictWho()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { MinApprovals = 2 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Gated(marker));

        await bed.ApproveAsync(ApprovalBed.Approver1, id);
        using (var twice = await bed.DecideAsync(ApprovalBed.Approver1, id, approve: true))
        {
            Assert.Equal(409, (int)twice.StatusCode);
        }

        using (var early = await agent.SendAsync(bed.Gated(marker, approvalId: id)))
        {
            Assert.Equal("approval_pending", (await Problem.ReadAsync(early)).Code);
        }

        await bed.ApproveAsync(ApprovalBed.Approver2, id);
        using (var retry = await agent.SendAsync(bed.Gated(marker, approvalId: id)))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }

        Assert.Equal([ApprovalBed.Approver1, ApprovalBed.Approver2], bed.Bed.Policy.Requests[^1].Approval!.ApprovedBy);

        // approver_roles: only approve:finance holders decide.
        bed.Require(new ApprovalRequirement { ApproverRoles = ["finance"] });
        var financeMarker = CredentialBed.Marker();
        var financeId = await ApprovalBed.AskAsync(agent, bed.Gated(financeMarker));
        using (var generic = await bed.DecideAsync(ApprovalBed.Approver1, financeId, approve: true))
        {
            Assert.Equal((403, "admin_forbidden"), ((int)generic.StatusCode, (await Problem.ReadAsync(generic)).Code));
        }

        await bed.ApproveAsync(ApprovalBed.Finance, financeId);
    }

    [Fact]
    public async Task OneDenial_Denies_EvenAfterAnApproval()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { MinApprovals = 2 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        var id = await ApprovalBed.AskAsync(agent, bed.Gated(marker));
        await bed.ApproveAsync(ApprovalBed.Approver1, id);

        using (var deny = await bed.DecideAsync(ApprovalBed.Approver2, id, approve: false, new { comment = "not today" }))
        {
            Assert.Equal(200, (int)deny.StatusCode);
        }

        using (var late = await bed.DecideAsync(ApprovalBed.Bot, id, approve: true))
        {
            Assert.Equal(409, (int)late.StatusCode);
        }

        using var retry = await agent.SendAsync(bed.Gated(marker, approvalId: id));
        Assert.Equal((403, "approval_denied"), ((int)retry.StatusCode, (await Problem.ReadAsync(retry)).Code));
        Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));
        Assert.Single(await bed.ListAsync("decided"));
    }

    [Fact]
    public async Task Expiry_PendingIs410ForApprovers_AndApprovedUnusedIsApprovalExpired()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { TtlSeconds = 60 });
        using var agent = bed.Agent();
        var pendingMarker = CredentialBed.Marker();
        var approvedMarker = CredentialBed.Marker();
        var pending = await ApprovalBed.AskAsync(agent, bed.Gated(pendingMarker));
        var approved = await ApprovalBed.AskAsync(agent, bed.Gated(approvedMarker));
        await bed.ApproveAsync(ApprovalBed.Approver1, approved);

        bed.Time.Advance(TimeSpan.FromSeconds(61));

        using (var late = await bed.DecideAsync(ApprovalBed.Approver1, pending, approve: true))
        {
            Assert.Equal(410, (int)late.StatusCode);
        }

        foreach (var (marker, id) in new[] { (pendingMarker, pending), (approvedMarker, approved) })
        {
            using var retry = await agent.SendAsync(bed.Gated(marker, approvalId: id));
            Assert.Equal((403, "approval_expired"), ((int)retry.StatusCode, (await Problem.ReadAsync(retry)).Code));
            Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));
        }

        Assert.True(await Eventually.TrueAsync(() => bed.Bed.AuditText().Contains("approval_expired", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Revocation_CancelsOpenApprovals()
    {
        await using var bed = await ApprovalBed.StartAsync();
        using var agent = bed.Agent();
        var marker = CredentialBed.Marker();
        var taskId = "t-" + marker;
        var id = await ApprovalBed.AskAsync(agent, bed.Gated(marker, task: taskId));

        await bed.Admin.CreateAsync("task", taskId);

        Assert.Equal("cancelled", (await bed.GetAsync(id)).GetProperty("state").GetString());
        using (var late = await bed.DecideAsync(ApprovalBed.Approver1, id, approve: true))
        {
            Assert.Equal(409, (int)late.StatusCode);
        }

        Assert.True(await Eventually.TrueAsync(() => bed.Bed.AuditText().Contains("approval_cancelled", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BodyLargerThanMaxBodyBytes_Is413()
    {
        await using var bed = await ApprovalBed.StartAsync(configure: s => s["Sidecar:Approvals:MaxBodyBytes"] = "16");
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        using var response = await agent.SendAsync(bed.Gated(marker, body: new string('x', 17)));
        Assert.Equal((413, "approval_body_too_large"), ((int)response.StatusCode, (await Problem.ReadAsync(response)).Code));
        Assert.Empty(await bed.ListAsync("pending"));
    }

    [Fact]
    public async Task HoldMode_Approve_ReleasesTheRequest()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 300 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        var held = agent.SendAsync(bed.Gated(marker));

        var id = await bed.PendingIdAsync(marker);
        Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));
        await bed.ApproveAsync(ApprovalBed.Approver1, id);

        using var response = await held;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(bed.Bed.UpstreamRequestsFor(marker));
        Assert.Equal(id, bed.Bed.Policy.Requests[^1].Approval!.Id);
        Assert.Equal("used", (await bed.GetAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task HoldMode_Deny_EndsTheRequest()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 300 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        var held = agent.SendAsync(bed.Gated(marker));

        var id = await bed.PendingIdAsync(marker);
        using (var deny = await bed.DecideAsync(ApprovalBed.Approver1, id, approve: false))
        {
            Assert.Equal(200, (int)deny.StatusCode);
        }

        using var response = await held;
        Assert.Equal((403, "approval_denied"), ((int)response.StatusCode, (await Problem.ReadAsync(response)).Code));
        Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));
    }

    [Fact]
    public async Task HoldMode_Timeout_IsApprovalExpired()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 1 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();

        using var response = await agent.SendAsync(bed.Gated(marker));

        Assert.Equal((403, "approval_expired"), ((int)response.StatusCode, (await Problem.ReadAsync(response)).Code));
        Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));
        var decided = Assert.Single(await bed.ListAsync("decided"));
        Assert.Equal("expired", decided.GetProperty("state").GetString());
    }

    [Fact]
    public async Task HoldMode_AgentDisconnect_WithdrawsTheApproval()
    {
        await using var bed = await ApprovalBed.StartAsync(new ApprovalRequirement { Mode = "hold", HoldSeconds = 300 });
        var marker = CredentialBed.Marker();
        using var agent = bed.Agent();
        using var cancel = new CancellationTokenSource();
        var held = agent.SendAsync(bed.Gated(marker), cancel.Token);
        var id = await bed.PendingIdAsync(marker);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);

        Assert.True(await Eventually.TrueAsync(async () => (await bed.GetAsync(id)).GetProperty("state").GetString() == "withdrawn"));
        using (var late = await bed.DecideAsync(ApprovalBed.Approver1, id, approve: true))
        {
            Assert.Equal(409, (int)late.StatusCode);
        }

        Assert.Empty(bed.Bed.UpstreamRequestsFor(marker));
    }

    [Fact]
    public async Task ShippedPolicy_HoldsADelete_AndAllowsItOnceApproved()
    {
        const string researcher = "spiffe://agents.example.org/agent/researcher";
        await using var admin = await Revocation.AdminBed.StartAsync(
            trustDomain: "agents.example.org",
            shippedPolicy: RepositoryPaths.Policies,
            configure: s =>
            {
                s["Sidecar:Admin:Principals:2:Id"] = "spiffe://agents.example.org/ops/approver";
                s["Sidecar:Admin:Principals:2:Roles:0"] = "approve";
            });
        var marker = CredentialBed.Marker();
        using var agent = admin.Bed.CreateAgentClient(researcher);
        var grant = admin.Bed.Orchestrator.Sign(researcher, "t-" + marker, DateTimeOffset.UtcNow.AddMinutes(30));
        HttpRequestMessage Delete(string? id = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Delete, new Uri($"/tools/github/repos/{marker}", UriKind.Relative));
            request.Headers.Add("X-Task-Grant", grant);
            if (id is not null)
            {
                request.Headers.Add("X-Approval-Id", id);
            }

            return request;
        }

        using var first = await agent.SendAsync(Delete());
        var refused = await Problem.ReadAsync(first);
        Assert.Equal((403, "approval_required"), (refused.Status, refused.Code));
        var id = refused.Body.GetProperty("approval_id").GetString()!;
        using (var approver = admin.CreateAdminClient("spiffe://agents.example.org/ops/approver"))
        using (var approve = await approver.PostAsync(new Uri($"/admin/approvals/{id}/approve", UriKind.Relative), null))
        {
            Assert.Equal(200, (int)approve.StatusCode);
        }

        using var retry = await agent.SendAsync(Delete(id));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Single(admin.Bed.UpstreamRequestsFor(marker));
    }
}
