using System.Net;
using System.Text.Json;
using SidecarProxy.Model;
using SidecarProxy.Policy;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>One audit line per decision, allowed or denied, with the credential's fingerprint and never the credential.</summary>
public sealed class AuditTrailTests
{
    private static readonly string[] Fields =
    [
        "time", "request_id", "decision_id", "spiffe_id", "task_id", "tool", "method", "path", "decision", "reason",
        "policy_revision", "credential_provider", "credential_fingerprint", "scopes", "ttl_seconds", "cache_hit",
        "latency_ms", "status",
    ];

    [Fact]
    public async Task NRequests_GiveNParseableLinesWithFingerprintNotCredential()
    {
        await using var bed = await CredentialBed.StartAsync();
        var marker = CredentialBed.Marker();
        const string Token = "audit-access-token-4f1c";
        bed.Tokens.Given(Request.Create().WithPath(CredentialBed.CcPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"access_token\":\"{Token}\",\"token_type\":\"Bearer\",\"expires_in\":300}}"));
        bed.Policy.Decide = r => r.Method == "DELETE"
            ? PolicyDecision.Deny("no deletes") with { DecisionId = "d-deny", PolicyRevision = "rev-1" }
            : new PolicyDecision
            {
                Allowed = true, Reason = "ok", Scopes = ["issues:write"], CredentialTtl = TimeSpan.FromSeconds(60),
                DecisionId = "d-" + r.Method, PolicyRevision = "rev-1",
            };
        var grant = bed.Orchestrator.Sign(CredentialBed.AgentId, "task-" + marker, DateTimeOffset.UtcNow.AddMinutes(5));
        using var client = bed.CreateAgentClient();

        var statuses = new List<HttpStatusCode>();
        foreach (var (method, path, withGrant) in new[]
        {
            (HttpMethod.Get, $"/tools/cc/{marker}/1", true),      // allowed, credential fetched
            (HttpMethod.Get, $"/tools/cc/{marker}/2", true),      // allowed, credential from the cache
            (HttpMethod.Delete, $"/tools/cc/{marker}/3", true),   // policy denies
            (HttpMethod.Get, $"/tools/nosuch/{marker}/4", false), // unknown tool, before the policy
            (HttpMethod.Get, $"/tools/cc/{marker}/5", false),     // allowed without a task
        })
        {
            using var request = new HttpRequestMessage(method, new Uri(path + "?secret=query", UriKind.Relative));
            if (withGrant)
            {
                request.Headers.TryAddWithoutValidation("X-Task-Grant", grant);
            }

            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        var lines = await bed.AuditLinesAsync(5);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.NotFound, HttpStatusCode.OK], statuses);
        Assert.Equal(5, lines.Count);
        foreach (var line in lines)
        {
            Assert.All(Fields, f => Assert.True(line.TryGetProperty(f, out _), f));
            Assert.Equal(CredentialBed.AgentId, line.GetProperty("spiffe_id").GetString());
            Assert.DoesNotContain("?", line.GetProperty("path").GetString(), StringComparison.Ordinal);
        }

        var byPath = lines.ToDictionary(l => l.GetProperty("path").GetString()![^1..], l => l);
        var first = byPath["1"];
        Assert.Equal(("allow", "ok", "cc", "task-" + marker, "d-GET", "rev-1", 200),
            (Str(first, "decision"), Str(first, "reason"), Str(first, "credential_provider"), Str(first, "task_id"),
             Str(first, "decision_id"), Str(first, "policy_revision"), first.GetProperty("status").GetInt32()));
        Assert.Matches("^sha256:[0-9a-f]+$", Str(first, "credential_fingerprint"));
        Assert.False(first.GetProperty("cache_hit").GetBoolean());
        Assert.Equal(["issues:write"], first.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        // The token endpoint's own lifetime (expires_in 300): the proxy cannot shorten a token it did not mint,
        // only stop reusing it after the decision's TTL.
        Assert.InRange(first.GetProperty("ttl_seconds").GetDouble(), 1, 300);
        Assert.True(first.GetProperty("latency_ms").GetDouble() >= 0);
        Assert.True(byPath["2"].GetProperty("cache_hit").GetBoolean());
        Assert.Equal(Str(first, "credential_fingerprint"), Str(byPath["2"], "credential_fingerprint"));
        Assert.Equal(("deny", "no deletes", 403, "d-deny"), (Str(byPath["3"], "decision"), Str(byPath["3"], "reason"), byPath["3"].GetProperty("status").GetInt32(), Str(byPath["3"], "decision_id")));
        Assert.Equal(JsonValueKind.Null, byPath["3"].GetProperty("credential_fingerprint").ValueKind);
        Assert.Equal(("deny", "unknown_tool", 404), (Str(byPath["4"], "decision"), Str(byPath["4"], "reason"), byPath["4"].GetProperty("status").GetInt32()));
        Assert.Equal(JsonValueKind.Null, byPath["5"].GetProperty("task_id").ValueKind);

        var text = bed.AuditText();
        Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(grant, text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret=query", text, StringComparison.Ordinal);
    }

    private static string? Str(JsonElement line, string name) => line.GetProperty(name).GetString();
}
