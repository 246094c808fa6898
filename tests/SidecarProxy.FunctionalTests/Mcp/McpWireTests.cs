using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SidecarProxy.TestSupport;
using static SidecarProxy.FunctionalTests.Mcp.McpSdkTests;

namespace SidecarProxy.FunctionalTests.Mcp;

/// <summary>The sidecar's MCP wire behaviour against a hand-written upstream, over raw HTTP.</summary>
public sealed class McpWireTests
{
    private const string CallList = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_issues","arguments":{"repo":"a"}}}""";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string B64(string s) => "=?base64?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(s)) + "?=";

    public static TheoryData<string, string, string?, string?, string?, bool> Headers => new()
    {
        // case, body, MCP-Protocol-Version, Mcp-Method, Mcp-Name, forwarded
        { "matching headers", CallList, "2026-07-28", "tools/call", "list_issues", true },
        { "no headers, older revision", CallList, null, null, null, true },
        { "method differs", CallList, "2026-07-28", "tools/list", "list_issues", false },
        { "name differs", CallList, "2026-07-28", "tools/call", "delete_repository", false },
        { "name differs, older revision", CallList, "2025-11-25", null, "delete_repository", false },
        { "method missing, 2026-07-28", CallList, "2026-07-28", null, "list_issues", false },
        { "name missing, 2026-07-28", CallList, "2026-07-28", "tools/call", null, false },
        { "base64 name matches", CallList, "2026-07-28", "tools/call", B64("list_issues"), true },
        { "base64 name differs", CallList, "2026-07-28", "tools/call", B64("delete_repository"), false },
        { "base64 invalid", CallList, "2026-07-28", "tools/call", "=?base64?***?=", false },
        { "uppercase marker is literal", CallList, "2026-07-28", "tools/call", "=?BASE64?bGlzdF9pc3N1ZXM=?=", false },
        {
            "non-ASCII name, base64", """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"tööl","arguments":{}}}""",
            "2026-07-28", "tools/call", B64("tööl"), false
        },
        {
            "protocol version differs from _meta",
            """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_issues","_meta":{"io.modelcontextprotocol/protocolVersion":"2025-11-25"}}}""",
            "2026-07-28", "tools/call", "list_issues", false
        },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task HeaderBodyMismatch_Is400_BeforePolicy(string name, string body, string? version, string? method, string? mcpName, bool forwarded)
    {
        Assert.NotEmpty(name);
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = (c, _) => StubMcpServer.JsonAsync(c, """{"jsonrpc":"2.0","id":7,"result":{"content":[]}}""");
        var (bed, policy) = await McpBed.StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);
        var headers = new List<(string, string)>();
        if (version is not null) headers.Add(("MCP-Protocol-Version", version));
        if (method is not null) headers.Add(("Mcp-Method", method));
        if (mcpName is not null) headers.Add(("Mcp-Name", mcpName));

        using var response = await client.SendAsync(Post(McpBed.Endpoint(bed), body, null, [.. headers]));

        if (forwarded)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Single(stub.Bodies);
            Assert.Equal(body, stub.Bodies.Single());
        }
        else
        {
            // tööl is refused too: its name matches but reader may not call it (policy), so 200 with -32003.
            var json = await JsonAsync(response);
            var code = json.GetProperty("error").GetProperty("code").GetInt32();
            if (body.Contains("tööl", StringComparison.Ordinal))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(-32003, code);
            }
            else
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Equal(-32020, code);
                Assert.Equal(7, json.GetProperty("id").GetInt32());
            }

            Assert.Empty(stub.Bodies);
        }
    }

    [Fact]
    public async Task UnknownProtocolMetadata_StopsTheStart()
    {
        await using var stub = await StubMcpServer.StartAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            McpBed.StartAsync(stub.Url, ($"ReverseProxy:Routes:{McpBed.Tool}:Metadata:Protocol", "MCP")));

        Assert.Contains("Metadata.Protocol 'MCP' is not supported", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_AllowedForwarded_DeniedAnsweredBySidecar()
    {
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = (c, _) => StubMcpServer.JsonAsync(c, """[{"jsonrpc":"2.0","id":1,"result":{"content":[]}}]""");
        var (bed, policy) = await McpBed.StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);
        var allowed = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_issues","arguments":{}}}""";
        var denied = """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_repository","arguments":{}}}""";

        using var response = await client.SendAsync(Post(McpBed.Endpoint(bed), $"[{allowed},{denied}]"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answers = (await JsonAsync(response)).EnumerateArray().ToDictionary(a => a.GetProperty("id").GetInt32());
        Assert.True(answers[1].TryGetProperty("result", out _));
        Assert.Equal(-32003, answers[2].GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal($"[{allowed}]", stub.Bodies.Single());
    }

    [Fact]
    public async Task Notifications_AllowedAreForwarded_DeniedAreRefused()
    {
        await using var stub = await StubMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);
        var ok = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";

        using var accepted = await client.SendAsync(Post(McpBed.Endpoint(bed), ok));
        using var refused = await client.SendAsync(Post(McpBed.Endpoint(bed), """{"jsonrpc":"2.0","method":"notifications/forbidden"}"""));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await JsonAsync(refused)).GetProperty("id").ValueKind);
        Assert.Equal([ok], stub.Bodies);
    }

    public static TheoryData<string, int, int> Malformed => new()
    {
        { "{not json", 400, -32700 },
        { "[]", 400, -32600 },
        { "42", 400, -32600 },
        { """{"jsonrpc":"1.0","id":1,"method":"ping"}""", 400, -32600 },
        { """{"jsonrpc":"2.0","id":{},"method":"ping"}""", 400, -32600 },
        { """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}""", 400, -32600 },
        { """{"jsonrpc":"2.0","id":1}""", 400, -32600 },
        { """[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2}]""", 400, -32600 },
        { """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}""", 200, -32602 },

        // Found by fuzzing (tests/fuzz, target mcp): strings System.Text.Json parses but cannot read were a 500.
        { """{"jsonrpc":"\ud800","id":1,"method":"ping"}""", 400, -32700 },
        { """{"jsonrpc":"2.0","id":"\udc00","method":"ping"}""", 400, -32700 },
        { """{"jsonrpc":"2.0","id":1,"method":"tools/\ud83d"}""", 400, -32700 },
        { """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_\ud800"}}""", 400, -32700 },

        // Answers are matched to requests by id: two requests of a batch with one id (by value) are ambiguous.
        { """[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":1.0,"method":"tools/list"}]""", 400, -32600 },

        // A member named twice: the policy would see one tool (or argument) and a server reading the first another.
        { """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_issues","name":"delete_repository"}}""", 400, -32700 },
        { """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_issues","arguments":{"repo":"a","repo":"b"}}}""", 400, -32700 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedMessages_AreRefused_NothingForwarded(string body, int status, int code)
    {
        await using var stub = await StubMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);

        using var response = await client.SendAsync(Post(McpBed.Endpoint(bed), body));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetInt32());
        Assert.Empty(stub.Bodies);
    }

    [Fact]
    public async Task OversizedBody_Is413()
    {
        await using var stub = await StubMcpServer.StartAsync();
        var (bed, policy) = await McpBed.StartAsync(stub.Url, ("Sidecar:Mcp:MaxMessageBytes", "1024"));
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);
        var big = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_issues","arguments":{"x":"PAD"}}}""".Replace("PAD", new string('a', 2000), StringComparison.Ordinal);

        using var response = await client.SendAsync(Post(McpBed.Endpoint(bed), big));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(-32600, (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetInt32());
        Assert.Empty(stub.Bodies);
    }

    private static string Page(int id, string[] names, string? cursor) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id,
            ["result"] = cursor is null
                ? new Dictionary<string, object?> { ["tools"] = names.Select(n => new { name = n, inputSchema = new { type = "object" } }) }
                : new Dictionary<string, object?> { ["tools"] = names.Select(n => new { name = n, inputSchema = new { type = "object" } }), ["nextCursor"] = cursor },
        });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolsList_IsFilteredOnEveryPage_CursorKept(bool sse)
    {
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = async (c, body) =>
        {
            using var request = JsonDocument.Parse(body);
            var id = request.RootElement.GetProperty("id").GetInt32();
            var second = request.RootElement.GetProperty("params").TryGetProperty("cursor", out _);
            var page = second ? Page(id, ["read_only", "drop_database"], null) : Page(id, ["list_issues", "delete_repository", "create_issue"], "page-2");
            if (!sse)
            {
                await StubMcpServer.JsonAsync(c, page);
                return;
            }

            c.Response.ContentType = "text/event-stream";
            await c.Response.WriteAsync(": keep-alive\n\n");
            await c.Response.WriteAsync("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n");
            await c.Response.WriteAsync($"event: message\nid: e1\ndata: {page}\n\n");
        };
        var (bed, policy) = await McpBed.StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);

        using var first = await client.SendAsync(Post(McpBed.Endpoint(bed), """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"""));
        using var second = await client.SendAsync(Post(McpBed.Endpoint(bed), """{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"page-2"}}"""));

        var (page1, rest1) = await ResultAsync(first, sse);
        var (page2, _) = await ResultAsync(second, sse);
        Assert.Equal(["list_issues"], page1.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal("page-2", page1.GetProperty("nextCursor").GetString());
        Assert.Equal(["read_only"], page2.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.False(page2.TryGetProperty("nextCursor", out JsonElement _));
        if (sse)
        {
            Assert.Contains(": keep-alive\n\n", rest1, StringComparison.Ordinal);
            Assert.Contains("notifications/progress", rest1, StringComparison.Ordinal);
            Assert.Contains("id: e1\n", rest1, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Found by fuzzing (tests/fuzz, target sse): the filter matched a list result to its request by the id's JSON
    /// text, so an agent that spelled its id 1.0 or "\u0061" got the whole list from a server that echoes ids as it
    /// parsed them (1, "a"; as the TypeScript SDK does). Ids are matched by value now.
    /// </summary>
    [Theory]
    [InlineData("1.0", "1", false)]
    [InlineData("1.0", "1", true)]
    [InlineData("-0", "0", false)]
    [InlineData("\"\\u0061\"", "\"a\"", true)]
    public async Task ToolsList_AnsweredWithItsIdSpelledAnotherWay_IsFiltered(string sentId, string echoedId, bool sse)
    {
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = async (c, _) =>
        {
            var page = $$$"""{"jsonrpc":"2.0","id":{{{echoedId}}},"result":{"tools":[{"name":"list_issues"},{"name":"delete_repository"}]}}""";
            if (!sse)
            {
                await StubMcpServer.JsonAsync(c, page);
                return;
            }

            c.Response.ContentType = "text/event-stream";
            await c.Response.WriteAsync($"event: message\ndata: {page}\n\n");
        };
        var (bed, policy) = await McpBed.StartAsync(stub.Url);
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);

        using var response = await client.SendAsync(Post(McpBed.Endpoint(bed), $$$"""{"jsonrpc":"2.0","id":{{{sentId}}},"method":"tools/list","params":{}}"""));

        var (page, _) = await ResultAsync(response, sse);
        Assert.Equal(["list_issues"], page.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
    }

    private static async Task<(JsonElement Result, string Raw)> ResultAsync(HttpResponseMessage response, bool sse)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!sse)
        {
            return (JsonDocument.Parse(text).RootElement.GetProperty("result").Clone(), text);
        }

        var data = text.Split("\n\n").Select(e => e.Split('\n').FirstOrDefault(l => l.StartsWith("data: ", StringComparison.Ordinal)))
            .Where(d => d is not null && d.Contains("\"result\"", StringComparison.Ordinal)).Single()!;
        return (JsonDocument.Parse(data[6..]).RootElement.GetProperty("result").Clone(), text);
    }

    [Fact]
    public async Task SseStream_IsRelayedEventByEvent_PastTheActivityTimeout_AndClientCloseCancelsUpstream()
    {
        const int Events = 12;
        var received = new SemaphoreSlim(0);
        var upstreamCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalledUpstream = false;
        await using var stub = await StubMcpServer.StartAsync();
        stub.Handler = async (c, body) =>
        {
            c.Response.ContentType = "text/event-stream";
            c.RequestAborted.Register(() => upstreamCancelled.TrySetResult());
            try
            {
                for (var i = 0; i < Events; i++)
                {
                    await c.Response.WriteAsync($"event: message\ndata: {{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{{\"progress\":{i}}}}}\n\n", c.RequestAborted);
                    await c.Response.WriteAsync(": ping\n\n", c.RequestAborted);
                    await c.Response.Body.FlushAsync(c.RequestAborted);

                    // The next event only once the agent has this one: a sidecar that buffered would stall here.
                    if (!await received.WaitAsync(TimeSpan.FromSeconds(20), c.RequestAborted))
                    {
                        stalledUpstream = true;
                        return;
                    }

                    await Task.Delay(200, c.RequestAborted);
                }

                await Task.Delay(Timeout.Infinite, c.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        };

        // 12 events 200 ms apart take longer than the 1 s activity timeout.
        var (bed, policy) = await McpBed.StartAsync(stub.Url, ($"ReverseProxy:Clusters:{McpBed.Tool}:HttpRequest:ActivityTimeout", "00:00:01"));
        await using var bedScope = bed;
        using var policyScope = policy;
        using var client = bed.Agent(McpBed.Reader);
        using var request = Post(McpBed.Endpoint(bed), """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_issues","arguments":{}}}""");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        var progress = new List<int>();
        var pings = 0;
        while (progress.Count < Events)
        {
            var line = await reader.ReadLineAsync() ?? throw new Xunit.Sdk.XunitException("stream ended early");
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                progress.Add(JsonDocument.Parse(line[6..]).RootElement.GetProperty("params").GetProperty("progress").GetInt32());
                received.Release();
            }
            else if (line == ": ping")
            {
                pings++;
            }
        }

        Assert.Equal(Enumerable.Range(0, Events), progress);
        Assert.True(pings >= Events - 1);
        Assert.False(stalledUpstream);

        // The agent goes away: the upstream request is cancelled.
        response.Dispose();
        client.Dispose();
        await upstreamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
