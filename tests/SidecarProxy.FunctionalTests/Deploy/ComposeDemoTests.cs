using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using SidecarProxy.Admin;
using SidecarProxy.Approvals;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Deploy;

/// <summary>
/// The compose demo's sidecar configuration (docker-compose.yml and deploy/compose/sidecar/appsettings.Compose.json)
/// through the sidecar's real start-up validation, and the demo's approval-held delete on it: what the agent loop
/// (deploy/compose/agent/agent-loop.sh) and the approver bot (deploy/compose/approver/approver.sh) do, over mTLS,
/// with the shipped policy and a grant minted as the orchestrator service mints it.
/// </summary>
public sealed class ComposeDemoTests
{
    private const string CommentPath = "/tools/github/repos/acme/app/issues/comments/42";
    private const string ToolPath = "/repos/acme/app/issues/comments/42";

    [Fact]
    public async Task ComposeSettingsAsShipped_PassStartupValidation_AndMakeTheApproverTheOnlyAdmin()
    {
        using var files = new TempDirectory();
        using var contentRoot = ComposeSidecar.ContentRoot();
        ComposeSidecar.MintTaskGrant(files, out var jwks);
        var settings = ComposeSidecar.Settings(out var environmentName);

        // Only paths that exist inside the containers alone are replaced; listen addresses (the admin listener on
        // its admin-net address included) and the Workload API socket are validated as written, not bound.
        settings["Sidecar:TaskGrants:JwksPath"] = jwks;
        settings["Sidecar:Policy:Directory"] = RepositoryPaths.Policies;
        var app = ComposeSidecar.Build(settings, environmentName, contentRoot);
        try
        {
            var authorizer = app.Services.GetRequiredService<AdminAuthorizer>();
            Assert.Equal(["approve"], authorizer.RolesOf(Id(ComposeSidecar.Approver)));
            Assert.Empty(authorizer.RolesOf(Id(ComposeSidecar.Agent)));
            var gate = app.Services.GetRequiredService<ApprovalGate>();
            Assert.True(gate.Enabled);
            Assert.Equal("https://sidecar:15444/approvals/apr_1", gate.ApprovalUrl("apr_1"));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task DemoDelete_IsHeld_ApprovedByTheApproverBot_ThenForwardedOnce()
    {
        using var files = new TempDirectory();
        using var contentRoot = ComposeSidecar.ContentRoot();
        using var root = TestCa.CreateRoot(ComposeSidecar.TrustDomain);
        using var identity = new IdentityDirectory();
        await using var tool = await RecordingUpstream.StartAsync();
        identity.WriteBundle(ComposeSidecar.TrustDomain, root);
        var grant = ComposeSidecar.MintTaskGrant(files, out var jwks);
        var settings = ComposeSidecar.Settings(out var environmentName);

        // What differs outside Docker: loopback listeners, identity files instead of SPIRE's socket, the tool's
        // address, files, and the audit trail in a file rather than on the test's stdout.
        settings.Remove("Sidecar:Identity:WorkloadApi");
        foreach (var (key, value) in identity.Configuration(ComposeSidecar.TrustDomain))
        {
            settings[key] = value;
        }

        settings["Sidecar:Listen"] = "https://127.0.0.1:0";
        settings["Sidecar:Metrics:Listen"] = "http://127.0.0.1:0";
        settings["Sidecar:Admin:Listen"] = "https://127.0.0.1:0";
        settings["Sidecar:Audit:Path"] = files.PathOf("audit.jsonl");
        settings["Sidecar:TaskGrants:JwksPath"] = jwks;
        settings["Sidecar:Policy:Directory"] = RepositoryPaths.Policies;
        settings["ReverseProxy:Clusters:github:Destinations:wiremock:Address"] = tool.Url.ToString();
        var app = ComposeSidecar.Build(settings, environmentName, contentRoot);
        await app.StartAsync();
        try
        {
            var listeners = app.Services.GetRequiredService<SidecarListeners>();
            using var agent = Client(listeners.GetUrl(ListenerKind.Agent), root, ComposeSidecar.Agent, identity);
            using var agentAtAdmin = Client(listeners.GetUrl(ListenerKind.Admin), root, ComposeSidecar.Agent, identity);
            using var approver = Client(listeners.GetUrl(ListenerKind.Admin), root, ComposeSidecar.Approver, identity);

            // 1. The agent's delete: held, with an id and a link, and a Retry-After the agent loop sleeps on.
            using var asked = await agent.SendAsync(Delete(grant));
            var problem = await Problem.ReadAsync(asked);
            Assert.Equal((403, "approval_required"), (problem.Status, problem.Code));
            var id = problem.Body.GetProperty("approval_id").GetString()!;
            Assert.Equal("https://sidecar:15444/approvals/" + id, problem.Body.GetProperty("approval_url").GetString());
            Assert.Equal(TimeSpan.FromSeconds(5), asked.Headers.RetryAfter?.Delta);

            // 2. A retry before anyone decided: pending. The agent cannot decide it (no admin role, besides the network).
            using var early = await agent.SendAsync(Delete(grant, id));
            Assert.Equal((403, "approval_pending"), await CodeOf(early));
            using var selfApproval = await agentAtAdmin.PostAsync(new Uri($"/admin/approvals/{id}/approve", UriKind.Relative), null);
            Assert.Equal((403, "admin_forbidden"), await CodeOf(selfApproval));

            // 3. The approver bot's listing: its record starts with the members, in the order, that approver.sh matches.
            using var listing = await approver.GetAsync(new Uri("/admin/approvals?state=pending", UriKind.Relative));
            var list = await listing.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
            Assert.Contains(
                $"\"id\":\"{id}\",\"state\":\"pending\",\"agent\":\"{ComposeSidecar.Agent}\",\"tool\":\"github\",\"method\":\"DELETE\",\"path\":\"{ToolPath}\"",
                list,
                StringComparison.Ordinal);

            using var approved = await approver.PostAsync(
                new Uri($"/admin/approvals/{id}/approve", UriKind.Relative),
                new StringContent("""{"comment":"approved by the compose demo bot"}""", Encoding.UTF8, "application/json"));
            var decided = JsonDocument.Parse(await approved.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
            Assert.Equal("approved", decided.GetProperty("state").GetString());
            Assert.Empty(tool.Requests);

            // 4. The retry with the id is forwarded, once, with a just-in-time credential scoped for the delete.
            using var forwarded = await agent.SendAsync(Delete(grant, id));
            Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);
            var received = Assert.Single(tool.Requests);
            Assert.Equal(("DELETE", ToolPath), (received.Method, received.Path));
            Assert.False(received.Headers.ContainsKey("x-approval-id"));
            var token = new JsonWebToken(received.Headers["authorization"]["Bearer ".Length..]);
            Assert.Equal(ComposeSidecar.Agent, token.Subject);
            Assert.Equal("repo:delete", token.GetClaim("scope").Value);

            using var again = await agent.SendAsync(Delete(grant, id));
            Assert.Equal((403, "approval_used"), await CodeOf(again));
            Assert.Single(tool.Requests);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static SpiffeId Id(string id) =>
        SpiffeId.TryParse(id, out var parsed, out _) ? parsed : throw new ArgumentException("not a SPIFFE ID: " + id);

    private static HttpClient Client(Uri listener, TestCa root, string spiffeId, IdentityDirectory identity) =>
        TestProxy.CreateAgentClient(listener, root.IssueSvid(spiffeId), null, identity.ServerCa.Certificate, out _);

    // The agent loop's delete: its task grant, the bogus Authorization it always sends, and on a retry the approval id.
    private static HttpRequestMessage Delete(string grant, string? approvalId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(CommentPath, UriKind.Relative));
        request.Headers.Add("X-Task-Grant", grant);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer agent-must-not-be-able-to-use-this");
        if (approvalId is not null)
        {
            request.Headers.Add("X-Approval-Id", approvalId);
        }

        return request;
    }

    private static async Task<(int Status, string? Code)> CodeOf(HttpResponseMessage response)
    {
        var problem = await Problem.ReadAsync(response);
        return (problem.Status, problem.Code);
    }
}
