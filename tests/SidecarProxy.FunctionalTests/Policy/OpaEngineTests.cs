using System.Net;
using System.Net.Sockets;
using SidecarProxy.TestSupport;
using SidecarProxy.Rego.Values;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SidecarProxy.FunctionalTests.Policy;

/// <summary>
/// The opa engine against WireMock standing in for an OPA server, over real mTLS: every fault fails
/// closed with 503 policy_unavailable and the upstream sees nothing.
/// </summary>
public sealed class OpaEngineTests : IAsyncLifetime
{
    private const string Agent = "spiffe://agents.test/agent/a";
    private const string DecisionPath = "/v1/data/sidecar/authz/decision";

    private readonly WireMockServer _opa = WireMockServer.Start();
    private SidecarTestBed _proxy = null!;

    public async Task InitializeAsync()
    {
        _proxy = await StartAsync(new Uri(_opa.Url!));

        // WireMock's first answer in a process is slow (JIT); take it here, not inside the policy deadline.
        using var warmup = new HttpClient();
        using var response = await warmup.GetAsync(new Uri(_opa.Url + "/warmup"));
        _opa.ResetLogEntries();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _opa.Stop();
    }

    private static Task<SidecarTestBed> StartAsync(Uri opa) => PolicyProxy.StartAsync(new()
    {
        ["Sidecar:Policy:Engine"] = "opa",
        ["Sidecar:Policy:OpaUrl"] = opa.ToString(),
        ["Sidecar:Policy:Timeout"] = "00:00:01",
    });

    private void OpaReplies(int status, string body, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);
        if (delay is { } d)
        {
            response = response.WithDelay(d);
        }

        _opa.Given(Request.Create().WithPath(DecisionPath).UsingPost()).RespondWith(response);
    }

    private async Task<HttpResponseMessage> SendAsync(string method = "GET", string path = "/tools/demo/items")
    {
        using var client = _proxy.Agent(Agent);
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer canary-agent-token");
        request.Headers.TryAddWithoutValidation("Cookie", "session=canary-cookie");
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task AllowTrue_Forwards()
    {
        OpaReplies(200, "{\"result\": true}");
        using var response = await SendAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(_proxy.Upstream.Requests);
        Assert.Equal("/items", forwarded.Path);
        Assert.False(forwarded.Headers.ContainsKey("cookie"));
        Assert.False(forwarded.Headers.TryGetValue("authorization", out var auth) && auth.Contains("canary", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpaInput_HasIdentityAndToolAndNoCredentials()
    {
        OpaReplies(200, "{\"result\": true}");
        using var response = await SendAsync("POST", "/tools/demo/items?x=1");
        var body = Assert.Single(_opa.LogEntries).RequestMessage!.Body!;
        Assert.DoesNotContain("canary", body, StringComparison.Ordinal);
        var input = (RegoObject)((RegoObject)RegoJson.Parse(body))["input"]!;
        Assert.Equal(new RegoString(Agent), input["source_principal"]);
        Assert.Equal(RegoJson.Parse("{\"id\": \"demo\", \"labels\": {}}"), input["tool"]);
        Assert.Equal(RegoJson.Parse("{\"x\": [\"1\"]}"), input["parsed_query"]);
        Assert.Equal(RegoJson.Parse("[\"items\"]"), input["parsed_path"]);
        Assert.Equal(RegoNull.Instance, input["task"]);
    }

    [Fact]
    public async Task AllowFalse_Is403PolicyDenied()
    {
        OpaReplies(200, "{\"result\": false}");
        using var response = await SendAsync();
        var problem = await Problem.ReadAsync(response);
        Assert.Equal((403, "policy_denied"), (problem.Status, problem.Code));
        Assert.Empty(_proxy.Upstream.Requests);
    }

    [Fact]
    public async Task ObjectDecision_AddsHeadersAndKeepsDecisionId()
    {
        OpaReplies(200, "{\"result\": {\"allowed\": true, \"reason\": \"fine\", \"headers\": {\"x-policy\": \"yes\"}}, \"decision_id\": \"d-1\"}");
        using var response = await SendAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("yes", Assert.Single(_proxy.Upstream.Requests).Headers["x-policy"]);
    }

    [Fact]
    public async Task ObjectDeny_UsesReasonStatusAndDecisionId()
    {
        OpaReplies(200, "{\"result\": {\"allowed\": false, \"reason\": \"not on weekends\", \"http_status\": 451}, \"decision_id\": \"d-2\"}");
        using var response = await SendAsync();
        var problem = await Problem.ReadAsync(response);
        Assert.True((451, "policy_denied") == (problem.Status, problem.Code), problem.Body.ToString());
        Assert.Equal("not on weekends", problem.Body.GetProperty("detail").GetString());
        Assert.Equal("d-2", problem.Body.GetProperty("decision_id").GetString());
        Assert.Empty(_proxy.Upstream.Requests);
    }

    [Fact]
    public async Task RequireApproval_Is403ApprovalRequired()
    {
        OpaReplies(200, "{\"result\": {\"allowed\": false, \"require_approval\": true, \"reason\": \"needs a human\"}}");
        using var response = await SendAsync("DELETE");
        var problem = await Problem.ReadAsync(response);
        Assert.Equal((403, "approval_required"), (problem.Status, problem.Code));
        Assert.Empty(_proxy.Upstream.Requests);
    }

    [Theory]
    [InlineData(200, "{}", "undefined result")]
    [InlineData(500, "{\"code\": \"internal_error\"}", "server error")]
    [InlineData(200, "this is not json", "garbage")]
    [InlineData(200, "{\"result\": {\"allowed\": \"yes\"}}", "allowed of the wrong type")]
    [InlineData(200, "{\"result\": {\"allowed\": true, \"credential\": {\"ttl_seconds\": \"60\"}}}", "ttl of the wrong type")]
    [InlineData(200, "{\"result\": [true, false]}", "several results")]
    [InlineData(200, "{\"result\": 1}", "a number")]
    public async Task FaultyOpa_Is503PolicyUnavailable(int status, string body, string scenario)
    {
        OpaReplies(status, body);
        using var response = await SendAsync();
        var problem = await Problem.ReadAsync(response);
        Assert.True((503, "policy_unavailable") == (problem.Status, problem.Code), scenario);
        Assert.Empty(_proxy.Upstream.Requests);
    }

    [Fact]
    public async Task SlowOpa_PastTheTimeout_Is503()
    {
        OpaReplies(200, "{\"result\": true}", TimeSpan.FromSeconds(4));
        using var response = await SendAsync();
        var problem = await Problem.ReadAsync(response);
        Assert.Equal((503, "policy_unavailable"), (problem.Status, problem.Code));
        Assert.Empty(_proxy.Upstream.Requests);
    }

    [Fact]
    public async Task UnreachableOpa_Is503()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var proxy = await StartAsync(new Uri($"http://127.0.0.1:{port}/"));
        using var client = proxy.Agent(Agent);
        using var response = await client.GetAsync(new Uri("/tools/demo/items", UriKind.Relative));
        var problem = await Problem.ReadAsync(response);
        Assert.Equal((503, "policy_unavailable"), (problem.Status, problem.Code));
        Assert.Empty(proxy.Upstream.Requests);
    }
}
