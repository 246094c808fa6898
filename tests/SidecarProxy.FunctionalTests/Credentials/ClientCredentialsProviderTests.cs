using System.Text;
using SidecarProxy.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Credentials;

public sealed class ClientCredentialsProviderTests : IDisposable
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private const string Secret = "s3cret value+&=";

    private readonly TokenEndpointStub _stub = new();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _stub.Dispose();
        _dir.Dispose();
    }

    private CredentialTestHost Host(string clientAuthentication = "basic", string timeout = "00:00:05")
    {
        var secretPath = _dir.Write("client-secret", Secret + "\n");
        return new CredentialTestHost(new()
        {
            ["Sidecar:Credentials:github:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:github:TokenEndpoint"] = _stub.TokenEndpoint,
            ["Sidecar:Credentials:github:ClientId"] = "sidecar client",
            ["Sidecar:Credentials:github:ClientSecretPath"] = secretPath,
            ["Sidecar:Credentials:github:Scopes:0"] = "audit",
            ["Sidecar:Credentials:github:ClientAuthentication"] = clientAuthentication,
            ["Sidecar:Credentials:github:Timeout"] = timeout,
        });
    }

    private static CredentialRequest Request(
        string agent = Agent, string? task = "t-1", string tool = "github", string[]? scopes = null, TimeSpan? ttl = null, DateTimeOffset? taskEnd = null) =>
        new(agent, task, taskEnd, tool, scopes ?? ["issues:write", "repo:read"], ttl);

    [Fact]
    public async Task HappyPath_PostsClientCredentialsGrantWithDecisionScopesAndBasicAuth()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-1", expiresIn: 120);

        var credential = await host.Broker.GetAsync("github", Request(scopes: ["repo:read", "issues:write", "repo:read"]), default);

        Assert.Equal("Authorization", credential.HeaderName);
        Assert.Equal("Bearer tok-1", credential.HeaderValue);
        Assert.Equal(host.Time.GetUtcNow().AddSeconds(120), credential.ExpiresAt);
        Assert.Equal(CredentialFingerprint.Of("Bearer tok-1"), credential.Fingerprint);
        Assert.StartsWith("sha256:", credential.Fingerprint, StringComparison.Ordinal);
        Assert.True(credential.JustInTime);
        Assert.False(credential.CacheHit);
        Assert.Equal(CredentialKind.OAuth2ClientCredentials, credential.ProviderKind);
        Assert.Equal("github", credential.ProviderName);

        var form = Assert.Single(_stub.Forms());
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal("audit issues:write repo:read", form["scope"]);
        Assert.False(form.ContainsKey("client_secret"));

        // RFC 6749 2.3.1: each part form-urlencoded, then base64 of "id:secret".
        var basic = _stub.LastAuthorization();
        Assert.NotNull(basic);
        Assert.StartsWith("Basic ", basic, StringComparison.Ordinal);
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(basic["Basic ".Length..]));
        Assert.Equal("sidecar+client:s3cret+value%2B%26%3D", decoded);
    }

    [Fact]
    public async Task PostClientAuthentication_SendsIdAndSecretInForm()
    {
        await using var host = Host(clientAuthentication: "post");
        _stub.ReplyToken("tok-post");

        await host.Broker.GetAsync("github", Request(), default);

        var form = Assert.Single(_stub.Forms());
        Assert.Equal("sidecar client", form["client_id"]);
        Assert.Equal(Secret, form["client_secret"]);
        Assert.Null(_stub.LastAuthorization());
    }

    [Fact]
    public async Task ExpiresIn_CachedUntilSkewBeforeExpiryThenRefetched()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-a", expiresIn: 100);

        var first = await host.Broker.GetAsync("github", Request(), default);
        host.Time.Advance(TimeSpan.FromSeconds(89));
        var second = await host.Broker.GetAsync("github", Request(), default);

        Assert.False(first.CacheHit);
        Assert.True(second.CacheHit);
        Assert.Equal(first.HeaderValue, second.HeaderValue);
        Assert.Equal(1, _stub.Calls);

        // 10% of 100 s: the entry is retired at 90 s, before the token itself expires.
        _stub.ReplyToken("tok-b", expiresIn: 100);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var third = await host.Broker.GetAsync("github", Request(), default);

        Assert.False(third.CacheHit);
        Assert.Equal("Bearer tok-b", third.HeaderValue);
        Assert.Equal(2, _stub.Calls);
    }

    [Fact]
    public async Task NoExpiresIn_MaxTtlAssumed()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-noexp", expiresIn: null);

        var credential = await host.Broker.GetAsync("github", Request(), default);

        Assert.Equal(host.Time.GetUtcNow() + TimeSpan.FromMinutes(5), credential.ExpiresAt);
    }

    [Fact]
    public async Task ShorterDecisionTtl_DoesNotReuseEntryBoundToLongerLifetime()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-long", expiresIn: 3600);
        await host.Broker.GetAsync("github", Request(ttl: TimeSpan.FromMinutes(5)), default);

        _stub.ReplyToken("tok-short", expiresIn: 3600);
        var shorter = await host.Broker.GetAsync("github", Request(ttl: TimeSpan.FromSeconds(30)), default);

        Assert.False(shorter.CacheHit);
        Assert.Equal("Bearer tok-short", shorter.HeaderValue);
        Assert.Equal(2, _stub.Calls);
    }

    [Fact]
    public async Task DecisionTtl_BoundsCacheLifetime()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-1", expiresIn: 3600);
        await host.Broker.GetAsync("github", Request(ttl: TimeSpan.FromSeconds(60)), default);

        host.Time.Advance(TimeSpan.FromSeconds(55));
        _stub.ReplyToken("tok-2", expiresIn: 3600);
        var again = await host.Broker.GetAsync("github", Request(ttl: TimeSpan.FromSeconds(60)), default);

        Assert.False(again.CacheHit);
        Assert.Equal(2, _stub.Calls);
    }

    [Fact]
    public async Task DifferentAgentTaskToolOrScopes_NeverShareAnEntry()
    {
        await using var host = Host();
        _stub.ReplyToken("tok");

        await host.Broker.GetAsync("github", Request(), default);
        await host.Broker.GetAsync("github", Request(agent: "spiffe://agents.example.org/agent/other"), default);
        await host.Broker.GetAsync("github", Request(task: "t-2"), default);
        await host.Broker.GetAsync("github", Request(task: null), default);
        await host.Broker.GetAsync("github", Request(tool: "gitlab"), default);
        await host.Broker.GetAsync("github", Request(scopes: ["repo:read"]), default);
        var sameScopesOtherOrder = await host.Broker.GetAsync("github", Request(scopes: ["repo:read", "issues:write"]), default);

        Assert.Equal(6, _stub.Calls);
        Assert.True(sameScopesOtherOrder.CacheHit);
    }

    [Fact]
    public async Task DropIdentityAndDropTask_ForceRefetch()
    {
        await using var host = Host();
        _stub.ReplyToken("tok");
        await host.Broker.GetAsync("github", Request(), default);
        await host.Broker.GetAsync("github", Request(task: "t-2"), default);

        Assert.Equal(1, host.Broker.DropTask("t-1"));
        Assert.False((await host.Broker.GetAsync("github", Request(), default)).CacheHit);
        Assert.True((await host.Broker.GetAsync("github", Request(task: "t-2"), default)).CacheHit);

        Assert.Equal(2, host.Broker.DropIdentity(Agent));
        Assert.False((await host.Broker.GetAsync("github", Request(task: "t-2"), default)).CacheHit);
        Assert.Equal(4, _stub.Calls);
    }

    public static TheoryData<int, string, int, string> FailingReplies => new()
    {
        { 400, """{"error":"invalid_scope"}""", 502, "credential_upstream_rejected" },
        { 401, """{"error":"invalid_client"}""", 502, "credential_upstream_rejected" },
        { 500, "internal error", 502, "credential_upstream_rejected" },
        { 302, "", 502, "credential_upstream_rejected" },
        { 200, "this is not json", 502, "credential_upstream_invalid" },
        { 200, """{"token_type":"Bearer"}""", 502, "credential_upstream_invalid" },
        { 200, """{"access_token":""}""", 502, "credential_upstream_invalid" },
        { 200, """{"access_token":"a\r\nX-Evil: 1"}""", 502, "credential_upstream_invalid" },
        { 200, """{"access_token":"tok","expires_in":-5}""", 502, "credential_upstream_invalid" },
        { 200, """["access_token"]""", 502, "credential_upstream_invalid" },
    };

    [Theory]
    [MemberData(nameof(FailingReplies))]
    public async Task BadReply_FailsWithStatusHintAndIsNotCached(int status, string body, int expectedStatus, string expectedCode)
    {
        await using var host = Host();
        _stub.Reply(status, body);

        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() => host.Broker.GetAsync("github", Request(), default).AsTask());

        Assert.Equal(expectedStatus, ex.StatusCode);
        Assert.Equal(expectedCode, ex.Code);
        if (body.Length > 0)
        {
            Assert.DoesNotContain(body, ex.ToString(), StringComparison.Ordinal);
        }

        _stub.ReplyToken("tok-after");
        var recovered = await host.Broker.GetAsync("github", Request(), default);
        Assert.False(recovered.CacheHit);
        Assert.Equal("Bearer tok-after", recovered.HeaderValue);
        Assert.Equal(2, _stub.Calls);
    }

    [Fact]
    public async Task SlowEndpoint_TimesOutWith503AndIsNotCached()
    {
        await using var host = Host(timeout: "00:00:00.200");
        _stub.ReplyToken("tok-slow", delay: TimeSpan.FromSeconds(3));

        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() => host.Broker.GetAsync("github", Request(), default).AsTask());

        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(CredentialFailure.Timeout, ex.Failure);
        _stub.ReplyToken("tok-fast");
        Assert.Equal("Bearer tok-fast", (await host.Broker.GetAsync("github", Request(), default)).HeaderValue);
    }

    [Fact]
    public async Task UnreachableEndpoint_FailsWith503()
    {
        await using var host = Host();
        _stub.Server.Stop();

        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() => host.Broker.GetAsync("github", Request(), default).AsTask());

        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(CredentialFailure.Unreachable, ex.Failure);
    }

    [Fact]
    public async Task BurstOf200FirstRequests_MakesExactlyOneTokenCall()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-burst", delay: TimeSpan.FromMilliseconds(300));

        var calls = Enumerable.Range(0, 200)
            .Select(_ => Task.Run(() => host.Broker.GetAsync("github", Request(), default).AsTask()))
            .ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(1, _stub.Calls);
        Assert.All(results, r => Assert.Equal("Bearer tok-burst", r.HeaderValue));
        Assert.Single(results, r => !r.CacheHit);
    }

    [Fact]
    public async Task BurstAfterExpiry_MakesExactlyOneMoreCall()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-1", expiresIn: 60);
        await host.Broker.GetAsync("github", Request(), default);
        host.Time.Advance(TimeSpan.FromSeconds(61));
        _stub.ReplyToken("tok-2", expiresIn: 60, delay: TimeSpan.FromMilliseconds(300));

        var results = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(_ => Task.Run(() => host.Broker.GetAsync("github", Request(), default).AsTask())));

        Assert.Equal(2, _stub.Calls);
        Assert.All(results, r => Assert.Equal("Bearer tok-2", r.HeaderValue));
    }

    [Fact]
    public async Task CallerCancellation_DoesNotFailOtherWaiters()
    {
        await using var host = Host();
        _stub.ReplyToken("tok-c", delay: TimeSpan.FromMilliseconds(300));
        using var cts = new CancellationTokenSource();

        var cancelled = host.Broker.GetAsync("github", Request(), cts.Token).AsTask();
        var other = host.Broker.GetAsync("github", Request(), default).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal("Bearer tok-c", (await other).HeaderValue);
        Assert.Equal(1, _stub.Calls);
    }

    [Fact]
    public async Task UnknownProvider_FailsWith503()
    {
        await using var host = Host();

        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() => host.Broker.GetAsync("nope", Request(), default).AsTask());

        Assert.Equal(503, ex.StatusCode);
        Assert.Equal("credential_provider_unknown", ex.Code);
        Assert.False(host.Broker.HasProvider("nope"));
        Assert.True(host.Broker.HasProvider("GitHub"));
    }

    [Fact]
    public async Task RotatedSecretFile_IsUsedOnNextFetch()
    {
        await using var host = Host(clientAuthentication: "post");
        _stub.ReplyToken("tok");
        await host.Broker.GetAsync("github", Request(), default);

        _dir.Write("client-secret", "rotated");
        await host.Broker.GetAsync("github", Request(task: "t-9"), default);

        Assert.Equal("rotated", _stub.Forms()[^1]["client_secret"]);
    }
}
