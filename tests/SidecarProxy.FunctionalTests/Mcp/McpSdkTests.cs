using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Mcp;

/// <summary>A real MCP server (the C# SDK) behind the sidecar over mTLS, driven by the SDK's own client.</summary>
public sealed class McpSdkTests
{
    private static async Task<McpClient> ConnectAsync(SidecarTestBed bed, string agent, string? protocolVersion = null)
    {
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = McpBed.Endpoint(bed), TransportMode = HttpTransportMode.StreamableHttp },
            bed.Agent(agent),
            NullLoggerFactory.Instance,
            ownsHttpClient: true);
        return await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = protocolVersion });
    }

    public static TheoryData<string?> Revisions => new() { null, "2025-11-25" };

    [Theory]
    [MemberData(nameof(Revisions))]
    public async Task ToolsList_IsFilteredPerAgent(string? revision)
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(server.Url);
        await using var _ = bed;
        using var __ = policy;

        await using var researcher = await ConnectAsync(bed, McpBed.Researcher, revision);
        await using var reader = await ConnectAsync(bed, McpBed.Reader, revision);

        var all = (await researcher.ListToolsAsync()).Select(t => t.Name).Order();
        var some = (await reader.ListToolsAsync()).Select(t => t.Name);

        Assert.Equal(["create_issue", "delete_repository", "list_issues"], all);
        Assert.Equal(["list_issues"], some);
        if (revision is not null)
        {
            Assert.Equal(revision, researcher.NegotiatedProtocolVersion);
        }
    }

    [Theory]
    [MemberData(nameof(Revisions))]
    public async Task AllowedCall_ReachesTheServer_DeniedCall_IsAnsweredBySidecar(string? revision)
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(server.Url);
        await using var _ = bed;
        using var __ = policy;
        await using var reader = await ConnectAsync(bed, McpBed.Reader, revision);

        var result = await reader.CallToolAsync("list_issues", new Dictionary<string, object?> { ["repo"] = "acme/app" });
        Assert.NotEqual(true, result.IsError);
        Assert.Equal(["list_issues acme/app"], server.Calls.Calls);

        var denied = await Assert.ThrowsAsync<McpProtocolException>(() =>
            reader.CallToolAsync("delete_repository", new Dictionary<string, object?> { ["repo"] = "acme/app" }).AsTask());
        Assert.Equal(-32003, (int)denied.ErrorCode);

        // Unknown and forbidden look the same.
        var unknown = await Assert.ThrowsAsync<McpProtocolException>(() =>
            reader.CallToolAsync("no_such_tool", new Dictionary<string, object?>()).AsTask());
        Assert.Equal(denied.ErrorCode, unknown.ErrorCode);
        Assert.Equal(denied.Message, unknown.Message);

        Assert.Equal(["list_issues acme/app"], server.Calls.Calls);
    }

    [Fact]
    public async Task ArgumentConstraint_AllowsAndDenies()
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(server.Url);
        await using var _ = bed;
        using var __ = policy;
        await using var researcher = await ConnectAsync(bed, McpBed.Researcher);

        await researcher.CallToolAsync("create_issue", new Dictionary<string, object?> { ["repo"] = "acme/app", ["title"] = "bug" });
        var denied = await Assert.ThrowsAsync<McpProtocolException>(() =>
            researcher.CallToolAsync("create_issue", new Dictionary<string, object?> { ["repo"] = "evil/repo", ["title"] = "x" }).AsTask());

        Assert.Equal(-32003, (int)denied.ErrorCode);
        Assert.Equal(["create_issue acme/app bug"], server.Calls.Calls);
        var metrics = await bed.ScrapeAsync();
        Assert.True(metrics["sidecar_denials_total{reason=\"policy_denied\"}"] >= 1);
    }

    [Fact]
    public async Task Session_OfAnotherAgent_IsRefused()
    {
        await using var server = await SdkMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(server.Url);
        await using var _ = bed;
        using var __ = policy;

        // The owner opens a 2025-11-25 session by hand to learn its id.
        using var owner = bed.Agent(McpBed.Researcher);
        using var init = Post(McpBed.Endpoint(bed), """
            {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
            """);
        using var initialized = await owner.SendAsync(init);
        Assert.Equal(HttpStatusCode.OK, initialized.StatusCode);
        var session = initialized.Headers.GetValues("Mcp-Session-Id").Single();

        var list = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";
        using var mine = Post(McpBed.Endpoint(bed), list, session);
        using var ownerAnswer = await owner.SendAsync(mine);
        Assert.Equal(HttpStatusCode.OK, ownerAnswer.StatusCode);

        using var thief = bed.Agent(McpBed.Reader);
        using var stolen = Post(McpBed.Endpoint(bed), list, session);
        using var refused = await thief.SendAsync(stolen);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal(-32001, body.RootElement.GetProperty("error").GetProperty("code").GetInt32());

        // The same answer for a session nobody opened.
        using var made = Post(McpBed.Endpoint(bed), list, "made-up");
        using var unknown = await owner.SendAsync(made);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    internal static HttpRequestMessage Post(Uri endpoint, string json, string? session = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }
}
