using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Mcp;

/// <summary>
/// A policy change reaches clients that hold a filtered list: the sidecar sends notifications/tools/list_changed on
/// the session's GET stream (2025-11-25), and the SDK client, re-listing, sees the new view.
/// </summary>
public sealed class McpListChangedTests
{
    [Fact]
    public async Task PolicyRevisionChange_SendsToolsListChanged_OnTheSessionStream_AndTheNewListIsFiltered()
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(server.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = McpBed.Endpoint(bed), TransportMode = HttpTransportMode.StreamableHttp },
            bed.Agent(McpBed.Researcher), NullLoggerFactory.Instance, ownsHttpClient: true);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });
        var changed = 0;
        await using var handler = client.RegisterNotificationHandler("notifications/tools/list_changed", (_, _) =>
        {
            Interlocked.Increment(ref changed);
            return ValueTask.CompletedTask;
        });
        var prompts = 0;
        await using var promptHandler = client.RegisterNotificationHandler("notifications/prompts/list_changed", (_, _) =>
        {
            Interlocked.Increment(ref prompts);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(["create_issue", "delete_repository", "list_issues"], (await client.ListToolsAsync()).Select(t => t.Name).Order());

        // The researcher loses delete_repository: a new policy revision.
        policy.Write("authz.rego", McpBed.Policy.Replace(
            "\"spiffe://agents.test/agent/researcher\": {\"list_issues\", \"create_issue\", \"delete_repository\", \"read_only\"}",
            "\"spiffe://agents.test/agent/researcher\": {\"list_issues\", \"create_issue\", \"read_only\"}", StringComparison.Ordinal));

        Assert.True(await Eventually.TrueAsync(() => Volatile.Read(ref changed) > 0), "no notifications/tools/list_changed arrived");
        Assert.Equal(["create_issue", "list_issues"], (await client.ListToolsAsync()).Select(t => t.Name).Order());

        // Only what the session listed: it never listed prompts.
        Assert.Equal(0, Volatile.Read(ref prompts));

        // What the sidecar itself wrote is counted, by method; the unused methods exist at zero.
        var metrics = await bed.ScrapeAsync();
        Assert.True(metrics["sidecar_mcp_notifications_total{method=\"notifications/tools/list_changed\"}"] >= 1);
        Assert.Equal(0, metrics["sidecar_mcp_notifications_total{method=\"notifications/prompts/list_changed\"}"]);
    }
}
