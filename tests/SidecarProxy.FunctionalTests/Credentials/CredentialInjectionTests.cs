using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.Configuration;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using SidecarProxy.Hosting;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>
/// Just-in-time credentials through the real proxy: the agent's own credentials are gone, the tool receives
/// exactly the provider's header, scoped as the decision said; a failing credential source refuses the request.
/// Each test uses its own scope, so the credential cache never answers for another test.
/// </summary>
public sealed class CredentialInjectionTests(CredentialBedFixture fixture) : IClassFixture<CredentialBedFixture>
{
    private CredentialBed Bed => fixture.Bed;

    [Fact]
    public async Task ClientCredentials_UpstreamGetsMintedTokenWithDecisionScopes()
    {
        var marker = CredentialBed.Marker();
        var scope = "issues:write-" + marker;
        Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = [scope], CredentialTtl = TimeSpan.FromSeconds(90) };
        var token = "cc-access-" + marker;
        Bed.Tokens.Given(Request.Create().WithPath(CredentialBed.CcPath).WithBody(b => b != null && b.Contains(marker, StringComparison.Ordinal)).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"access_token\":\"{token}\",\"token_type\":\"Bearer\",\"expires_in\":300}}"));
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/tools/cc/issues/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer agent-own-token");
        request.Headers.TryAddWithoutValidation("Cookie", "session=agent");
        request.Headers.TryAddWithoutValidation("X-Agent-Secret", "configured-strip-header");
        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Bed.UpstreamRequestsFor(marker));
        Assert.Equal("Bearer " + token, forwarded.Headers["authorization"]);
        Assert.False(forwarded.Headers.ContainsKey("cookie"));
        Assert.False(forwarded.Headers.ContainsKey("x-agent-secret"));
        var tokenCall = Assert.Single(Bed.Tokens.LogEntries, e => e.RequestMessage?.Body?.Contains(marker, StringComparison.Ordinal) == true);
        var form = tokenCall.RequestMessage!.Body!;
        Assert.Contains("grant_type=client_credentials", form, StringComparison.Ordinal);
        Assert.Contains("scope=" + Uri.EscapeDataString(scope), form, StringComparison.Ordinal);
        Assert.StartsWith("Basic ", tokenCall.RequestMessage!.Headers!["Authorization"].Single(), StringComparison.Ordinal);
        var asked = Assert.Single(Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.DoesNotContain(asked.Headers.Keys, k => k is "authorization" or "cookie" or "x-agent-secret");
    }

    [Fact]
    public async Task TokenExchange_UpstreamGetsStsTokenAndStsGetsProxyMintedSubjectToken()
    {
        var marker = CredentialBed.Marker();
        var scope = "repo:read-" + marker;
        Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = [scope] };
        var token = "sts-access-" + marker;
        Bed.Tokens.Given(Request.Create().WithPath(CredentialBed.StsPath).WithBody(b => b != null && b.Contains(marker, StringComparison.Ordinal)).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"access_token\":\"{token}\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_token\",\"token_type\":\"Bearer\",\"expires_in\":120}}"));
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/tx/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer agent-own-token");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Bed.UpstreamRequestsFor(marker));
        Assert.Equal("Bearer " + token, forwarded.Headers["authorization"]);
        var stsCall = Assert.Single(Bed.Tokens.LogEntries, e => e.RequestMessage?.Body?.Contains(marker, StringComparison.Ordinal) == true);
        var form = ParseForm(stsCall.RequestMessage!.Body!);
        Assert.Equal("urn:ietf:params:oauth:grant-type:token-exchange", form["grant_type"]);
        Assert.Equal(scope, form["scope"]);
        var subject = new JsonWebToken(form["subject_token"]);
        Assert.Equal(CredentialBed.AgentId, subject.Subject);
        Assert.Equal(CredentialBed.SidecarIssuer, subject.Issuer);
    }

    [Fact]
    public async Task Jwt_UpstreamVerifiesTokenAgainstJwksOnOperationsListener()
    {
        var marker = CredentialBed.Marker();
        var scopes = new[] { "b:write-" + marker, "a:read-" + marker };
        Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = scopes, CredentialTtl = TimeSpan.FromSeconds(60) };
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);
        var grant = Bed.Orchestrator.Sign(CredentialBed.AgentId, "task-" + marker, expires);
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/mint/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Task-Grant", grant);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer agent-own-token");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Bed.UpstreamRequestsFor(marker));
        Assert.False(forwarded.Headers.ContainsKey("x-task-grant"));
        var header = forwarded.Headers["authorization"];
        Assert.StartsWith("Bearer ", header, StringComparison.Ordinal);

        using var operations = new HttpClient { BaseAddress = Bed.Proxy.OperationsUrl };
        var jwks = new JsonWebKeySet(await operations.GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(header["Bearer ".Length..], new TokenValidationParameters
        {
            ValidIssuer = CredentialBed.SidecarIssuer,
            ValidAudience = "mint",
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal(CredentialBed.AgentId, token.Subject);
        Assert.Equal("task-" + marker, token.GetClaim("task_id").Value);
        Assert.Equal(scopes.Order(StringComparer.Ordinal), token.GetClaim("scope").Value.Split(' ').Order(StringComparer.Ordinal));
        Assert.InRange(token.ValidTo - token.IssuedAt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task JwksEndpoint_IsNotServedOnTheAgentListener()
    {
        using var client = Bed.CreateAgentClient();

        using var response = await client.GetAsync(new Uri("/.well-known/jwks.json", UriKind.Relative));

        Assert.Equal(404, (await Problem.ReadAsync(response)).Status);
    }

    [Fact]
    public async Task Static_SetsExactlyTheProviderHeaderAndStripsTheAgentsOwn()
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/key/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Api-Key", "agent-supplied-key");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer agent-own-token");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Bed.UpstreamRequestsFor(marker));
        Assert.Equal(CredentialBed.StaticSecret, forwarded.Headers["x-api-key"]);
        Assert.False(forwarded.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task ToolWithoutProvider_StillLosesEveryProviderHeader()
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = _ => PolicyDecision.Allow();
        using var client = Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/plain/{marker}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Api-Key", "agent-supplied-key");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer agent-own-token");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic YWdlbnQ6c2VjcmV0");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Bed.UpstreamRequestsFor(marker));
        Assert.DoesNotContain(forwarded.Headers.Keys, k => k is "x-api-key" or "authorization" or "proxy-authorization");
    }

    public static TheoryData<string, int, string> TokenEndpointFaults => new()
    {
        { "500", 502, "credential_upstream_rejected" },
        { "garbage", 502, "credential_upstream_invalid" },
        { "slow", 503, "credential_timeout" },
    };

    [Theory]
    [MemberData(nameof(TokenEndpointFaults))]
    public async Task TokenEndpointFault_IsCredentialUnavailableAndNothingForwarded(string fault, int status, string detailCode)
    {
        var marker = CredentialBed.Marker();
        Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = ["fault-" + marker] };
        var answer = fault switch
        {
            "500" => Response.Create().WithStatusCode(500).WithBody("{\"error\":\"server_error\"}"),
            "slow" => Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(4))
                .WithBody("{\"access_token\":\"late\",\"token_type\":\"Bearer\",\"expires_in\":300}"),
            _ => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("<html>not json"),
        };
        Bed.Tokens.Given(Request.Create().WithPath(CredentialBed.CcPath).WithBody(b => b != null && b.Contains(marker, StringComparison.Ordinal)).UsingPost())
            .RespondWith(answer);
        using var client = Bed.CreateAgentClient();

        using var response = await client.GetAsync(new Uri($"/tools/cc/{marker}", UriKind.Relative));

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((status, "credential_unavailable", detailCode), (problem.Status, problem.Code, problem.Body.GetProperty("credential_error").GetString()));
        Assert.Empty(Bed.UpstreamRequestsFor(marker));
    }

    [Fact]
    public async Task CredentialMetrics_CountMissHitAndFailureByProvider()
    {
        var marker = CredentialBed.Marker();
        var metrics = Bed.Proxy.App.Services.GetRequiredService<SidecarMetrics>();
        Bed.Tokens.Given(Request.Create().WithPath(CredentialBed.CcPath).WithBody(b => b != null && b.Contains("ok-" + marker, StringComparison.Ordinal)).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("{\"access_token\":\"metrics-token\",\"token_type\":\"Bearer\",\"expires_in\":300}"));
        Bed.Tokens.Given(Request.Create().WithPath(CredentialBed.CcPath).WithBody(b => b != null && b.Contains("bad-" + marker, StringComparison.Ordinal)).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(500));
        var (miss, hit, failures, observations) = Read(metrics);
        using var client = Bed.CreateAgentClient();

        foreach (var scope in new[] { "ok-", "ok-", "bad-" })
        {
            Bed.Policy.Decide = _ => new PolicyDecision { Allowed = true, Scopes = [scope + marker] };
            using var response = await client.GetAsync(new Uri($"/tools/cc/{marker}", UriKind.Relative));
        }

        var after = Read(metrics);
        Assert.Equal((miss + 1, hit + 1, failures + 1, observations + 3), after);
    }

    private static (double Miss, double Hit, double Failures, long Observations) Read(SidecarMetrics metrics) =>
        (metrics.CredentialsIssued.WithLabels("cc", "miss").Value, metrics.CredentialsIssued.WithLabels("cc", "hit").Value,
         metrics.CredentialFailures.WithLabels("cc").Value, metrics.CredentialIssueDuration.WithLabels("cc").Count);

    [Fact]
    public void UnknownProviderInRoute_StopsStartupNamingRouteAndProvider()
    {
        var settings = TestProxy.BaseSettings();
        using var identity = new TestSupport.IdentityDirectory();
        using var root = TestSupport.TestCa.CreateRoot(CredentialBed.TrustDomain);
        identity.WriteBundle(CredentialBed.TrustDomain, root);
        foreach (var (key, value) in identity.Configuration(CredentialBed.TrustDomain))
        {
            settings[key] = value;
        }

        settings["Sidecar:Credentials:real:Kind"] = "jwt";
        CredentialBed.AddTool(settings, "gh", "nosuch", new Uri("http://127.0.0.1:1/"));

        var error = Assert.Throws<StartupException>(() => TestProxy.Build(settings));

        Assert.Contains(error.Errors, e => e.Contains("route 'gh'", StringComparison.Ordinal)
            && e.Contains("'nosuch'", StringComparison.Ordinal) && e.Contains("real", StringComparison.Ordinal));
    }

    [Fact]
    public void BadCredentialGrantAndAuditSettings_StopStartupListingEveryError()
    {
        var settings = TestProxy.BaseSettings();
        using var identity = new TestSupport.IdentityDirectory();
        using var root = TestSupport.TestCa.CreateRoot(CredentialBed.TrustDomain);
        identity.WriteBundle(CredentialBed.TrustDomain, root);
        foreach (var (key, value) in identity.Configuration(CredentialBed.TrustDomain))
        {
            settings[key] = value;
        }

        settings["Sidecar:Credentials:cc:Kind"] = "oauth2_client_credentials";
        settings["Sidecar:Credentials:odd:Kind"] = "kerberos";
        settings["Sidecar:Audit:Path"] = Path.Combine(Path.GetTempPath(), "no-such-dir-" + CredentialBed.Marker(), "audit.jsonl");

        var error = Assert.Throws<StartupException>(() => TestProxy.Build(settings));

        Assert.Contains(error.Errors, e => e.Contains("Sidecar:Credentials:cc:TokenEndpoint", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("Sidecar:Credentials:odd:Kind", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("Sidecar:Audit:Path", StringComparison.Ordinal));
    }

    private static Dictionary<string, string> ParseForm(string body) =>
        body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(
            p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')), StringComparer.Ordinal);
}
