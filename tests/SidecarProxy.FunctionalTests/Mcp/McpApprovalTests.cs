using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;
using static SidecarProxy.FunctionalTests.Mcp.McpSdkTests;

namespace SidecarProxy.FunctionalTests.Mcp;

/// <summary>
/// Approvals in MCP's own terms, with the SDK's client and server through the sidecar over mTLS: a held
/// <c>tools/call</c> is a URL-mode elicitation (-32042 under 2025-11-25, an input-required result under 2026-07-28)
/// whose URL is the approval's console link; approved through the admin API, the retried call goes through once.
/// </summary>
public sealed class McpApprovalTests
{
    private const string Approver = "spiffe://agents.test/ops/approver-1";

    /// <summary>delete_repository needs one approval; everything else of the researcher is allowed.</summary>
    private const string Policy = """
        package sidecar.authz

        import rego.v1

        default decision := {"allowed": false, "reason": "not allowed"}

        researcher if input.attributes.source.principal == "spiffe://agents.test/agent/researcher"

        delete if {
            input.mcp.method == "tools/call"
            input.mcp.name == "delete_repository"
        }

        decision := {"allowed": true, "reason": "researcher"} if {
            researcher
            not delete
        }

        decision := {"allowed": false, "require_approval": true, "reason": "deleting a repository needs a human"} if {
            researcher
            delete
            not input.approval.id
        }

        decision := {"allowed": true, "reason": "approved"} if {
            researcher
            delete
            count(input.approval.approved_by) >= 1
        }
        """;

    private static Task<(SidecarTestBed Bed, TempDirectory Policy)> StartAsync(Uri upstream, string policy = Policy) =>
        McpBed.StartWithPolicyAsync(upstream, policy,
            ("Sidecar:Admin:Listen", "https://127.0.0.1:0"),
            ("Sidecar:Admin:Principals:0:Id", "spiffe://agents.test/ops/approver-*"),
            ("Sidecar:Admin:Principals:0:Roles:0", "approve"));

