using System.Net;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using SidecarProxy.Policy;

namespace SidecarProxy.FunctionalTests.Routing;

/// <summary>
/// Tools as YARP routes behind identity and policy. One shared proxy: tests set the policy they need and
/// find their own upstream request by a unique marker, so they do not depend on each other.
/// </summary>
[Collection(nameof(ToolRoutingTests))]
public sealed class ToolRoutingTests(ProxyFixture fixture) : IClassFixture<ProxyFixture>
{
    [Fact]
    public async Task UnknownTool_Is404UnknownToolAndNothingForwarded()
    {
        fixture.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = fixture.CreateAgentClient();
        var marker = Marker();

        using var response = await client.GetAsync(new Uri($"/tools/nosuchtool/{marker}", UriKind.Relative));

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((404, "unknown_tool"), (problem.Status, problem.Code));
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PathPrefixRoute_ForwardsWithoutPrefixAndPolicySeesToolPath()
    {
        fixture.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = fixture.CreateAgentClient();
        var marker = Marker();

        using var response = await client.PostAsync(
            new Uri($"/tools/echo/repos/{marker}/issues?x=1&y=2", UriKind.Relative), new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(fixture.Upstream.Requests, r => r.Path == $"/repos/{marker}/issues");
        Assert.Equal("?x=1&y=2", forwarded.Query);
        Assert.Equal("POST", forwarded.Method);

        var asked = Assert.Single(fixture.Policy.Requests, r => r.Path == $"/repos/{marker}/issues");
        Assert.Equal("echo", asked.ToolId);
        Assert.Equal("read", asked.ToolLabels["risk"]);
        Assert.Equal(ProxyFixture.AgentId, asked.SpiffeId);
        Assert.Matches("^sha256:[0-9a-f]{64}$", asked.CertificateFingerprint);
        Assert.Equal("?x=1&y=2", asked.Query);
        Assert.Equal("POST", asked.Method);
        Assert.Equal("https", asked.Scheme);
        Assert.Null(asked.Task);
    }

    [Fact]
    public async Task HostRoute_ForwardsPathUnchanged()
    {
        fixture.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = fixture.CreateAgentClient();
        var marker = Marker();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/v1/{marker}", UriKind.Relative));
        request.Headers.Host = "hosttool.test";

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(fixture.Upstream.Requests, r => r.Path == $"/v1/{marker}");
        var asked = Assert.Single(fixture.Policy.Requests, r => r.Path == $"/v1/{marker}");
        Assert.Equal("hosttool", asked.ToolId);
        Assert.Equal("hosttool.test", asked.Host);
    }

    [Fact]
    public async Task AgentCredentials_NeverReachUpstreamNorPolicy()
    {
        fixture.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = fixture.CreateAgentClient();
        var marker = Marker();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/echo/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer agent-secret-token");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic c2VjcmV0");
        request.Headers.TryAddWithoutValidation("Cookie", "session=agent-secret-cookie");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Client-Cert", "By=spiffe://agents.test/admin");
        request.Headers.TryAddWithoutValidation("X-Spiffe-Id", "spiffe://agents.test/admin");
        // X-Task-Grant is validated (and then stripped) by the task stage: see Credentials/TaskGrantTests.
        request.Headers.TryAddWithoutValidation("X-Keep-Me", "yes");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(fixture.Upstream.Requests, r => r.Path == "/" + marker);
        var asked = Assert.Single(fixture.Policy.Requests, r => r.Path == "/" + marker);
        foreach (var header in new[] { "authorization", "proxy-authorization", "cookie", "x-forwarded-client-cert", "x-spiffe-id", "x-task-grant" })
        {
            Assert.False(forwarded.Headers.ContainsKey(header), $"upstream received {header}");
            Assert.False(asked.Headers.ContainsKey(header), $"policy saw {header}");
        }

        Assert.DoesNotContain(forwarded.Headers.Values, v => v.Contains("secret", StringComparison.Ordinal));
        Assert.Equal("yes", forwarded.Headers["x-keep-me"]);
        Assert.Equal("yes", asked.Headers["x-keep-me"]);
    }

    [Fact]
    public async Task ForwardedRequest_CarriesNoXForwardedHeaders()
    {
        fixture.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = fixture.CreateAgentClient();
        var marker = Marker();

        using var response = await client.GetAsync(new Uri($"/tools/echo/{marker}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(fixture.Upstream.Requests, r => r.Path == "/" + marker);
        Assert.DoesNotContain(forwarded.Headers.Keys, name => name.StartsWith("x-forwarded-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PolicyDenial_UsesDecisionStatusBodyAndDecisionId()
    {
        fixture.Policy.Decide = _ => new PolicyDecision
        {
            Allowed = false,
            Reason = "researchers may not write",
            HttpStatus = 429,
            DecisionId = "dec-123",
        };
        using var client = fixture.CreateAgentClient();
        var marker = Marker();

        using var response = await client.GetAsync(new Uri($"/tools/echo/{marker}", UriKind.Relative));

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((429, "policy_denied"), (problem.Status, problem.Code));
        Assert.Equal("researchers may not write", problem.Body.GetProperty("detail").GetString());
        Assert.Equal("dec-123", problem.Body.GetProperty("decision_id").GetString());
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PolicyEngineFault_Is503PolicyUnavailable()
    {
        fixture.Policy.Decide = _ => throw new InvalidOperationException("engine exploded with secret s3cr3t");
        using var client = fixture.CreateAgentClient();
        var marker = Marker();

        using var response = await client.GetAsync(new Uri($"/tools/echo/{marker}", UriKind.Relative));

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((503, "policy_unavailable"), (problem.Status, problem.Code));
        Assert.DoesNotContain("s3cr3t", problem.Body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequireApproval_IsHeldWith403ApprovalRequired()
    {
        fixture.Policy.Decide = _ => new PolicyDecision { Allowed = true, RequireApproval = true, Reason = "needs a human" };
        using var client = fixture.CreateAgentClient();
        var marker = Marker();

        using var response = await client.GetAsync(new Uri($"/tools/echo/{marker}", UriKind.Relative));

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((403, "approval_required"), (problem.Status, problem.Code));
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DecisionHeaders_AreAddedAndRemovedButCannotSetCredentials()
    {
        fixture.Policy.Decide = _ => new PolicyDecision
        {
            Allowed = true,
            HeadersToAdd = new Dictionary<string, string> { ["x-agent-task"] = "t-7f3c", ["Authorization"] = "Bearer policy" },
            HeadersToRemove = ["x-debug"],
        };
        using var client = fixture.CreateAgentClient();
        var marker = Marker();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/echo/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Debug", "1");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(fixture.Upstream.Requests, r => r.Path == "/" + marker);
        Assert.Equal("t-7f3c", forwarded.Headers["x-agent-task"]);
        Assert.False(forwarded.Headers.ContainsKey("x-debug"));
        Assert.False(forwarded.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task OperationsPort_ServesHealthButNeverTools()
    {
        using var http = new HttpClient { BaseAddress = fixture.Proxy.OperationsUrl };
        var marker = Marker();

        using var healthz = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var readyz = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var tool = await http.GetAsync(new Uri($"/tools/echo/{marker}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Contains("\"ready\"", await readyz.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, tool.StatusCode);
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AgentPort_DoesNotServeHealth()
    {
        using var client = fixture.CreateAgentClient();

        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal("unknown_tool", (await Problem.ReadAsync(response)).Code);
    }

    private static string Marker() => Guid.NewGuid().ToString("N");
}
