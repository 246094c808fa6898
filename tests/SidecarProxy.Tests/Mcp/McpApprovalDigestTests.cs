using System.Text;
using System.Text.Json;
using SidecarProxy.Mcp;

namespace SidecarProxy.Tests.Mcp;

public sealed class McpApprovalDigestTests
{
    private const string Agent = "spiffe://agents.test/agent/researcher";

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static string Digest(string arguments, string name = "delete_repository", string? task = "t-1", string agent = Agent) =>
        McpApprovalDigest.Compute(agent, task, "github-mcp", "/mcp", "tools/call", name, Json(arguments));

    [Theory]
    [InlineData("""{"b":1,"a":"x"}""", """{"a":"x","b":1}""")]
    [InlineData("""{ "a" : [1, 2, {"d":true,"c":null}] }""", """{"a":[1,2,{"c":null,"d":true}]}""")]
    [InlineData("""{"a":"\u0041"}""", """{"a":"A"}""")]
    [InlineData("""{"n":1.0}""", """{"n":1}""")]
    [InlineData("""{"n":1e2}""", """{"n":100}""")]
    public void SameValue_SpelledDifferently_SameCanonicalJsonAndDigest(string one, string other)
    {
        Assert.Equal(Encoding.UTF8.GetString(CanonicalJson.Serialize(Json(other))), Encoding.UTF8.GetString(CanonicalJson.Serialize(Json(one))));
        Assert.Equal(Digest(other), Digest(one));
    }

    [Theory]
    [InlineData("""{"repo":"acme/other"}""")]
    [InlineData("""{"repo":"acme/app","force":true}""")]
    [InlineData("""{"repo":["acme/app"]}""")]
    [InlineData("""{"repo":"acme/App"}""")]
    public void AnyOtherArgument_AnotherDigest(string arguments) =>
        Assert.NotEqual(Digest("""{"repo":"acme/app"}"""), Digest(arguments));

    [Fact]
    public void OtherName_Task_OrAgent_AnotherDigest()
    {
        var digest = Digest("""{"repo":"acme/app"}""");
        Assert.NotEqual(digest, Digest("""{"repo":"acme/app"}""", name: "create_issue"));
        Assert.NotEqual(digest, Digest("""{"repo":"acme/app"}""", task: null));
        Assert.NotEqual(digest, Digest("""{"repo":"acme/app"}""", task: ""));
        Assert.NotEqual(digest, Digest("""{"repo":"acme/app"}""", agent: "spiffe://agents.test/agent/reader"));
        Assert.NotEqual(digest, McpApprovalDigest.Compute(Agent, "t-1", "github-mcp", "/mcp", "tools/call", "delete_repository", null));
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
    }
}
