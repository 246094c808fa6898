using System.Net;
using System.Text.Json;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>A decision's <c>contain</c> is applied like an admin revocation, over mTLS, with the shipped policy and a test one.</summary>
public sealed class PolicyContainmentTests
{
    private static readonly Uri Plain = new("/tools/plain/x", UriKind.Relative);

    [Fact]
    public async Task ShippedPolicy_ADeleteOnANeverDeleteTool_QuarantinesTheTask_AndItsLaterWritesAreRefused()
    {
        const string researcher = "spiffe://agents.example.org/agent/researcher";
        // The github route carries the never_delete label itself (Labels.never_delete), as an operator would mark it.
        await using var bed = await AdminBed.StartAsync(
            trustDomain: "agents.example.org",
            shippedPolicy: RepositoryPaths.Policies,
            configure: s => s["ReverseProxy:Routes:github:Metadata:Labels.never_delete"] = "true");
        var marker = CredentialBed.Marker();
        var task = "t-" + marker;
        using var client = bed.Bed.CreateAgentClient(researcher);
        HttpRequestMessage Send(HttpMethod method, string taskId) => new(method, new Uri($"/tools/github/repos/{marker}", UriKind.Relative))
        {
            Headers = { { "X-Task-Grant", bed.Bed.Orchestrator.Sign(researcher, taskId, DateTimeOffset.UtcNow.AddMinutes(30)) } },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Send(HttpMethod.Post, task))).StatusCode);

        var delete = await Problem.ReadAsync(await client.SendAsync(Send(HttpMethod.Delete, task)));

        Assert.Equal((403, "policy_denied"), (delete.Status, delete.Code));
        Assert.Contains($"tool github never allows delete: task {task} is quarantined", delete.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var record = Assert.Single(await bed.ListAsync());
        Assert.Equal(("task", task, "quarantine"), (record.GetProperty("subject").GetProperty("kind").GetString(),
            record.GetProperty("subject").GetProperty("value").GetString(), record.GetProperty("action").GetString()));
        Assert.StartsWith("policy:", record.GetProperty("created_by").GetString(), StringComparison.Ordinal);
        Assert.Equal($"task {task} tried to delete on tool github (never_delete)", record.GetProperty("reason").GetString());

        // The task is quarantined: its writes are refused by the policy; another task of the same agent still writes.
        var write = await Problem.ReadAsync(await client.SendAsync(Send(HttpMethod.Post, task)));
        Assert.Equal((403, "policy_denied"), (write.Status, write.Code));
        Assert.Contains("is quarantined", write.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Send(HttpMethod.Get, task))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Send(HttpMethod.Post, "t-other-" + marker))).StatusCode);

        // A second attempt does not store a second record.
        await client.SendAsync(Send(HttpMethod.Delete, task));
        Assert.Single(await bed.ListAsync());

        var lines = await bed.Bed.AuditLinesAsync(5);
        var created = Assert.Single(lines, l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString() == "revocation_created");
        Assert.Equal(record.GetProperty("created_by").GetString(), created.GetProperty("spiffe_id").GetString());
        Assert.Equal(record.GetProperty("id").GetString(), created.GetProperty("admin").GetProperty("revocation_id").GetString());
        Assert.False(string.IsNullOrEmpty(created.GetProperty("request_id").GetString()));
        Assert.False(string.IsNullOrEmpty(created.GetProperty("policy_revision").GetString()));
    }

    [Fact]
    public async Task AContainRevokeOfTheIdentity_RefusesTheCurrentRequestAsRevoked_AndEveryLaterOne()
    {
        await using var bed = await AdminBed.StartAsync();
        const string victim = "spiffe://agents.test/agent/runaway";
        bed.Bed.Policy.Decide = r => r.SpiffeId == victim && r.Path.Contains("exfiltrate", StringComparison.Ordinal)
            ? new PolicyDecision { Allowed = true, DecisionId = "dec-42", Contain = new PolicyContainment("identity", "revoke", "exfiltration pattern") }
            : PolicyDecision.Allow();
        using var client = bed.Bed.CreateAgentClient(victim);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Plain)).StatusCode);

        var refused = await Problem.ReadAsync(await client.GetAsync(new Uri("/tools/plain/exfiltrate", UriKind.Relative)));

        Assert.Equal((403, "revoked"), (refused.Status, refused.Code));
        Assert.Contains("exfiltration pattern", refused.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var again = bed.Bed.CreateAgentClient(victim);
        Assert.Equal("revoked", (await Problem.ReadAsync(await again.GetAsync(Plain))).Code);
        using var other = bed.Bed.CreateAgentClient(CredentialBed.OtherAgentId);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(Plain)).StatusCode);
        var record = Assert.Single(await bed.ListAsync());
        Assert.Equal(("spiffe_id", victim, "revoke", "policy:dec-42"), (record.GetProperty("subject").GetProperty("kind").GetString(),
            record.GetProperty("subject").GetProperty("value").GetString(), record.GetProperty("action").GetString(), record.GetProperty("created_by").GetString()));
        Assert.Empty(bed.Bed.UpstreamRequestsFor("exfiltrate"));

        JsonElement created = default;
        Assert.True(await Eventually.TrueAsync(() =>
        {
            var found = bed.Bed.AuditText().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .Where(l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString() == "revocation_created").ToList();
            created = found.FirstOrDefault();
            return found.Count == 1;
        }));
        Assert.Equal("dec-42", created.GetProperty("decision_id").GetString());
    }

    [Fact]
    public async Task AContainOfTheTask_OnARequestWithoutTask_IsPolicyUnavailable_AndStoresNothing()
    {
        await using var bed = await AdminBed.StartAsync();
        bed.Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Contain = new PolicyContainment("task", "quarantine", "odd") };
        using var client = bed.Bed.CreateAgentClient();

        var refused = await Problem.ReadAsync(await client.GetAsync(Plain));

        Assert.Equal((503, "policy_unavailable"), (refused.Status, refused.Code));
        Assert.Empty(await bed.ListAsync());
    }

    [Fact]
    public async Task AMalformedContain_IsAMalformedDecision_503_AndStoresNothing()
    {
        using var policies = new TempDirectory();
        policies.Write("authz.rego", """
            package sidecar.authz

            import rego.v1

            decision := {"allowed": true, "contain": {"scope": "fleet", "action": "revoke", "reason": "everyone"}}
            """);
        await using var bed = await AdminBed.StartAsync(shippedPolicy: policies.Path);
        using var client = bed.Bed.CreateAgentClient();

        var refused = await Problem.ReadAsync(await client.GetAsync(Plain));

        Assert.Equal((503, "policy_unavailable"), (refused.Status, refused.Code));
        Assert.Empty(await bed.ListAsync());
    }
}
