using SidecarProxy.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Credentials;

public sealed class TokenExchangeProviderTests : IDisposable
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private readonly TokenEndpointStub _sts = new();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _sts.Dispose();
        _dir.Dispose();
    }

    private CredentialTestHost Host(bool withClient)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Credentials:sts:Kind"] = "token_exchange",
            ["Sidecar:Credentials:sts:TokenEndpoint"] = _sts.TokenEndpoint,
            ["Sidecar:Credentials:sts:Resource"] = "https://api.example.com/v1",
            ["Sidecar:Credentials:sts:Scopes:0"] = "read",
        };
        if (withClient)
        {
            settings["Sidecar:Credentials:sts:Audience"] = "https://api.example.com";
            settings["Sidecar:Credentials:sts:ClientId"] = "sidecar";
            settings["Sidecar:Credentials:sts:ClientSecretPath"] = _dir.Write("sts-secret", "sts-secret");
        }

        return new CredentialTestHost(settings);
    }

    [Fact]
    public async Task Exchange_PostsRfc8693FormWithProxyMintedSubjectToken()
    {
        await using var host = Host(withClient: true);
        _sts.ReplyToken("downstream-token", expiresIn: 600);
        var now = host.Time.GetUtcNow();

        var credential = await host.Broker.GetAsync("sts", new CredentialRequest(Agent, "t-1", null, "reports", ["write"], null), default);

        Assert.Equal("Bearer downstream-token", credential.HeaderValue);
        Assert.Equal(now.AddSeconds(600), credential.ExpiresAt);
        Assert.Equal(CredentialKind.TokenExchange, credential.ProviderKind);

        var form = Assert.Single(_sts.Forms());
        Assert.Equal("urn:ietf:params:oauth:grant-type:token-exchange", form["grant_type"]);
        Assert.Equal("urn:ietf:params:oauth:token-type:jwt", form["subject_token_type"]);
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", form["requested_token_type"]);
        Assert.Equal("https://api.example.com", form["audience"]);
        Assert.Equal("https://api.example.com/v1", form["resource"]);
        Assert.Equal("read write", form["scope"]);
        Assert.StartsWith("Basic ", _sts.LastAuthorization(), StringComparison.Ordinal);

        // The STS verifies the subject token with the sidecar's JWKS.
        var subject = await JwtAssertions.VerifyAgainstJwksAsync(form["subject_token"], host.Jwks.Build(), CredentialTestHost.SidecarId, _sts.TokenEndpoint, now);
        Assert.Equal(Agent, subject.Subject);
        Assert.Equal("t-1", subject.GetPayloadValue<string>("task_id"));
        Assert.True(subject.ValidTo <= now.AddSeconds(60).UtcDateTime);
    }

    [Fact]
    public async Task NoClientConfigured_AudienceDefaultsToToolAndNoClientAuth()
    {
        await using var host = Host(withClient: false);
        _sts.ReplyToken("dt");

        await host.Broker.GetAsync("sts", new CredentialRequest(Agent, null, null, "reports", [], null), default);

        var form = Assert.Single(_sts.Forms());
        Assert.Equal("reports", form["audience"]);
        Assert.Equal("read", form["scope"]);
        Assert.Null(_sts.LastAuthorization());
    }

    [Fact]
    public async Task StsError_Fails502AndNextCallRetries()
    {
        await using var host = Host(withClient: true);
        _sts.Reply(400, """{"error":"invalid_target"}""");
        var request = new CredentialRequest(Agent, "t-1", null, "reports", ["write"], null);

        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() => host.Broker.GetAsync("sts", request, default).AsTask());
        Assert.Equal(502, ex.StatusCode);

        _sts.ReplyToken("dt");
        Assert.False((await host.Broker.GetAsync("sts", request, default)).CacheHit);
        Assert.Equal(2, _sts.Calls);
    }
}
