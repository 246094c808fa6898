using System.Text;
using SidecarProxy.Audit;
using SidecarProxy.Credentials;
using SidecarProxy.Spiffe;
using SidecarProxy.TaskGrants;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>
/// Known canary secrets go in through every door (secret files, token endpoint replies, error bodies, task
/// grants); the test then searches every log line, exception text and audit line for them. Only the
/// injected header value may hold a token.
/// </summary>
public sealed class CanaryLeakTests : IDisposable
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private const string ClientSecret = "CANARY-client-secret-9f1e";
    private const string StaticSecret = "CANARY-static-secret-7a2b";
    private const string AccessToken = "CANARY-access-token-3c4d";
    private const string StsToken = "CANARY-sts-token-5e6f";

    private readonly TempDirectory _dir = new();
    private readonly TokenEndpointStub _good = new();
    private readonly TokenEndpointStub _bad = new();
    private readonly TokenEndpointStub _sts = new();

    public void Dispose()
    {
        _dir.Dispose();
        _good.Dispose();
        _bad.Dispose();
        _sts.Dispose();
    }

    [Fact]
    public async Task NoCanaryInLogsExceptionsOrAudit_OnlyInInjectedHeader()
    {
        var secretPath = _dir.Write("client-secret", ClientSecret);
        var auditPath = _dir.PathOf("audit.jsonl");
        await using var host = new CredentialTestHost(new()
        {
            ["Sidecar:Credentials:good:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:good:TokenEndpoint"] = _good.TokenEndpoint,
            ["Sidecar:Credentials:good:ClientId"] = "sidecar",
            ["Sidecar:Credentials:good:ClientSecretPath"] = secretPath,
            ["Sidecar:Credentials:bad:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:bad:TokenEndpoint"] = _bad.TokenEndpoint,
            ["Sidecar:Credentials:bad:ClientId"] = "sidecar",
            ["Sidecar:Credentials:bad:ClientSecretPath"] = secretPath,
            ["Sidecar:Credentials:bad:ClientAuthentication"] = "post",
            ["Sidecar:Credentials:sts:Kind"] = "token_exchange",
            ["Sidecar:Credentials:sts:TokenEndpoint"] = _sts.TokenEndpoint,
            ["Sidecar:Credentials:sts:ClientId"] = "sidecar",
            ["Sidecar:Credentials:sts:ClientSecretPath"] = secretPath,
            ["Sidecar:Credentials:legacy:Kind"] = "static",
            ["Sidecar:Credentials:legacy:SecretPath"] = _dir.Write("static-secret", StaticSecret + "\n"),
            ["Sidecar:Credentials:legacy-gone:Kind"] = "static",
            ["Sidecar:Credentials:legacy-gone:SecretPath"] = _dir.Write("gone-secret", StaticSecret),
            ["Sidecar:Credentials:minted:Kind"] = "jwt",
            ["Sidecar:Audit:Path"] = auditPath,
        });
        var audit = (AuditWriter)host.Services.GetService(typeof(AuditWriter))!;
        var exceptions = new List<string>();
        var injected = new List<IssuedCredential>();
        var request = new CredentialRequest(Agent, "t-1", null, "github", ["repo:read"], TimeSpan.FromMinutes(2));
        _good.ReplyToken(AccessToken);
        _sts.ReplyToken(StsToken);

        foreach (var provider in new[] { "good", "sts", "legacy", "minted" })
        {
            var credential = await host.Broker.GetAsync(provider, request, default);
            var again = await host.Broker.GetAsync(provider, request, default);
            Assert.True(again.CacheHit);
            injected.Add(credential);
            audit.TryWrite(Audit(credential, host.Time.GetUtcNow()));
        }

        Assert.Equal("Bearer " + AccessToken, injected[0].HeaderValue);
        Assert.Equal("Bearer " + StsToken, injected[1].HeaderValue);
        Assert.Equal(StaticSecret, injected[2].HeaderValue);

        // Failure paths where the upstream reflects secrets and tokens back at us.
        var hostileBodies = new (int Status, string Body)[]
        {
            (401, $$"""{"error":"invalid_client","error_description":"bad secret {{ClientSecret}}"}"""),
            (400, $$"""{"error":"{{ClientSecret}}"}"""),
            (500, $"upstream exploded holding {AccessToken} and {ClientSecret}"),
            (200, $"garbage {AccessToken} {ClientSecret}"),
            (200, $$"""{"access_token":"{{AccessToken}}\n","expires_in":"{{ClientSecret}}"}"""),
        };
        foreach (var (status, body) in hostileBodies)
        {
            _bad.Reply(status, body);
            exceptions.Add(await FailureText(() => host.Broker.GetAsync("bad", request, default)));
        }

        File.Delete(_dir.PathOf("gone-secret"));
        exceptions.Add(await FailureText(() => host.Broker.GetAsync("legacy-gone", request, default)));
        _sts.Reply(403, $$"""{"error":"access_denied","subject":"{{StsToken}}"}""");
        exceptions.Add(await FailureText(() => host.Broker.GetAsync("sts", request with { TaskId = "t-2" }, default)));
        foreach (var text in exceptions)
        {
            audit.TryWrite(AuditWriterDeny(text, host.Time.GetUtcNow()));
        }

        // A task grant is a bearer secret too: accepted for its agent, rejected for another.
        using var orchestrator = new GrantIssuer();
        await using var grants = new TaskGrantHost(new()
        {
            ["Sidecar:TaskGrants:Issuer"] = GrantIssuer.Issuer,
            ["Sidecar:TaskGrants:JwksPath"] = _dir.Write("jwks.json", GrantIssuer.JwksOf(orchestrator)),
        });
        var grant = orchestrator.Sign(Agent, grants.Time.GetUtcNow());
        Assert.True((await grants.Validator.ValidateAsync(grant, Agent, default)).Succeeded);
        var grantResult = await grants.Validator.ValidateAsync(grant, "spiffe://agents.example.org/agent/thief", default);
        Assert.False(grantResult.Succeeded);

        await audit.DisposeAsync();
        var auditLines = await File.ReadAllLinesAsync(auditPath);
        Assert.Equal(4 + exceptions.Count, auditLines.Length);

        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("sidecar:" + ClientSecret));
        string[] canaries = [ClientSecret, StaticSecret, AccessToken, StsToken, basic, grant, .. injected.Select(c => c.HeaderValue)];
        var haystacks = host.Logs.Lines.Concat(grants.Logs.Lines).Concat(exceptions).Concat(auditLines)
            .Concat(injected.Select(c => c.ToString())).Append(grantResult.ToString()).ToList();
        Assert.Contains(host.Logs.Lines, l => l.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Events, e => e.EventId == 5003);
        foreach (var canary in canaries)
        {
            foreach (var text in haystacks)
            {
                Assert.False(text.Contains(canary, StringComparison.Ordinal), $"leaked into: {text}");
            }
        }

        // Fingerprints are there instead.
        Assert.All(injected, c => Assert.Contains(auditLines, l => l.Contains(c.Fingerprint, StringComparison.Ordinal)));
    }

    private static AuditRecord Audit(IssuedCredential credential, DateTimeOffset now) =>
        new AuditRecord { Time = now, Decision = "allow", SpiffeId = Agent, TaskId = "t-1", Tool = "github", Status = 200 }
            .WithCredential(credential.ToIssue(), ["repo:read"], now);

    private static AuditRecord AuditWriterDeny(string reason, DateTimeOffset now) =>
        new() { Time = now, Decision = "deny", SpiffeId = Agent, Reason = reason, Status = 502 };

    private static async Task<string> FailureText(Func<ValueTask<IssuedCredential>> call)
    {
        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() => call().AsTask());
        return ex.ToString();
    }
}
