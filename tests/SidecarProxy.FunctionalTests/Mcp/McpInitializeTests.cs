using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using static SidecarProxy.FunctionalTests.Mcp.McpSdkTests;

namespace SidecarProxy.FunctionalTests.Mcp;

/// <summary>
/// The sidecar sends list_changed into 2025-11-25 sessions when the policy changes, so the initialize result it
/// relays declares <c>listChanged: true</c> for the list capabilities the server has, and only for those.
/// </summary>
public sealed class McpInitializeTests
{
    private const string Initialize =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    /// <summary>tools without listChanged, prompts with it false, no resources, logging (not a list capability).</summary>
    private const string Result =
        """{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{},"prompts":{"listChanged":false},"logging":{}},"serverInfo":{"name":"stub","version":"1"}}}""";

    private static Func<HttpContext, string, Task> Answer(bool sse, string? session) => async (context, body) =>
    {
        if (!body.Contains("\"initialize\"", StringComparison.Ordinal))
        {
            context.Response.StatusCode = HttpMethods.IsGet(context.Request.Method) ? 405 : 202;
            return;
        }

        if (session is not null)
        {
            context.Response.Headers["Mcp-Session-Id"] = session;
        }

        if (sse)
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(": keep-alive\n\n");
            await context.Response.WriteAsync("event: message\nid: e1\ndata: " + Result + "\n\n");
        }
        else
        {
            await StubMcpServer.JsonAsync(context, Result);
        }
    };

    private static async Task<JsonElement> InitializeAsync(Uri upstream, bool sse)
    {
        var (bed, policy) = await McpBed.StartAsync(upstream);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var agent = bed.Agent(McpBed.Researcher);
        using var response = await agent.SendAsync(Post(McpBed.Endpoint(bed), Initialize));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(sse ? "text/event-stream" : "application/json", response.Content.Headers.ContentType?.MediaType);
        if (sse)
        {
            // The event keeps its id line; the keep-alive comment passes.
            Assert.Contains(": keep-alive", text, StringComparison.Ordinal);
            Assert.Contains("id: e1", text, StringComparison.Ordinal);
            text = text.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
        }

        return JsonDocument.Parse(text).RootElement.GetProperty("result").GetProperty("capabilities").Clone();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InitializeResult_DeclaresListChanged_ForTheServersListCapabilitiesOnly(bool sse)
    {
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = Answer(sse, "s-1");

        var capabilities = await InitializeAsync(stub.Url, sse);

        Assert.True(capabilities.GetProperty("tools").GetProperty("listChanged").GetBoolean());
        Assert.True(capabilities.GetProperty("prompts").GetProperty("listChanged").GetBoolean());
        Assert.False(capabilities.TryGetProperty("resources", out _));
        Assert.Equal("{}", capabilities.GetProperty("logging").GetRawText());
    }

    [Fact]
    public async Task InitializeResult_WithoutASession_IsUnchanged()
    {
        // A stateless server opens no session: there is no GET stream to carry the sidecar's notifications.
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = Answer(sse: false, session: null);

        var capabilities = await InitializeAsync(stub.Url, sse: false);

        Assert.Equal("{}", capabilities.GetProperty("tools").GetRawText());
        Assert.False(capabilities.GetProperty("prompts").GetProperty("listChanged").GetBoolean());
    }

    [Fact]
    public async Task SdkClient_SeesToolsListChanged_ThroughTheSidecar()
    {
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = Answer(sse: true, "s-2");
        var (bed, policy) = await McpBed.StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = McpBed.Endpoint(bed), TransportMode = HttpTransportMode.StreamableHttp },
            bed.Agent(McpBed.Researcher), NullLoggerFactory.Instance, ownsHttpClient: true);

        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });

        Assert.True(client.ServerCapabilities.Tools?.ListChanged);
        Assert.True(client.ServerCapabilities.Prompts?.ListChanged);
        Assert.Null(client.ServerCapabilities.Resources);
    }
}
