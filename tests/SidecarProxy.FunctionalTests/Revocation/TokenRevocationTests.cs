using System.Net;
using System.Text.Json;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using SidecarProxy.Credentials;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>
/// RFC 7009: a revoke hands the purged tokens of the covered agent or task (and only those) to the issuer's
/// revocation endpoint, in the background, with the provider's client authentication, retrying a 503.
/// </summary>
public sealed class TokenRevocationTests
{
    private const string Victim = "spiffe://agents.test/agent/victim";
    private const string CcRevokePath = "/cc/revoke";
    private const string StsRevokePath = "/sts/revoke";

    private static Task<AdminBed> StartAsync() =>
        AdminBed.StartAsync(configure: settings =>
        {
            var tokenBase = settings["Sidecar:Credentials:cc:TokenEndpoint"]![..^CredentialBed.CcPath.Length];
            settings["Sidecar:Credentials:cc:RevocationEndpoint"] = tokenBase + CcRevokePath;
            settings["Sidecar:Credentials:tx:RevocationEndpoint"] = tokenBase + StsRevokePath;
        });

    // Each agent (or task) gets its own scope from the policy, and the token endpoint a token per scope.
    private static void IssueTokenPerScope(AdminBed bed, string path, params (string Scope, string Token)[] tokens)
    {
        foreach (var (scope, token) in tokens)
        {
            bed.Bed.Tokens.Given(Request.Create().WithPath(path).UsingPost()
                    .WithBody(b => b != null && b.Contains("scope=" + scope, StringComparison.Ordinal)))
                .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                    .WithBody($"{{\"access_token\":\"{token}\",\"token_type\":\"Bearer\",\"expires_in\":300}}"));
        }
    }

    private static void RevocationEndpointAnswers(AdminBed bed, string path, int status) =>
        bed.Bed.Tokens.Given(Request.Create().WithPath(path).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody("{}"));

    private static List<WireMock.IRequestMessage> Calls(AdminBed bed, string path) =>
        [.. bed.Bed.Tokens.LogEntries.Select(e => e.RequestMessage).OfType<WireMock.IRequestMessage>()
            .Where(r => r.Path == path).OrderBy(r => r.DateTime)];

    private static Dictionary<string, string> Form(WireMock.IRequestMessage request) =>
        QueryHelpers.ParseQuery(request.Body ?? string.Empty).ToDictionary(p => p.Key, p => p.Value.ToString());

    // The audit line is written once the outcome is final: after it, the issuer sees no further call.
    private static async Task<List<JsonElement>> TokenAuditAsync(AdminBed bed, int count)
    {
        List<JsonElement> lines = [];
        Assert.True(await Eventually.TrueAsync(() =>
        {
            lines = [.. bed.Bed.AuditText().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .Where(l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString()!.StartsWith("token_", StringComparison.Ordinal))];
            return lines.Count >= count;
        }), "no token revocation audited");
        return lines;
    }

    [Fact]
    public async Task RevokeIdentity_RevokesItsCachedTokenOnce_WithClientAuth_AndNeverAnotherAgentsToken()
    {
        await using var bed = await StartAsync();
        const string victimToken = "cc-victim-token-CANARY-71aa";
        const string otherToken = "cc-other-token-CANARY-82bb";
        bed.Bed.Policy.Decide = r => new PolicyDecision { Allowed = true, Scopes = [r.SpiffeId == Victim ? "victim" : "other"] };
        IssueTokenPerScope(bed, CredentialBed.CcPath, ("victim", victimToken), ("other", otherToken));
        RevocationEndpointAnswers(bed, CcRevokePath, 200);
        using var victim = bed.Bed.CreateAgentClient(Victim);
        using var other = bed.Bed.CreateAgentClient(CredentialBed.OtherAgentId);
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync(new Uri("/tools/cc/a", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(new Uri("/tools/cc/b", UriKind.Relative))).StatusCode);

        var record = await bed.CreateAsync("spiffe_id", Victim);

        var audited = Assert.Single(await TokenAuditAsync(bed, 1));
        var call = Assert.Single(Calls(bed, CcRevokePath));
        var form = Form(call);
        Assert.Equal(victimToken, form["token"]);
        Assert.Equal("access_token", form["token_type_hint"]);
        Assert.True(call.Headers!.TryGetValue("Authorization", out var authorization));
        var basic = Assert.Single(authorization!);
        Assert.StartsWith("Basic ", basic, StringComparison.Ordinal);
        Assert.Equal("sidecar-client:" + CredentialBed.ClientSecret, Encoding.UTF8.GetString(Convert.FromBase64String(basic["Basic ".Length..])));
        Assert.DoesNotContain(bed.Bed.Tokens.LogEntries, e => e.RequestMessage?.Body?.Contains(otherToken, StringComparison.Ordinal) == true
            && e.RequestMessage.Path == CcRevokePath);
        Assert.Equal(1, record.GetProperty("credentials_purged").GetInt32());

        var admin = audited.GetProperty("admin");
        Assert.Equal(("token_revoked", "revoked", 1), (admin.GetProperty("event").GetString(), admin.GetProperty("outcome").GetString(), admin.GetProperty("attempts").GetInt32()));
        Assert.Equal(record.GetProperty("id").GetString(), admin.GetProperty("revocation_id").GetString());
        Assert.Equal((Victim, "cc"), (audited.GetProperty("spiffe_id").GetString(), audited.GetProperty("credential_provider").GetString()));
        Assert.StartsWith("sha256:", audited.GetProperty("credential_fingerprint").GetString(), StringComparison.Ordinal);

        // Nothing secret anywhere but on the wire to the issuer.
        var logs = string.Join('\n', bed.Bed.Logs.Lines);
        foreach (var canary in new[] { victimToken, otherToken, CredentialBed.ClientSecret })
        {
            Assert.DoesNotContain(canary, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(canary, bed.Bed.AuditText(), StringComparison.Ordinal);
        }

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(bed.Bed.Proxy.OperationsUrl, "/metrics"));
        Assert.Contains("sidecar_token_revocations_total{provider=\"cc\",outcome=\"revoked\"} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(victimToken, metrics, StringComparison.Ordinal);

        // The other agent's token is still cached and in use.
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(new Uri("/tools/cc/c", UriKind.Relative))).StatusCode);
        Assert.Equal("Bearer " + otherToken, bed.Bed.Upstream.Requests.Last(r => r.Path.EndsWith("/c", StringComparison.Ordinal)).Headers["authorization"]);
    }

    [Fact]
    public async Task A503IsRetried_ThenTheTokenIsRevoked()
    {
        await using var bed = await StartAsync();
        const string token = "cc-retry-token-CANARY-93cc";
        bed.Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = ["victim"] };
        IssueTokenPerScope(bed, CredentialBed.CcPath, ("victim", token));
        bed.Bed.Tokens.Given(Request.Create().WithPath(CcRevokePath).UsingPost())
            .InScenario("flaky issuer").WillSetStateTo("recovered")
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("{\"error\":\"temporarily_unavailable\"}"));
        bed.Bed.Tokens.Given(Request.Create().WithPath(CcRevokePath).UsingPost())
            .InScenario("flaky issuer").WhenStateIs("recovered")
            .RespondWith(Response.Create().WithStatusCode(200));
        using var victim = bed.Bed.CreateAgentClient(Victim);
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync(new Uri("/tools/cc/a", UriKind.Relative))).StatusCode);

        await bed.CreateAsync("spiffe_id", Victim);

        var admin = Assert.Single(await TokenAuditAsync(bed, 1)).GetProperty("admin");
        Assert.Equal(("revoked", 2), (admin.GetProperty("outcome").GetString(), admin.GetProperty("attempts").GetInt32()));
        var calls = Calls(bed, CcRevokePath);
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal(token, Form(c)["token"]));
    }

    [Fact]
    public async Task AnIssuerThatKeepsFailing_IsTriedABoundedNumberOfTimes_AndCountedAsFailed()
    {
        await using var bed = await StartAsync();
        bed.Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = ["victim"] };
        IssueTokenPerScope(bed, CredentialBed.CcPath, ("victim", "cc-down-token-CANARY-a4dd"));
        RevocationEndpointAnswers(bed, CcRevokePath, 503);
        using var victim = bed.Bed.CreateAgentClient(Victim);
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync(new Uri("/tools/cc/a", UriKind.Relative))).StatusCode);

        await bed.CreateAsync("spiffe_id", Victim);

        var line = Assert.Single(await TokenAuditAsync(bed, 1));
        Assert.Equal(("token_revocation_failed", "failed"), (line.GetProperty("admin").GetProperty("event").GetString(), line.GetProperty("admin").GetProperty("outcome").GetString()));
        Assert.Equal(global::SidecarProxy.Credentials.TokenRevoker.MaxAttempts, Calls(bed, CcRevokePath).Count);
    }

    [Fact]
    public async Task RevokeTask_RevokesOnlyThatTasksTokenExchangeToken()
    {
        await using var bed = await StartAsync();
        var marker = CredentialBed.Marker();
        string task1 = "t1-" + marker, task2 = "t2-" + marker;
        const string token1 = "sts-task1-token-CANARY-b5ee";
        const string token2 = "sts-task2-token-CANARY-c6ff";
        bed.Bed.Policy.Decide = r => new PolicyDecision { Allowed = true, Scopes = [r.Task?.Id == task1 ? "one" : "two"] };
        IssueTokenPerScope(bed, CredentialBed.StsPath, ("one", token1), ("two", token2));
        RevocationEndpointAnswers(bed, StsRevokePath, 200);
        using var client = bed.Bed.CreateAgentClient();
        HttpRequestMessage WithTask(string task) => new(HttpMethod.Get, new Uri("/tools/tx/" + task, UriKind.Relative))
        {
            Headers = { { "X-Task-Grant", bed.Bed.Orchestrator.Sign(CredentialBed.AgentId, task, DateTimeOffset.UtcNow.AddMinutes(30)) } },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithTask(task1))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithTask(task2))).StatusCode);

        await bed.CreateAsync("task", task1);

        var line = Assert.Single(await TokenAuditAsync(bed, 1));
        Assert.Equal(task1, line.GetProperty("task_id").GetString());
        var call = Assert.Single(Calls(bed, StsRevokePath));
        Assert.Equal(token1, Form(call)["token"]);
        Assert.True(call.Headers!.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Quarantine_DoesNotRevokeAtTheIssuer()
    {
        await using var bed = await StartAsync();
        bed.Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = ["victim"] };
        IssueTokenPerScope(bed, CredentialBed.CcPath, ("victim", "cc-quarantine-token-CANARY-d7aa"));
        RevocationEndpointAnswers(bed, CcRevokePath, 200);
        using var victim = bed.Bed.CreateAgentClient(Victim);
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync(new Uri("/tools/cc/a", UriKind.Relative))).StatusCode);

        var record = await bed.CreateAsync("spiffe_id", Victim, action: "quarantine");

        // Then a revoke of the same agent: only the token fetched after the quarantine is revoked.
        Assert.Equal(1, record.GetProperty("credentials_purged").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync(new Uri("/tools/cc/b", UriKind.Relative))).StatusCode);
        await bed.CreateAsync("spiffe_id", Victim);
        Assert.Single(await TokenAuditAsync(bed, 1));
        Assert.Single(Calls(bed, CcRevokePath));
    }
}
