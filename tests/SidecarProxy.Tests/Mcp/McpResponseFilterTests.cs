using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Mcp;
using SidecarProxy.Model;
using SidecarProxy.Policy;

namespace SidecarProxy.Tests.Mcp;

/// <summary>
/// Regressions found by fuzzing the list filter (tests/fuzz, target sse): answers a client reads as a list result
/// that reached it unfiltered, and server answers that made the filter throw. The policy shows items named list_*.
/// </summary>
public sealed class McpResponseFilterTests
{
    private const string ToolsList = """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""";
    private const string Tools = """{"tools":[{"name":"list_issues"},{"name":"delete_repository"}],"nextCursor":"c2"}""";
    private const string Answer = """{"jsonrpc":"2.0","id":1,"result":""" + Tools + "}";
    private const string EventStream = "text/event-stream";
    private const string Json = "application/json";

    [Fact]
    public async Task SseEvent_WithLinesEndedByCrAlone_IsFiltered()
    {
        // A lone CR ends a line (SSE): the data is two lines, which the filter read as one, not JSON, and relayed.
        var output = await FilterAsync(EventStream, ToolsList, "data: {\"jsonrpc\":\"2.0\",\"id\":1,\rdata: \"result\":" + Tools + "}\r\n\r\n");

        AssertFiltered(output);
    }

    [Fact]
    public async Task SseEvent_CarryingABatch_IsFiltered()
    {
        var post = $$$"""[{{{ToolsList}}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_issues"}}]""";

        var output = await FilterAsync(EventStream, post, $$$"""data: [{"jsonrpc":"2.0","id":2,"result":{"content":[]}},{{{Answer}}}]""" + "\n\n");

        AssertFiltered(output);
        Assert.Contains("\"content\":[]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseStream_StartingWithAByteOrderMark_FirstEventIsFiltered()
    {
        var output = await FilterAsync(EventStream, ToolsList, "\uFEFFdata: " + Answer + "\n\n");

        AssertFiltered(output);
    }

    [Fact]
    public async Task SecondAnswerWithTheSameId_IsFilteredToo()
    {
        var output = await FilterAsync(EventStream, ToolsList, $"data: {Answer}\n\nevent: message\ndata: {Answer}\n\n");

        AssertFiltered(output);
        Assert.Equal(2, output.Split("list_issues").Length - 1);
    }

    public static TheoryData<string> UnreadableEvents => new()
    {
        // Repeated members: the filter threw ArgumentException (the stream broke); readers differ on which one counts.
        """{"jsonrpc":"2.0","method":"notifications/progress","method":"x"}""",
        """{"jsonrpc":"2.0","id":1,"result":{"tools":[]},"result":""" + Tools + "}",

        // A string the filter cannot read: InvalidOperationException.
        """{"jsonrpc":"2.0","id":"\ud800","result":{}}""",

        // Nested deeper than the filter reads: relayed unchanged, so unfiltered.
        """{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"delete_repository","inputSchema":""" + new string('[', 70) + new string(']', 70) + "}]}}",
    };

    [Theory]
    [MemberData(nameof(UnreadableEvents))]
    public async Task UnreadableSseEvent_WhileAListIsPending_AnswersTheListWithAnError_AndDropsTheRest(string data)
    {
        var output = await FilterAsync(EventStream, ToolsList, $": keep-alive\n\ndata: {data}\n\ndata: {Answer}\n\n");

        Assert.StartsWith(": keep-alive\n\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("delete_repository", output, StringComparison.Ordinal);
        var error = JsonDocument.Parse(output.Split("data: ")[1]).RootElement;
        Assert.Equal(1, error.GetProperty("id").GetInt32());
        Assert.Equal(JsonRpcErrors.InternalError, error.GetProperty("error").GetProperty("code").GetInt32());
    }

    public static TheoryData<string> UnreadableJson => new()
    {
        // Each made the filter throw (ArgumentException, InvalidOperationException): a 500 instead of the answer.
        """{"jsonrpc":"2.0","id":1,"id":1,"result":""" + Tools + "}",
        """{"jsonrpc":"2.0","id":1,"result":{"tools":[]},"result":""" + Tools + "}",
        """[{"jsonrpc":"2.0","id":"\udc00","result":{}},""" + Answer + "]",
    };

    [Theory]
    [MemberData(nameof(UnreadableJson))]
    public async Task UnreadableJsonAnswer_IsAnErrorForTheList(string answer) =>
        AssertListError(await FilterAsync(Json, ToolsList, answer));

    [Fact]
    public async Task JsonAnswerWithInvalidUtf8_IsAnErrorForTheList()
    {
        var answer = Encoding.UTF8.GetBytes("""[{"jsonrpc":"2.0","id":"é","result":{}},""" + Answer + "]");
        answer[Array.IndexOf(answer, (byte)0xC3) + 1] = (byte)'s'; // the lead byte of é without its continuation

        AssertListError(await FilterAsync(Json, ToolsList, answer));
    }

    private static void AssertFiltered(string output)
    {
        Assert.Contains("list_issues", output, StringComparison.Ordinal);
        Assert.Contains("\"nextCursor\":\"c2\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("delete_repository", output, StringComparison.Ordinal);
    }

    private static void AssertListError(string output)
    {
        var error = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1, error.GetProperty("id").GetInt32());
        Assert.Equal(JsonRpcErrors.InternalError, error.GetProperty("error").GetProperty("code").GetInt32());
    }

    private static Task<string> FilterAsync(string contentType, string post, string answer) =>
        FilterAsync(contentType, post, Encoding.UTF8.GetBytes(answer));

    /// <summary>The filter as McpMiddleware sets it up for this POST (every request allowed), fed the server's answer.</summary>
    private static async Task<string> FilterAsync(string contentType, string post, byte[] answer)
    {
        var messages = JsonRpcParser.Parse(Encoding.UTF8.GetBytes(post), out var batch, out _, out var problem, out _);
        Assert.True(messages is not null, problem);
        var lists = messages!
            .Where(m => m.Kind == JsonRpcKind.Request && McpResponseFilter.IsListMethod(m.Method))
            .ToDictionary(m => JsonRpcId.Key(m.Id!.Value), m => Request with { Mcp = new McpContext { Method = m.Method, Id = m.Id, Phase = McpContext.PhaseCall } });
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType;
        using var output = new MemoryStream();
        var filter = new McpResponseFilter(context, output, lists, [], batch, new NamePrefixPolicy("list_"), 1 << 20, NullLogger.Instance);

        await filter.WriteAsync(answer);
        await filter.CompleteAsync();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static readonly PolicyRequest Request = new()
    {
        SpiffeId = "spiffe://agents.test/agent/reader",
        CertificateFingerprint = "sha256:00",
        Time = DateTimeOffset.UnixEpoch,
        Method = "POST",
        Path = "/mcp",
        Host = "127.0.0.1",
        Scheme = "https",
        ToolId = "github-mcp",
        ToolLabels = new Dictionary<string, string>(),
        Query = string.Empty,
        Headers = new Dictionary<string, string>(),
    };

    private sealed class NamePrefixPolicy(string prefix) : IPolicyDecisionPoint
    {
        public ValueTask<PolicyDecision> DecideAsync(PolicyRequest request, CancellationToken ct) =>
            ValueTask.FromResult(new PolicyDecision { Allowed = request.Mcp?.Name?.StartsWith(prefix, StringComparison.Ordinal) == true });
    }
}
