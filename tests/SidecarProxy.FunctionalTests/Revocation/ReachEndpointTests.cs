using System.Net;
using System.Text.Json;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary><c>GET /admin/reach</c>: an identity's blast radius against the running (shipped) policy and the running routes.</summary>
public sealed class ReachEndpointTests
{
    private const string Researcher = "spiffe://agents.example.org/agent/researcher";

    private static async Task<Dictionary<(string Tool, string Action), JsonElement>> ReachAsync(HttpClient client, string principal)
    {
        using var response = await client.GetAsync(new Uri("/admin/reach?principal=" + Uri.EscapeDataString(principal), UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var root = JsonDocument.Parse(text).RootElement;
        Assert.Equal(principal, root.GetProperty("principal").GetString());
        return root.GetProperty("reach").EnumerateArray()
            .ToDictionary(r => (r.GetProperty("tool").GetString()!, r.GetProperty("action").GetString()!), r => r.Clone());
    }

    [Fact]
    public async Task Reach_AsksTheRunningPolicyAboutEveryRoutedTool_AndFollowsRevocation()
    {
        await using var bed = await AdminBed.StartAsync(trustDomain: "agents.example.org", shippedPolicy: RepositoryPaths.Policies);
        using var auditor = bed.CreateAdminClient(bed.AuditorId);

        var rows = await ReachAsync(auditor, Researcher);

        // The bed's routes: cc, tx, mint, key, plain, github; each with read, write and delete.
        Assert.Equal(18, rows.Count);
        var read = rows[("github", "read")];
        Assert.True(read.GetProperty("allowed").GetBoolean());
        Assert.Equal(["contents:read", "issues:read"], read.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

        // The policy asks 300 s; the github route's provider (mint) issues at most 120 s.
        Assert.Equal(120, read.GetProperty("ttl_seconds").GetInt32());
        Assert.Single(rows.Values, r => r.GetProperty("allowed").GetBoolean());
        Assert.Contains("is not in the catalogue", rows[("plain", "read")].GetProperty("reason").GetString(), StringComparison.Ordinal);

        await bed.CreateAsync("spiffe_id", Researcher);
        var revoked = await ReachAsync(auditor, Researcher);
        Assert.DoesNotContain(revoked.Values, r => r.GetProperty("allowed").GetBoolean());
        Assert.StartsWith("revoked", revoked[("github", "read")].GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reach_NeedsTheReadRole_AndAWorkloadSpiffeId()
    {
        await using var bed = await AdminBed.StartAsync(trustDomain: "agents.example.org", shippedPolicy: RepositoryPaths.Policies);
        using var agent = bed.CreateAdminClient(Researcher);
        using var auditor = bed.CreateAdminClient(bed.AuditorId);

        var forbidden = await Problem.ReadAsync(await agent.GetAsync(new Uri("/admin/reach?principal=" + Uri.EscapeDataString(Researcher), UriKind.Relative)));
        var bad = await Problem.ReadAsync(await auditor.GetAsync(new Uri("/admin/reach?principal=spiffe%3A%2F%2Fagents.example.org", UriKind.Relative)));

        Assert.Equal((403, "admin_forbidden"), (forbidden.Status, forbidden.Code));
        Assert.Equal((400, "invalid_request"), (bad.Status, bad.Code));
    }
}
