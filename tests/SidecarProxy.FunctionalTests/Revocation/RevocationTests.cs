using System.Net;
using System.Text.Json;
using SidecarProxy.TestSupport;
using SidecarProxy.FunctionalTests.Credentials;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>Issue 12 on one sidecar: revoke and quarantine through the admin listener, enforced on the agent listener.</summary>
public sealed class RevocationTests
{
    private static readonly Uri Plain = new("/tools/plain/x", UriKind.Relative);

    [Fact]
    public async Task RevokeSpiffeId_RefusesThatIdentityOnly_EvenWithAFreshSvid_AndLiftRestores()
    {
        await using var bed = await AdminBed.StartAsync();
        const string victim = "spiffe://agents.test/agent/victim";
        using var before = bed.Bed.CreateAgentClient(victim);
        Assert.Equal(HttpStatusCode.OK, (await before.GetAsync(Plain)).StatusCode);

        var record = await bed.CreateAsync("spiffe_id", victim);

        using var reissued = bed.Bed.CreateAgentClient(victim);
        var refused = await Problem.ReadAsync(await reissued.GetAsync(Plain));
        Assert.Equal((403, "revoked"), (refused.Status, refused.Code));
        using var other = bed.Bed.CreateAgentClient(CredentialBed.OtherAgentId);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(Plain)).StatusCode);
        Assert.Equal("spiffe_id", record.GetProperty("subject").GetProperty("kind").GetString());
        Assert.Equal(bed.AdminId, record.GetProperty("created_by").GetString());
        Assert.Equal("incident 42", record.GetProperty("reason").GetString());
        Assert.StartsWith("rev_", record.GetProperty("id").GetString(), StringComparison.Ordinal);

        await bed.LiftAsync(record.GetProperty("id").GetString()!);

        using var after = bed.Bed.CreateAgentClient(victim);
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync(Plain)).StatusCode);
        Assert.Empty(await bed.ListAsync());
    }

    [Fact]
    public async Task RevokePrefix_IsAPathSubtree()
    {
        await using var bed = await AdminBed.StartAsync();

        await bed.CreateAsync("spiffe_id_prefix", "spiffe://agents.test/agent/team-a/");

        using var inside = bed.Bed.CreateAgentClient("spiffe://agents.test/agent/team-a/x");
        using var deeper = bed.Bed.CreateAgentClient("spiffe://agents.test/agent/team-a/x/y");
        using var sibling = bed.Bed.CreateAgentClient("spiffe://agents.test/agent/team-ab");
        using var itself = bed.Bed.CreateAgentClient("spiffe://agents.test/agent/team-a");
        Assert.Equal(403, (int)(await inside.GetAsync(Plain)).StatusCode);
        Assert.Equal(403, (int)(await deeper.GetAsync(Plain)).StatusCode);
        Assert.Equal(200, (int)(await sibling.GetAsync(Plain)).StatusCode);
        Assert.Equal(200, (int)(await itself.GetAsync(Plain)).StatusCode);
    }

    [Fact]
    public async Task RevokeTrustDomain_RefusesEveryAgentOfIt()
    {
        await using var bed = await AdminBed.StartAsync();

        var record = await bed.CreateAsync("trust_domain", "agents.test");

        using var a = bed.Bed.CreateAgentClient(CredentialBed.AgentId);
        using var b = bed.Bed.CreateAgentClient(CredentialBed.OtherAgentId);
        Assert.Equal("revoked", (await Problem.ReadAsync(await a.GetAsync(Plain))).Code);
        Assert.Equal("revoked", (await Problem.ReadAsync(await b.GetAsync(Plain))).Code);

        // The admin listener does not consult the revocation list: the operator can still lift it.
        await bed.LiftAsync(record.GetProperty("id").GetString()!);
        using var c = bed.Bed.CreateAgentClient(CredentialBed.AgentId);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync(Plain)).StatusCode);
    }

    [Fact]
    public async Task RevokeTask_RefusesRequestsOfThatTask_AndTheAgentStillWorksWithoutIt()
    {
        await using var bed = await AdminBed.StartAsync();
        var marker = CredentialBed.Marker();
        var taskId = "t-" + marker;
        using var client = bed.Bed.CreateAgentClient();
        HttpRequestMessage WithTask(string task) => new(HttpMethod.Get, new Uri("/tools/plain/" + marker, UriKind.Relative))
        {
            Headers = { { "X-Task-Grant", bed.Bed.Orchestrator.Sign(CredentialBed.AgentId, task, DateTimeOffset.UtcNow.AddMinutes(30)) } },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithTask(taskId))).StatusCode);

        await bed.CreateAsync("task", taskId);

        var refused = await Problem.ReadAsync(await client.SendAsync(WithTask(taskId)));
        Assert.Equal((403, "revoked"), (refused.Status, refused.Code));
        Assert.Contains("task", refused.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithTask("t-other-" + marker))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Plain)).StatusCode);
    }

    [Fact]
    public async Task Quarantine_ReachesThePolicyAsContainment_AndTheRequestIsNotRefusedByTheSidecar()
    {
        await using var bed = await AdminBed.StartAsync();

        var record = await bed.CreateAsync("spiffe_id", CredentialBed.AgentId, action: "quarantine", reason: "odd egress");

        using var client = bed.Bed.CreateAgentClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Plain)).StatusCode);
        var asked = bed.Bed.Policy.Requests[^1];
        Assert.NotNull(asked.Containment);
        Assert.Equal(("quarantined", "odd egress"), (asked.Containment!.State, asked.Containment.Reason));
        Assert.Equal(record.GetProperty("id").GetString(), asked.Containment.RecordId);
        using var other = bed.Bed.CreateAgentClient(CredentialBed.OtherAgentId);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(Plain)).StatusCode);
        Assert.Null(bed.Bed.Policy.Requests[^1].Containment);
    }

    [Fact]
    public async Task Quarantine_WithTheShippedPolicy_LetsReadsThroughAndRefusesWrites()
    {
        const string researcher = "spiffe://agents.example.org/agent/researcher";
        await using var bed = await AdminBed.StartAsync(trustDomain: "agents.example.org", shippedPolicy: TestSupport.RepositoryPaths.Policies);
        var marker = CredentialBed.Marker();
        using var client = bed.Bed.CreateAgentClient(researcher);
        HttpRequestMessage Write() => new(HttpMethod.Post, new Uri($"/tools/github/repos/{marker}/issues", UriKind.Relative))
        {
            Content = new StringContent("{}"),
            Headers = { { "X-Task-Grant", bed.Bed.Orchestrator.Sign(researcher, "t-" + marker, DateTimeOffset.UtcNow.AddMinutes(30)) } },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Write())).StatusCode);

        await bed.CreateAsync("spiffe_id", researcher, action: "quarantine", reason: "odd egress");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"/tools/github/repos/{marker}", UriKind.Relative))).StatusCode);
        var write = await Problem.ReadAsync(await client.SendAsync(Write()));
        Assert.Equal((403, "policy_denied"), (write.Status, write.Code));
        Assert.Contains("is quarantined (odd egress): only reads are allowed", write.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_IsAudited_WithCallerAndReason_AndRefusedRequestsToo()
    {
        await using var bed = await AdminBed.StartAsync();
        const string victim = "spiffe://agents.test/agent/audited";
        var record = await bed.CreateAsync("spiffe_id", victim, reason: "ticket SEC-7");
        using var client = bed.Bed.CreateAgentClient(victim);
        Assert.Equal(403, (int)(await client.GetAsync(Plain)).StatusCode);
        await bed.LiftAsync(record.GetProperty("id").GetString()!);

        var lines = await bed.Bed.AuditLinesAsync(3);

        var created = Assert.Single(lines, l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString() == "revocation_created");
        Assert.Equal(bed.AdminId, created.GetProperty("spiffe_id").GetString());
        Assert.Equal("ticket SEC-7", created.GetProperty("reason").GetString());
        Assert.Equal(victim, created.GetProperty("admin").GetProperty("subject").GetString());
        Assert.Single(lines, l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString() == "revocation_lifted");
        var denied = Assert.Single(lines, l => l.GetProperty("spiffe_id").GetString() == victim);
        Assert.Equal(("deny", "revoked"), (denied.GetProperty("decision").GetString(), denied.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Metrics_CountActiveRecordsByAction()
    {
        await using var bed = await AdminBed.StartAsync();
        await bed.CreateAsync("spiffe_id", "spiffe://agents.test/agent/m1");
        await bed.CreateAsync("spiffe_id", "spiffe://agents.test/agent/m2", action: "quarantine");
        using var victim = bed.Bed.CreateAgentClient("spiffe://agents.test/agent/m1");
        Assert.Equal(403, (int)(await victim.GetAsync(Plain)).StatusCode);
        using var http = new HttpClient();

        var text = await http.GetStringAsync(new Uri(bed.Bed.Proxy.OperationsUrl, "/metrics"));

        Assert.Contains("sidecar_revocations_active{action=\"revoke\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("sidecar_revocations_active{action=\"quarantine\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("sidecar_denials_total{reason=\"revoked\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("sidecar_revocation_connections_closed_total", text, StringComparison.Ordinal);
    }
}
