using System.Net;
using System.Text.Json;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;
using SidecarProxy.Policy;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>
/// Task grants over real mTLS: a valid grant becomes <c>input.task</c> (and never reaches the policy or the tool
/// as a header); every bad one is 401 <c>task_grant_invalid</c> with the finer reason in <c>grant_error</c>.
/// </summary>
public sealed class TaskGrantTests(CredentialBedFixture fixture) : IClassFixture<CredentialBedFixture>
{
    private CredentialBed Bed => fixture.Bed;

    [Fact]
    public async Task ValidGrant_PolicySeesTaskAndGrantIsNotForwarded()
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = r => r.Task is null ? PolicyDecision.Deny("task required") : PolicyDecision.Allow("task " + r.Task.Id);
        var grant = Bed.Orchestrator.Sign(
            CredentialBed.AgentId, "t-" + marker, DateTimeOffset.UtcNow.AddMinutes(10), claims: new Dictionary<string, object> { ["purpose"] = "triage" });
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/tools/plain/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Task-Grant", grant);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var asked = Assert.Single(Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.NotNull(asked.Task);
        Assert.Equal("t-" + marker, asked.Task.Id);
        Assert.Equal(CredentialBed.GrantIssuer, asked.Task.Issuer);
        Assert.Equal("triage", asked.Task.Claims["purpose"].GetString());
        Assert.DoesNotContain("x-task-grant", asked.Headers.Keys);
        var forwarded = Assert.Single(Bed.UpstreamRequestsFor(marker));
        Assert.False(forwarded.Headers.ContainsKey("x-task-grant"));
    }

    [Fact]
    public async Task NoGrantWhenOptional_PolicySeesNullTask()
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = Bed.CreateAgentClient();

        using var response = await client.GetAsync(new Uri($"/tools/plain/{marker}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Assert.Single(Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal)).Task);
    }

    public static TheoryData<string, string> BadGrants => new()
    {
        { "expired", "task_grant_expired" },
        { "wrong-issuer", "task_grant_issuer" },
        { "wrong-signature", "task_grant_signature" },
        { "alg-none", "task_grant_algorithm" },
        { "other-agent", "task_grant_subject" },
        { "garbage", "task_grant_malformed" },
    };

    [Theory]
    [MemberData(nameof(BadGrants))]
    public async Task BadGrant_Is401TaskGrantInvalidAndNothingDecidedOrForwarded(string kind, string grantError)
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = _ => PolicyDecision.Allow();
        var valid = DateTimeOffset.UtcNow.AddMinutes(10);
        using var forger = new GrantSigner(CredentialBed.GrantIssuer, Bed.Orchestrator.KeyId);
        var grant = kind switch
        {
            "expired" => Bed.Orchestrator.Sign(CredentialBed.AgentId, marker, DateTimeOffset.UtcNow.AddMinutes(-5)),
            "wrong-issuer" => Bed.Orchestrator.Sign(CredentialBed.AgentId, marker, valid, issuer: "https://elsewhere.test"),
            "wrong-signature" => forger.Sign(CredentialBed.AgentId, marker, valid),
            "alg-none" => Bed.Orchestrator.Unsigned(CredentialBed.AgentId, marker, valid),
            "other-agent" => Bed.Orchestrator.Sign(CredentialBed.OtherAgentId, marker, valid),
            _ => "not-a-jwt",
        };
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/plain/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Task-Grant", grant);

        using var response = await client.SendAsync(request);

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((401, "task_grant_invalid"), (problem.Status, problem.Code));
        Assert.Equal(grantError, problem.Body.GetProperty("grant_error").GetString());
        Assert.DoesNotContain(grant, problem.Body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Empty(Bed.UpstreamRequestsFor(marker));
    }

    /// <summary>
    /// The audit line of a refused grant says why (grant_error, the problem's code) and, when the grant parsed, which
    /// task it claimed (task_id beside grant_error: unverified); never the grant itself.
    /// </summary>
    [Theory]
    [MemberData(nameof(BadGrants))]
    public async Task BadGrant_AuditLineCarriesGrantErrorAndClaimedTaskId(string kind, string grantError)
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = _ => PolicyDecision.Allow();
        var valid = DateTimeOffset.UtcNow.AddMinutes(10);
        var claimed = "claimed-" + marker;
        using var forger = new GrantSigner(CredentialBed.GrantIssuer, Bed.Orchestrator.KeyId);
        var grant = kind switch
        {
            "expired" => Bed.Orchestrator.Sign(CredentialBed.AgentId, claimed, DateTimeOffset.UtcNow.AddMinutes(-5)),
            "wrong-issuer" => Bed.Orchestrator.Sign(CredentialBed.AgentId, claimed, valid, issuer: "https://elsewhere.test"),
            "wrong-signature" => forger.Sign(CredentialBed.AgentId, claimed, valid),
            "alg-none" => Bed.Orchestrator.Unsigned(CredentialBed.AgentId, claimed, valid),
            "other-agent" => Bed.Orchestrator.Sign(CredentialBed.OtherAgentId, claimed, valid),
            _ => "not-a-jwt",
        };
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/plain/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Task-Grant", grant);

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var line = await AuditLineForAsync(marker);
        Assert.Equal("deny", line.GetProperty("decision").GetString());
        Assert.Equal("task_grant_invalid", line.GetProperty("reason").GetString());
        Assert.Equal(grantError, line.GetProperty("grant_error").GetString());
        Assert.Equal(401, line.GetProperty("status").GetInt32());
        if (kind == "garbage")
        {
            Assert.Equal(JsonValueKind.Null, line.GetProperty("task_id").ValueKind);
        }
        else
        {
            Assert.Equal(claimed, line.GetProperty("task_id").GetString());
        }

        Assert.DoesNotContain(grant, Bed.AuditText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidGrant_AuditLineHasVerifiedTaskIdAndNoGrantError()
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/plain/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Task-Grant", Bed.Orchestrator.Sign(CredentialBed.AgentId, "t-" + marker, DateTimeOffset.UtcNow.AddMinutes(5)));

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = await AuditLineForAsync(marker);
        Assert.Equal("t-" + marker, line.GetProperty("task_id").GetString());
        Assert.Equal(JsonValueKind.Null, line.GetProperty("grant_error").ValueKind);
    }

    private async Task<JsonElement> AuditLineForAsync(string marker)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var lines = await Bed.AuditLinesAsync(0);
            var mine = lines.Where(l => l.GetProperty("path").GetString()?.Contains(marker, StringComparison.Ordinal) == true).ToList();
            if (mine.Count > 0)
            {
                return Assert.Single(mine);
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException("no audit line for " + marker);
    }

    [Fact]
    public async Task MissingGrantWhenRequired_Is401TaskGrantInvalid()
    {
        await using var bed = await CredentialBed.StartAsync(grantsRequired: true);
        var marker = CredentialBed.Marker();
        using var client = bed.CreateAgentClient();

        using var missing = await client.GetAsync(new Uri($"/tools/plain/{marker}", UriKind.Relative));
        using var withGrant = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/plain/{marker}/ok", UriKind.Relative));
        withGrant.Headers.TryAddWithoutValidation("X-Task-Grant", bed.Orchestrator.Sign(CredentialBed.AgentId, marker, DateTimeOffset.UtcNow.AddMinutes(5)));
        using var allowed = await client.SendAsync(withGrant);

        var problem = await Problem.ReadAsync(missing);
        Assert.Equal((401, "task_grant_invalid"), (problem.Status, problem.Code));
        Assert.Equal("task_grant_missing", problem.Body.GetProperty("grant_error").GetString());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Single(bed.UpstreamRequestsFor(marker));
    }

    [Fact]
    public async Task GrantKeysUnavailable_Is503TaskGrantInvalid()
    {
        await using var bed = await CredentialBed.StartAsync(configure: s =>
        {
            s.Remove("Sidecar:TaskGrants:JwksPath");
            s.Remove("Sidecar:TaskGrants:Issuer");
        });
        var marker = CredentialBed.Marker();
        using var client = bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/plain/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Task-Grant", bed.Orchestrator.Sign(CredentialBed.AgentId, marker, DateTimeOffset.UtcNow.AddMinutes(5)));

        using var response = await client.SendAsync(request);

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((503, "task_grant_invalid"), (problem.Status, problem.Code));
        Assert.Empty(bed.UpstreamRequestsFor(marker));
    }
}
