using System.Text;
using SidecarProxy.Mcp;

namespace SidecarProxy.Tests.Mcp;

/// <summary>Regressions found by fuzzing JsonRpcParser (tests/fuzz, target mcp); the wire cases are in McpWireTests.</summary>
public sealed class JsonRpcParserTests
{
    private static int? Rejection(byte[] body)
    {
        var messages = JsonRpcParser.Parse(body, out _, out var code, out var error, out _);
        Assert.True((messages is null) == (error is not null));
        return messages is null ? code : null;
    }

    private static int? Rejection(string body) => Rejection(Encoding.UTF8.GetBytes(body));

    [Theory]
    [InlineData("""{"jsonrpc":"\ud800","id":1,"method":"ping"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":"\udfff","method":"ping"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"\ud83dx"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\uDC00\uD800"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping","params":{"\ud800":1}}""")]
    public void EscapedLoneSurrogate_IsAParseError(string body) =>
        Assert.Equal(JsonRpcErrors.ParseError, Rejection(body));

    // The policy would see one value and a server that reads the first member another: refused, never forwarded.
    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_issues","name":"delete_repository"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"delete_repository"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"repo":"acme/app","repo":"acme/secret"}}}""")]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}]""")]
    public void RepeatedMemberName_IsAParseError(string body) =>
        Assert.Equal(JsonRpcErrors.ParseError, Rejection(body));

    [Fact]
    public void InvalidUtf8InAString_IsAParseError()
    {
        var body = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"tools/XX"}""");
        body[^4] = 0xFF; // never UTF-8
        body[^3] = 0xC3; // a lead byte without its continuation

        Assert.Equal(JsonRpcErrors.ParseError, Rejection(body));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":"\ud83d\ude00","method":"tools/call","params":{"name":"\uD83D\uDE00 party"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\\ud800 is text, not an escape"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"caf\u00e9 \u003c\u003e"}}""")]
    public void EscapedPairsAndOtherEscapes_AreAccepted(string body) =>
        Assert.Null(Rejection(body));

    [Theory]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":1,"method":"tools/list"}]""")]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":1e0,"method":"prompts/list"}]""")]
    [InlineData("""[{"jsonrpc":"2.0","id":0,"method":"tools/list"},{"jsonrpc":"2.0","id":-0.0,"method":"ping"}]""")]
    [InlineData("""[{"jsonrpc":"2.0","id":"a","method":"tools/list"},{"jsonrpc":"2.0","id":"\u0061","method":"ping"}]""")]
    public void BatchWithTwoRequestsOfOneId_IsInvalid(string body) =>
        Assert.Equal(JsonRpcErrors.InvalidRequest, Rejection(body));

    [Theory]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":"1","method":"tools/list"}]""")]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":1,"result":{}}]""")]
    [InlineData("""[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","method":"notifications/initialized"}]""")]
    public void BatchIdsThatDiffer_OrAreNotRequests_AreAccepted(string body) =>
        Assert.Null(Rejection(body));

    [Theory]
    [InlineData("1", "1.0")]
    [InlineData("100", "1e2")]
    [InlineData("0", "-0")]
    [InlineData("\"a\"", "\"\\u0061\"")]
    public void IdKeys_AreEqualForEqualValues(string one, string other)
    {
        using var a = System.Text.Json.JsonDocument.Parse(one);
        using var b = System.Text.Json.JsonDocument.Parse(other);

        Assert.Equal(JsonRpcId.Key(a.RootElement), JsonRpcId.Key(b.RootElement));
        Assert.Equal(JsonRpcId.Key(a.RootElement), JsonRpcId.Key(System.Text.Json.Nodes.JsonNode.Parse(other)));
    }

    [Fact]
    public void IdKeys_OfAStringAndANumber_Differ()
    {
        using var text = System.Text.Json.JsonDocument.Parse("\"1\"");
        using var number = System.Text.Json.JsonDocument.Parse("1");

        Assert.NotEqual(JsonRpcId.Key(text.RootElement), JsonRpcId.Key(number.RootElement));
    }
}
