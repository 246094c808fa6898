using SidecarProxy.Model;
using SidecarProxy.Policy;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Tests.Policy;

public sealed class DecisionDocumentTests
{
    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Boolean_IsTheWholeDecision(string json, bool allowed)
    {
        Assert.True(DecisionDocument.TryParse(RegoJson.Parse(json), out var d, out _));
        Assert.Equal(allowed, d.Allowed);
        Assert.Empty(d.Scopes);
    }

    [Fact]
    public void FullObject_ParsesEveryField()
    {
        var value = RegoJson.Parse("""
            {"allowed": true, "reason": "ok", "credential": {"scopes": ["a", "b"], "ttl_seconds": 120},
             "require_approval": false, "headers": {"x-agent-task": "t-1"},
             "request_headers_to_remove": ["x-debug"], "http_status": 200, "body": "fine", "extra": 1}
            """);
        Assert.True(DecisionDocument.TryParse(value, out var d, out var error), error);
        Assert.True(d.Allowed);
        Assert.Equal("ok", d.Reason);
        Assert.Equal(["a", "b"], d.Scopes);
        Assert.Equal(TimeSpan.FromSeconds(120), d.CredentialTtl);
        Assert.Equal("t-1", d.HeadersToAdd["X-Agent-Task"]);
        Assert.Equal(["x-debug"], d.HeadersToRemove);
        Assert.Equal(200, d.HttpStatus);
        Assert.Equal("fine", d.Body);
    }

    [Theory]
    [InlineData(null, "undefined")]
    [InlineData("1", "not a boolean or an object")]
    [InlineData("\"yes\"", "not a boolean or an object")]
    [InlineData("[true]", "not a boolean or an object")]
    [InlineData("{}", "decision.allowed")]
    [InlineData("{\"allowed\": \"true\"}", "decision.allowed")]
    [InlineData("{\"allowed\": true, \"reason\": 1}", "decision.reason")]
    [InlineData("{\"allowed\": true, \"credential\": []}", "decision.credential must")]
    [InlineData("{\"allowed\": true, \"credential\": {\"scopes\": \"a\"}}", "decision.credential.scopes")]
    [InlineData("{\"allowed\": true, \"credential\": {\"scopes\": [1]}}", "decision.credential.scopes")]
    [InlineData("{\"allowed\": true, \"credential\": {\"ttl_seconds\": \"60\"}}", "ttl_seconds")]
    [InlineData("{\"allowed\": true, \"credential\": {\"ttl_seconds\": 1.5}}", "ttl_seconds")]
    [InlineData("{\"allowed\": true, \"credential\": {\"ttl_seconds\": -1}}", "ttl_seconds")]
    [InlineData("{\"allowed\": true, \"require_approval\": \"no\"}", "require_approval")]
    [InlineData("{\"allowed\": true, \"headers\": [\"a\"]}", "decision.headers")]
    [InlineData("{\"allowed\": true, \"headers\": {\"a\": 1}}", "decision.headers")]
    [InlineData("{\"allowed\": true, \"headers\": {\"bad name\": \"v\"}}", "decision.headers")]
    [InlineData("{\"allowed\": true, \"headers\": {\"x\": \"line\\nbreak\"}}", "decision.headers")]
    [InlineData("{\"allowed\": true, \"request_headers_to_remove\": \"x\"}", "request_headers_to_remove")]
    [InlineData("{\"allowed\": false, \"http_status\": 99}", "http_status")]
    [InlineData("{\"allowed\": false, \"http_status\": \"403\"}", "http_status")]
    [InlineData("{\"allowed\": false, \"body\": {\"a\": 1}}", "decision.body")]
    [InlineData("{\"allowed\": false, \"contain\": true}", "decision.contain must")]
    [InlineData("{\"allowed\": false, \"contain\": {\"scope\": \"fleet\", \"action\": \"revoke\", \"reason\": \"r\"}}", "decision.contain.scope")]
    [InlineData("{\"allowed\": false, \"contain\": {\"action\": \"revoke\", \"reason\": \"r\"}}", "decision.contain.scope")]
    [InlineData("{\"allowed\": false, \"contain\": {\"scope\": \"task\", \"action\": \"ban\", \"reason\": \"r\"}}", "decision.contain.action")]
    [InlineData("{\"allowed\": false, \"contain\": {\"scope\": \"task\", \"action\": \"revoke\"}}", "decision.contain.reason")]
    [InlineData("{\"allowed\": false, \"contain\": {\"scope\": \"task\", \"action\": \"revoke\", \"reason\": \" \"}}", "decision.contain.reason")]
    [InlineData("{\"allowed\": false, \"contain\": {\"scope\": \"task\", \"action\": \"revoke\", \"reason\": 1}}", "decision.contain.reason")]
    [InlineData("{\"allowed\": false, \"contain\": {\"scope\": \"task\", \"action\": \"revoke\", \"reason\": \"r\", \"until\": 1}}", "unknown member")]
    public void WrongShape_IsAnErrorNamingTheField(string? json, string expected)
    {
        var value = json is null ? null : RegoJson.Parse(json);
        Assert.False(DecisionDocument.TryParse(value, out var d, out var error));
        Assert.False(d.Allowed);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task", "quarantine")]
    [InlineData("identity", "revoke")]
    public void Contain_IsParsed(string scope, string action)
    {
        var value = RegoJson.Parse($$$"""{"allowed": false, "contain": {"scope": "{{{scope}}}", "action": "{{{action}}}", "reason": " tried to delete "}}""");
        Assert.True(DecisionDocument.TryParse(value, out var d, out var error), error);
        Assert.Equal(new SidecarProxy.Model.PolicyContainment(scope, action, "tried to delete"), d.Contain);
    }

    [Fact]
    public void NoContain_IsNull()
    {
        Assert.True(DecisionDocument.TryParse(RegoJson.Parse("{\"allowed\": true}"), out var d, out _));
        Assert.Null(d.Contain);
    }

    [Fact]
    public void Error_NeverQuotesTheValue()
    {
        var value = RegoJson.Parse("{\"allowed\": true, \"reason\": {\"canary\": \"s3cr3t-canary\"}}");
        Assert.False(DecisionDocument.TryParse(value, out _, out var error));
        Assert.DoesNotContain("s3cr3t-canary", error, StringComparison.Ordinal);
    }
}
