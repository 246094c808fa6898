using SidecarProxy.TestSupport;
using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;
using SidecarProxy.FunctionalTests.Policy;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>
/// Issue #5 end to end with the shipped policy and the embedded engine: a researcher may write to github only
/// with a task grant (the policy reads <c>input.task</c>); with one, the tool gets a JWT scoped as the policy
/// says (issues:write), for that task, bounded by the provider's MaxTtl.
/// </summary>
public sealed class ShippedPolicyTests
{
    private const string Researcher = "spiffe://agents.example.org/agent/researcher";

    [Fact]
    public async Task GithubWrite_DeniedWithoutTaskAndForwardedWithPolicyScopedJwtWithTask()
    {
        await using var bed = await CredentialBed.StartAsync(trustDomain: "agents.example.org", shippedPolicy: RepositoryPaths.Policies);
        var marker = CredentialBed.Marker();
        using var client = bed.CreateAgentClient(Researcher);
        var path = new Uri($"/tools/github/repos/{marker}/issues", UriKind.Relative);

        using var withoutTask = await client.PostAsync(path, new StringContent("{}"));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}") };
        request.Headers.TryAddWithoutValidation("X-Task-Grant", bed.Orchestrator.Sign(
            Researcher, "t-" + marker, DateTimeOffset.UtcNow.AddMinutes(30), claims: new Dictionary<string, object> { ["tools"] = new[] { "github" } }));
        using var withTask = await client.SendAsync(request);

        var problem = await Problem.ReadAsync(withoutTask);
        Assert.Equal((403, "policy_denied"), (problem.Status, problem.Code));
        Assert.Contains("requires a task grant", problem.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, withTask.StatusCode);
        var forwarded = Assert.Single(bed.UpstreamRequestsFor(marker));
        Assert.Equal("t-" + marker, forwarded.Headers["x-sidecar-task"]);
        var token = new JsonWebToken(forwarded.Headers["authorization"]["Bearer ".Length..]);
        Assert.Equal(Researcher, token.Subject);
        Assert.Equal("t-" + marker, token.GetClaim("task_id").Value);
        Assert.Equal("issues:write", token.GetClaim("scope").Value);
        Assert.InRange(token.ValidTo - token.IssuedAt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
        var audit = Assert.Single(await bed.AuditLinesAsync(2), l => l.GetProperty("decision").GetString() == "allow");
        Assert.Equal("t-" + marker, audit.GetProperty("task_id").GetString());
        Assert.False(string.IsNullOrEmpty(audit.GetProperty("policy_revision").GetString()));
    }
}
