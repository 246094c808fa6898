using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;

namespace SidecarProxy.Tests.Denials;

public sealed class ProblemWriterTests
{
    [Fact]
    public async Task Denial_IsRfc9457ProblemWithStableCode()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        await ProblemWriter.WriteAsync(
            context, DenialCode.PolicyDenied, "no \"quotes\" broken", null,
            new Dictionary<string, string> { ["decision_id"] = "d1" });

        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        Assert.Equal("no-store", context.Response.Headers.CacheControl.ToString());
        context.Response.Body.Position = 0;
        using var json = await JsonDocument.ParseAsync(context.Response.Body);
        var root = json.RootElement;
        Assert.Equal("urn:sidecarproxy:denial:policy_denied", root.GetProperty("type").GetString());
        Assert.Equal("Denied by policy", root.GetProperty("title").GetString());
        Assert.Equal(403, root.GetProperty("status").GetInt32());
        Assert.Equal("no \"quotes\" broken", root.GetProperty("detail").GetString());
        Assert.Equal("policy_denied", root.GetProperty("code").GetString());
        Assert.Equal("d1", root.GetProperty("decision_id").GetString());
        Assert.Equal(context.Response.Body.Length, context.Response.ContentLength);
    }

    [Fact]
    public async Task StatusOverride_IsUsedInHeaderAndBody()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        await ProblemWriter.WriteAsync(context, DenialCode.PolicyDenied, null, 429);

        context.Response.Body.Position = 0;
        using var json = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal(429, json.RootElement.GetProperty("status").GetInt32());
        Assert.False(json.RootElement.TryGetProperty("detail", out _));
    }

    [Fact]
    public void Codes_AreTheClosedDocumentedSetWithUniqueValues()
    {
        string[] expected =
        [
            "svid_missing", "svid_expired", "svid_not_yet_valid", "svid_untrusted", "svid_invalid_spiffe_id",
            "svid_invalid", "unknown_tool", "policy_denied", "policy_unavailable", "task_grant_invalid",
            "credential_unavailable", "revoked", "approval_required", "admin_forbidden", "audit_unavailable", "path_rejected", "framing_rejected",
            "body_too_large", "mcp_invalid_message", "mcp_message_too_large",
            "mcp_session_not_found", "approval_pending",
            "approval_denied", "approval_expired", "approval_used", "approval_mismatch", "approval_cancelled",
            "approval_body_too_large", "approval_unavailable", "revocations_stale", "upstream_unavailable", "upstream_timeout",
        ];

        Assert.Equal(expected, DenialCode.All.Select(c => c.Value));
        Assert.All(DenialCode.All, c => Assert.InRange(c.Status, 400, 599));
        Assert.True(DenialCode.TryParse("revoked", out var revoked));
        Assert.Same(DenialCode.Revoked, revoked);
        Assert.False(DenialCode.TryParse("Revoked", out _));
    }
}

public sealed class ProblemWriterEscapingTests
{
    [Fact]
    public async Task Detail_KeepsApostrophesAndNonAsciiReadable_AndStaysValidJson()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        const string detail = "can't use <tool> & \"quotes\" \\ é\n";

        await ProblemWriter.WriteAsync(context, DenialCode.PolicyDenied, detail);

        var text = System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Contains("can't use <tool> & ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(detail, json.RootElement.GetProperty("detail").GetString());
    }
}