    private static Uri AdminUrl(SidecarTestBed bed) => bed.Proxy.App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Admin);

    private static async Task ApproveAsync(SidecarTestBed bed, string id)
    {
        using var admin = TestProxy.CreateAgentClient(AdminUrl(bed), bed.Root.IssueSvid(Approver), null, bed.Identity.ServerCa.Certificate, out _);
        using var response = await admin.PostAsync(new Uri($"/admin/approvals/{id}/approve", UriKind.Relative),
            new StringContent("""{"comment":"ok"}""", Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task DenyAsync(SidecarTestBed bed, string id)
    {
        using var admin = TestProxy.CreateAgentClient(AdminUrl(bed), bed.Root.IssueSvid(Approver), null, bed.Identity.ServerCa.Certificate, out _);
        using var response = await admin.PostAsync(new Uri($"/admin/approvals/{id}/deny", UriKind.Relative),
            new StringContent("""{"comment":"no"}""", Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The ids of the pending approvals, read through the admin API (as an approver sees them).</summary>
    private static async Task<string[]> PendingAsync(SidecarTestBed bed)
    {
        using var admin = TestProxy.CreateAgentClient(AdminUrl(bed), bed.Root.IssueSvid(Approver), null, bed.Identity.ServerCa.Certificate, out _);
        using var response = await admin.GetAsync(new Uri("/admin/approvals?state=pending", UriKind.Relative));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return [.. body.GetProperty("approvals").EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];
    }

    /// <summary>The one pending approval not in <paramref name="seen"/>, once it exists.</summary>
    private static async Task<string> NewPendingAsync(SidecarTestBed bed, List<string> seen)
    {
        string? id = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            id = (await PendingAsync(bed)).SingleOrDefault(p => !seen.Contains(p));
            return id is not null;
        }), "no new pending approval");
        seen.Add(id!);
        return id!;
    }

    private const string HoldPolicyApproval = "\"require_approval\": true, \"approval\": {\"mode\": \"hold\", \"hold_seconds\": 300},";

    private static Dictionary<string, object?> Repo(string repo) => new() { ["repo"] = repo };

    [Fact]
    public async Task Revision20251125_UrlElicitationRequired_ApprovedRetrySucceedsOnce_ChangedArgumentsRefused()
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await StartAsync(server.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = McpBed.Endpoint(bed), TransportMode = HttpTransportMode.StreamableHttp },
            bed.Agent(McpBed.Researcher), NullLoggerFactory.Instance, ownsHttpClient: true);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });

        var required = await Assert.ThrowsAsync<UrlElicitationRequiredException>(() => client.CallToolAsync("delete_repository", Repo("acme/app")).AsTask());
        Assert.Equal(-32042, (int)required.ErrorCode);
        var elicitation = Assert.Single(required.Elicitations);
        Assert.Equal("url", elicitation.Mode);
        var id = elicitation.ElicitationId!;
        Assert.StartsWith("apr_", id, StringComparison.Ordinal);
        Assert.Equal(AdminUrl(bed).ToString().TrimEnd('/') + "/approvals/" + id, elicitation.Url);
        Assert.Empty(server.Calls.Calls);

        // Asking again before anyone decided: the same approval, still not forwarded.
        var again = await Assert.ThrowsAsync<UrlElicitationRequiredException>(() => client.CallToolAsync("delete_repository", Repo("acme/app")).AsTask());
        Assert.Equal(id, Assert.Single(again.Elicitations).ElicitationId);
        Assert.Empty(server.Calls.Calls);

        await ApproveAsync(bed, id);

        // The client retries the same call (a new JSON-RPC id): it goes through, once.
        var result = await client.CallToolAsync("delete_repository", Repo("acme/app"));
        Assert.NotEqual(true, result.IsError);
        Assert.Equal(["delete_repository acme/app"], server.Calls.Calls);

        var next = await Assert.ThrowsAsync<UrlElicitationRequiredException>(() => client.CallToolAsync("delete_repository", Repo("acme/app")).AsTask());
        var nextId = Assert.Single(next.Elicitations).ElicitationId!;
        Assert.NotEqual(id, nextId);
        Assert.Single(server.Calls.Calls);

        // An approved approval presented (X-Approval-Id) for a call with another argument: approval_mismatch.
        await ApproveAsync(bed, nextId);
        using var agent = bed.Agent(McpBed.Researcher);
        using var changed = Post(McpBed.Endpoint(bed),
            """{"jsonrpc":"2.0","id":"x1","method":"tools/call","params":{"name":"delete_repository","arguments":{"repo":"acme/other"}}}""",
            null, ("X-Approval-Id", nextId));
        using var mismatch = await agent.SendAsync(changed);
        Assert.Equal(HttpStatusCode.OK, mismatch.StatusCode);
        var error = JsonDocument.Parse(await mismatch.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(-32003, error.GetProperty("code").GetInt32());
        Assert.Equal("approval_mismatch", error.GetProperty("data").GetProperty("code").GetString());

        // The same changed call without an id is a new approval, not the approved one.
        var other = await Assert.ThrowsAsync<UrlElicitationRequiredException>(() => client.CallToolAsync("delete_repository", Repo("acme/other")).AsTask());
        Assert.NotEqual(nextId, Assert.Single(other.Elicitations).ElicitationId);

        // Argument order and spacing do not matter (canonical JSON); the approval is still good for the original call.
        var approvedAgain = await client.CallToolAsync("delete_repository", Repo("acme/app"));
        Assert.NotEqual(true, approvedAgain.IsError);
        Assert.Equal(["delete_repository acme/app", "delete_repository acme/app"], server.Calls.Calls);
        var metrics = await bed.ScrapeAsync();
        Assert.True(metrics["sidecar_denials_total{reason=\"approval_required\"}"] >= 3);
        Assert.True(metrics["sidecar_denials_total{reason=\"approval_mismatch\"}"] >= 1);
    }

    [Fact]
    public async Task Revision20260728_InputRequiredResult_ClientOpensTheUrl_RetryWithRequestStateSucceeds()
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await StartAsync(server.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        var seen = new List<ElicitRequestParams>();
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = McpBed.Endpoint(bed), TransportMode = HttpTransportMode.StreamableHttp },
            bed.Agent(McpBed.Researcher), NullLoggerFactory.Instance, ownsHttpClient: true);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions
        {
            Capabilities = new ClientCapabilities { Elicitation = new ElicitationCapability { Url = new UrlElicitationCapability() } },
            Handlers = new McpClientHandlers
            {
                // The person opens the link and approves; the client then reports the elicitation accepted.
                ElicitationHandler = async (request, ct) =>
                {
                    seen.Add(request!);
                    await ApproveAsync(bed, request!.ElicitationId!);
                    return new ElicitResult { Action = "accept" };
                },
            },
        });
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);

        var result = await client.CallToolAsync("delete_repository", Repo("acme/app"));

        Assert.NotEqual(true, result.IsError);
        var asked = Assert.Single(seen);
        Assert.Equal("url", asked.Mode);
        Assert.Equal(AdminUrl(bed).ToString().TrimEnd('/') + "/approvals/" + asked.ElicitationId, asked.Url);
        Assert.Equal(["delete_repository acme/app"], server.Calls.Calls);

        // Single use: the next call asks again.
        await client.CallToolAsync("delete_repository", Repo("acme/app"));
        Assert.Equal(2, seen.Count);
        Assert.NotEqual(seen[0].ElicitationId, seen[1].ElicitationId);
    }

    [Fact]
    public async Task Revision20260728_ForwardedRetry_CarriesNeitherTheSidecarsStateNorItsInputResponse()
    {
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = (c, _) => StubMcpServer.JsonAsync(c, """{"jsonrpc":"2.0","id":2,"result":{"content":[]}}""");
        var (bed, policy) = await StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var agent = bed.Agent(McpBed.Researcher);
        const string Meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{\"url\":{}}}}";
        (string, string)[] headers = [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "delete_repository")];

        using var first = await agent.SendAsync(Post(McpBed.Endpoint(bed),
            """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_repository","arguments":{"repo":"acme/app","force":true},""" + Meta + "}}", null, headers));
        var answer = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("result");
        Assert.Equal("input_required", answer.GetProperty("resultType").GetString());
        var input = answer.GetProperty("inputRequests").GetProperty("sidecar_approval");
        Assert.Equal("elicitation/create", input.GetProperty("method").GetString());
        var id = input.GetProperty("params").GetProperty("elicitationId").GetString()!;
        var state = answer.GetProperty("requestState").GetString()!;
        Assert.Empty(stub.Bodies);

        await ApproveAsync(bed, id);

        // The retry: arguments in another order and spacing, the echoed state and the accepted elicitation.
        using var retry = await agent.SendAsync(Post(McpBed.Endpoint(bed),
            """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_repository","arguments":{ "force": true, "repo": "acme/app" },"requestState":"STATE","inputResponses":{"sidecar_approval":{"action":"accept"}},""".Replace("STATE", state, StringComparison.Ordinal) + Meta + "}}",
            null, headers));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var forwarded = JsonDocument.Parse(Assert.Single(stub.Bodies)).RootElement.GetProperty("params");
        Assert.False(forwarded.TryGetProperty("requestState", out _));
        Assert.False(forwarded.TryGetProperty("inputResponses", out _));
        Assert.Equal("acme/app", forwarded.GetProperty("arguments").GetProperty("repo").GetString());

        // The state again (approval used): refused, nothing more forwarded.
        using var replay = await agent.SendAsync(Post(McpBed.Endpoint(bed),
            """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_repository","arguments":{"repo":"acme/app","force":true},"requestState":"STATE",""".Replace("STATE", state, StringComparison.Ordinal) + Meta + "}}",
            null, headers));
        var error = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("approval_used", error.GetProperty("data").GetProperty("code").GetString());
        Assert.Single(stub.Bodies);
    }

    [Fact]
    public async Task HoldMode_HeldCall_ApprovedIsForwardedOnce_DeniedIsAJsonRpcError_NextCallIsHeldAgain()
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await StartAsync(server.Url, Policy.Replace("\"require_approval\": true,", HoldPolicyApproval, StringComparison.Ordinal));
        await using var bedScope = bed;
        using var policyScope = policy;
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = McpBed.Endpoint(bed), TransportMode = HttpTransportMode.StreamableHttp },
            bed.Agent(McpBed.Researcher), NullLoggerFactory.Instance, ownsHttpClient: true);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });
        var seen = new List<string>();

        // Held: the POST waits, nothing is forwarded, the held-requests gauge shows it.
        var held = client.CallToolAsync("delete_repository", Repo("acme/app")).AsTask();
        var first = await NewPendingAsync(bed, seen);
        Assert.True(await Eventually.TrueAsync(async () => (await bed.ScrapeAsync())["sidecar_approval_held_requests"] == 1));
        Assert.False(held.IsCompleted);
        Assert.Empty(server.Calls.Calls);

        // Approved: released and forwarded once; the call's answer is the server's result.
        await ApproveAsync(bed, first);
        var result = await held;
        Assert.NotEqual(true, result.IsError);
        Assert.Equal(["delete_repository acme/app"], server.Calls.Calls);
        Assert.Equal(0, (await bed.ScrapeAsync())["sidecar_approval_held_requests"]);

        // Held again (an approval is good for one call) and denied: a JSON-RPC error, nothing forwarded.
        var second = client.CallToolAsync("delete_repository", Repo("acme/app")).AsTask();
        var secondId = await NewPendingAsync(bed, seen);
        await DenyAsync(bed, secondId);
        var denied = await Assert.ThrowsAsync<McpProtocolException>(() => second);
        Assert.Equal(-32003, (int)denied.ErrorCode);
        Assert.Contains("Approval denied", denied.Message, StringComparison.Ordinal);
        Assert.Single(server.Calls.Calls);

        // The held call already told the client of the denial: the next identical call is held for a new approval.
        var third = client.CallToolAsync("delete_repository", Repo("acme/app")).AsTask();
        var thirdId = await NewPendingAsync(bed, seen);
        Assert.NotEqual(secondId, thirdId);
        await ApproveAsync(bed, thirdId);
        Assert.NotEqual(true, (await third).IsError);
        Assert.Equal(["delete_repository acme/app", "delete_repository acme/app"], server.Calls.Calls);

        var metrics = await bed.ScrapeAsync();
        Assert.True(metrics["sidecar_denials_total{reason=\"approval_denied\"}"] >= 1);
    }

    [Fact]
    public async Task HoldMode_RawPostDenied_IsAJsonRpcErrorWithTheApprovalsCode_NothingForwarded()
    {
        await using var stub = await StubMcpServer.StartAsync();
        var (bed, policy) = await StartAsync(stub.Url, Policy.Replace("\"require_approval\": true,", HoldPolicyApproval, StringComparison.Ordinal));
        await using var bedScope = bed;
        using var policyScope = policy;
        using var agent = bed.Agent(McpBed.Researcher);

        var held = agent.SendAsync(Post(McpBed.Endpoint(bed),
            """{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"delete_repository","arguments":{"repo":"acme/app"}}}"""));
        var id = await NewPendingAsync(bed, []);
        await DenyAsync(bed, id);

        using var response = await held;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(9, answer.GetProperty("id").GetInt32());
        var error = answer.GetProperty("error");
        Assert.Equal(-32003, error.GetProperty("code").GetInt32());
        Assert.Equal("approval_denied", error.GetProperty("data").GetProperty("code").GetString());
        Assert.Equal(id, error.GetProperty("data").GetProperty("approval_id").GetString());
        Assert.Empty(stub.Bodies);
    }

    [Fact]
    public async Task Revision20251125_ElicitationComplete_IsSentOnTheSessionStream_WhenTheApprovalIsDecided()
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await StartAsync(server.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = McpBed.Endpoint(bed), TransportMode = HttpTransportMode.StreamableHttp },
            bed.Agent(McpBed.Researcher), NullLoggerFactory.Instance, ownsHttpClient: true);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });
        var completed = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var handler = client.RegisterNotificationHandler("notifications/elicitation/complete", (notification, _) =>
        {
            completed.Enqueue(notification.Params?["elicitationId"]?.GetValue<string>() ?? "?");
            return ValueTask.CompletedTask;
        });

        var required = await Assert.ThrowsAsync<UrlElicitationRequiredException>(() => client.CallToolAsync("delete_repository", Repo("acme/app")).AsTask());
        var id = Assert.Single(required.Elicitations).ElicitationId!;
        Assert.Empty(completed);

        // Approved: the session is told; the client retries and the call goes through once.
        await ApproveAsync(bed, id);
        Assert.True(await Eventually.TrueAsync(() => completed.Contains(id)), "no notifications/elicitation/complete arrived");
        Assert.NotEqual(true, (await client.CallToolAsync("delete_repository", Repo("acme/app"))).IsError);
        Assert.Equal(["delete_repository acme/app"], server.Calls.Calls);

        // Denied: told as well (the outcome comes from the retry: approval_denied).
        var next = await Assert.ThrowsAsync<UrlElicitationRequiredException>(() => client.CallToolAsync("delete_repository", Repo("acme/other")).AsTask());
        var nextId = Assert.Single(next.Elicitations).ElicitationId!;
        await DenyAsync(bed, nextId);
        Assert.True(await Eventually.TrueAsync(() => completed.Contains(nextId)), "no notifications/elicitation/complete after the denial");
        var denied = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("delete_repository", Repo("acme/other")).AsTask());
        Assert.Equal(-32003, (int)denied.ErrorCode);
        Assert.Single(server.Calls.Calls);

        // Once per elicitation, counted by method.
        Assert.Equal([id, nextId], completed);
        var metrics = await bed.ScrapeAsync();
        Assert.Equal(2, metrics["sidecar_mcp_notifications_total{method=\"notifications/elicitation/complete\"}"]);
    }
}
