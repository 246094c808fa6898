using SidecarProxy.Model;
using SidecarProxy.Pipeline;
using SidecarProxy.Policy;
using SidecarProxy.Rego.Values;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Tests.Policy;

public sealed class PolicyInputBuilderTests
{
    private static PolicyRequest Fields(string path = "/repos/acme/app/issues", string query = "?x=1&x=2&y=a%20b") => new()
    {
        SpiffeId = "spiffe://agents.example.org/agent/researcher",
        CertificateFingerprint = "sha256:abcd",
        Time = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero),
        Method = "POST",
        Path = path,
        Query = query,
        Host = "api.github.com",
        Scheme = "https",
        Headers = new Dictionary<string, string> { ["content-type"] = "application/json", ["x-multi"] = "a, b" },
        ToolId = "github",
        ToolLabels = new Dictionary<string, string> { ["risk"] = "write" },
    };

    [Fact]
    public void Input_HasTheOpaEnvoyShapePlusTaskToolApproval()
    {
        var input = PolicyInputBuilder.Build(Fields());
        var expected = RegoJson.Parse("""
            {
              "attributes": {
                "source": {"principal": "spiffe://agents.example.org/agent/researcher", "certificate_fingerprint": "sha256:abcd"},
                "request": {"time": "2026-11-25T12:00:00Z",
                            "http": {"method": "POST", "path": "/repos/acme/app/issues?x=1&x=2&y=a%20b", "host": "api.github.com",
                                     "scheme": "https", "headers": {"content-type": "application/json", "x-multi": "a, b"}}}
              },
              "parsed_path": ["repos", "acme", "app", "issues"],
              "parsed_query": {"x": ["1", "2"], "y": ["a b"]},
              "source_principal": "spiffe://agents.example.org/agent/researcher",
              "task": null,
              "tool": {"id": "github", "labels": {"risk": "write"}},
              "approval": null,
              "containment": null
            }
            """);
        Assert.Equal(expected, input);
    }

    [Fact]
    public void Quarantine_IsInputContainment()
    {
        var since = new DateTimeOffset(2026, 11, 25, 11, 0, 0, TimeSpan.Zero);

        var input = PolicyInputBuilder.Build(Fields() with { Containment = new("quarantined", "odd egress", since, "rev_1") });

        Assert.Equal(
            RegoJson.Parse("""{"state": "quarantined", "reason": "odd egress", "since": "2026-11-25T11:00:00Z"}"""),
            input[new RegoString("containment")]);
    }

    [Theory]
    [InlineData(0, "2026-11-25T12:00:00Z")]
    [InlineData(2_500_000, "2026-11-25T12:00:00.25Z")]
    [InlineData(1, "2026-11-25T12:00:00.0000001Z")]
    [InlineData(1_234_500, "2026-11-25T12:00:00.12345Z")]
    public void RequestTime_IsRfc3339Utc_WithoutTrailingZeros(long ticks, string expected)
    {
        // A local offset is converted: the input always carries UTC.
        var time = new DateTimeOffset(2026, 11, 25, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(ticks);
        Assert.Equal(expected, PolicyInputBuilder.Rfc3339(time));
        Assert.Equal(time, DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ToolValue_FollowsTheRoutesLabels_WhenARouteIsReloaded()
    {
        var first = PolicyInputBuilder.Build(Fields() with { ToolId = "reloaded", ToolLabels = new Dictionary<string, string> { ["risk"] = "low" } });
        var again = PolicyInputBuilder.Build(Fields() with { ToolId = "reloaded", ToolLabels = new Dictionary<string, string> { ["risk"] = "high" } });

        Assert.Equal(RegoJson.Parse("{\"id\": \"reloaded\", \"labels\": {\"risk\": \"low\"}}"), first["tool"]);
        Assert.Equal(RegoJson.Parse("{\"id\": \"reloaded\", \"labels\": {\"risk\": \"high\"}}"), again["tool"]);
    }

    [Fact]
    public void Task_AndApproval_AreCarriedAsGiven()
    {
        using var claims = System.Text.Json.JsonDocument.Parse("{\"purpose\": \"triage\"}");
        var task = new TaskContext("t-1", "orchestrator", new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.Zero),
            new Dictionary<string, System.Text.Json.JsonElement> { ["purpose"] = claims.RootElement.GetProperty("purpose").Clone() });
        var input = PolicyInputBuilder.Build(Fields() with { Task = task }, RegoJson.Parse("{\"id\": \"a-1\", \"approved\": true}"));
        Assert.Equal(
            RegoJson.Parse("{\"id\": \"t-1\", \"issuer\": \"orchestrator\", \"expires_at\": \"2026-11-25T13:00:00Z\", \"claims\": {\"purpose\": \"triage\"}}"),
            input["task"]);
        Assert.Equal(RegoBoolean.True, ((RegoObject)input["approval"]!)["approved"]);
    }

    [Theory]
    [InlineData("/", "[]")]
    [InlineData("", "[]")]
    [InlineData("//a///b/", "[\"a\", \"b\"]")]
    [InlineData("/a%2Fb/c%20d", "[\"a/b\", \"c d\"]")]
    public void ParsedPath_DropsEmptySegmentsAndDecodes(string path, string expected)
    {
        Assert.Equal(RegoJson.Parse(expected), PolicyInputBuilder.ParsePath(path));
    }

    [Theory]
    [InlineData("", "{}")]
    [InlineData("?", "{}")]
    [InlineData("?a", "{\"a\": [\"\"]}")]
    [InlineData("?a=1&b=2&a=3", "{\"a\": [\"1\", \"3\"], \"b\": [\"2\"]}")]
    [InlineData("?q=a+b%2Bc", "{\"q\": [\"a b+c\"]}")]
    public void ParsedQuery_GroupsValuesByName(string query, string expected)
    {
        Assert.Equal(RegoJson.Parse(expected), PolicyInputBuilder.ParseQuery(query));
    }
}
