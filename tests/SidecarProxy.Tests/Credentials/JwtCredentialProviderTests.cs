using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using SidecarProxy.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Credentials;

public sealed class JwtCredentialProviderTests : IDisposable
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CredentialTestHost Host(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Credentials:minted:Kind"] = "jwt",
            ["Sidecar:Credentials:minted:MaxTtl"] = "00:05:00",
            ["Sidecar:Credentials:minted:KeyRotationInterval"] = "00:10:00",
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        return new CredentialTestHost(settings);
    }

    private static CredentialRequest Request(TimeSpan? ttl = null, DateTimeOffset? taskEnd = null, string? task = "t-7f3c") =>
        new(Agent, task, taskEnd, "github", ["repo:read", "issues:write"], ttl);

    private static string Token(IssuedCredential credential)
    {
        Assert.StartsWith("Bearer ", credential.HeaderValue, StringComparison.Ordinal);
        return credential.HeaderValue["Bearer ".Length..];
    }

    [Fact]
    public async Task MintedToken_VerifiesAgainstServedJwksWithExpectedClaims()
    {
        await using var host = Host();
        var now = host.Time.GetUtcNow();

        var credential = await host.Broker.GetAsync("minted", Request(), default);
        var jwt = await JwtAssertions.VerifyAgainstJwksAsync(Token(credential), host.Jwks.Build(), CredentialTestHost.SidecarId, "github", now);

        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal(Agent, jwt.Subject);
        Assert.Equal("t-7f3c", jwt.GetPayloadValue<string>("task_id"));
        Assert.Equal("issues:write repo:read", jwt.GetPayloadValue<string>("scope"));
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.Equal(now.ToUnixTimeSeconds(), jwt.GetPayloadValue<long>("iat"));
        Assert.Equal(now.AddMinutes(5).ToUnixTimeSeconds(), jwt.GetPayloadValue<long>("exp"));
        Assert.Equal(now.AddMinutes(5), credential.ExpiresAt);
        Assert.True(credential.JustInTime);
        Assert.Equal(CredentialKind.Jwt, credential.ProviderKind);
    }

    [Fact]
    public async Task EachTaskAndAgent_GetsItsOwnToken()
    {
        await using var host = Host();

        var a = await host.Broker.GetAsync("minted", Request(), default);
        var again = await host.Broker.GetAsync("minted", Request(), default);
        var otherTask = await host.Broker.GetAsync("minted", Request(task: "t-other"), default);

        Assert.Equal(a.HeaderValue, again.HeaderValue);
        Assert.True(again.CacheHit);
        Assert.NotEqual(a.HeaderValue, otherTask.HeaderValue);
        Assert.Equal("t-other", new JsonWebToken(Token(otherTask)).GetPayloadValue<string>("task_id"));
    }

    [Theory]
    [InlineData(60, null, 60)]
    [InlineData(null, 30, 30)]
    [InlineData(120, 90, 90)]
    [InlineData(3600, null, 300)]
    [InlineData(null, 7200, 300)]
    public async Task Lifetime_IsTightestOfDecisionTaskAndMaxTtl(int? decisionTtlSeconds, int? taskRemainingSeconds, int expectedSeconds)
    {
        await using var host = Host();
        var now = host.Time.GetUtcNow();

        var credential = await host.Broker.GetAsync("minted", Request(
            ttl: decisionTtlSeconds is { } d ? TimeSpan.FromSeconds(d) : null,
            taskEnd: taskRemainingSeconds is { } t ? now.AddSeconds(t) : null), default);

        var jwt = new JsonWebToken(Token(credential));
        Assert.Equal(now.AddSeconds(expectedSeconds).ToUnixTimeSeconds(), jwt.GetPayloadValue<long>("exp"));
        Assert.Equal(now.AddSeconds(expectedSeconds), credential.ExpiresAt);
    }

    [Fact]
    public async Task ExpiredTask_NoCredential()
    {
        await using var host = Host();

        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() =>
            host.Broker.GetAsync("minted", Request(taskEnd: host.Time.GetUtcNow().AddSeconds(-1)), default).AsTask());

        Assert.Equal(503, ex.StatusCode);
    }

    [Fact]
    public async Task KeyRotation_NewKeySignsAndRetiredKeyGoesOnceItsTokensExpired()
    {
        await using var host = Host();
        var first = Token(await host.Broker.GetAsync("minted", Request(), default));
        var firstKid = new JsonWebToken(first).Kid;
        Assert.Equal([firstKid], Kids(host.Jwks.Build()));

        // Past the 10 min rotation interval; the first token expired at 5 min (+1 min grace).
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var second = Token(await host.Broker.GetAsync("minted", Request(task: "t-later"), default));
        var secondKid = new JsonWebToken(second).Kid;

        Assert.NotEqual(firstKid, secondKid);
        var jwks = host.Jwks.Build();
        Assert.Equal([secondKid], Kids(jwks));
        await JwtAssertions.VerifyAgainstJwksAsync(second, jwks, CredentialTestHost.SidecarId, "github", host.Time.GetUtcNow());
    }

    [Fact]
    public async Task RetiredKey_StaysWhileItsTokenIsValid()
    {
        await using var host = Host();
        var first = Token(await host.Broker.GetAsync("minted", Request(), default));
        var firstKid = new JsonWebToken(first).Kid;

        // Rotation due at 10 min; the first token (exp +5 min) is long gone, so mint one just before rotation.
        host.Time.Advance(TimeSpan.FromMinutes(9));
        var late = Token(await host.Broker.GetAsync("minted", Request(task: "t-late"), default));
        Assert.Equal(firstKid, new JsonWebToken(late).Kid);

        host.Time.Advance(TimeSpan.FromMinutes(2));
        var fresh = Token(await host.Broker.GetAsync("minted", Request(task: "t-fresh"), default));
        Assert.NotEqual(firstKid, new JsonWebToken(fresh).Kid);

        // "late" expires at 14 min: its key must still be served at 11 min.
        var jwks = host.Jwks.Build();
        Assert.Contains(firstKid, Kids(jwks));
        await JwtAssertions.VerifyAgainstJwksAsync(late, jwks, CredentialTestHost.SidecarId, "github", host.Time.GetUtcNow());
    }

    [Fact]
    public async Task PemSigningKey_UsedAndPublishedWithStableKid()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = _dir.Write("signing.pem", ecdsa.ExportPkcs8PrivateKeyPem());
        await using var host = Host(new()
        {
            ["Sidecar:Credentials:minted:SigningKeyPath"] = pem,
            ["Sidecar:Credentials:minted:Issuer"] = "https://sidecar.example",
            ["Sidecar:Credentials:minted:Audience"] = "https://api.github.com",
            ["Sidecar:Credentials:minted:Header"] = "X-Tool-Token",
            ["Sidecar:Credentials:minted:Scheme"] = "",
        });

        var credential = await host.Broker.GetAsync("minted", Request(), default);
        Assert.Equal("X-Tool-Token", credential.HeaderName);
        Assert.DoesNotContain(" ", credential.HeaderValue, StringComparison.Ordinal);
        var jwks = host.Jwks.Build();
        var jwt = await JwtAssertions.VerifyAgainstJwksAsync(credential.HeaderValue, jwks, "https://sidecar.example", "https://api.github.com", host.Time.GetUtcNow());

        var key = Assert.Single(JsonDocument.Parse(jwks).RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal(jwt.Kid, key.GetProperty("kid").GetString());
        Assert.False(key.TryGetProperty("d", out _));

        host.Time.Advance(TimeSpan.FromDays(2));
        var later = await host.Broker.GetAsync("minted", Request(task: "t-2"), default);
        Assert.Equal(jwt.Kid, new JsonWebToken(later.HeaderValue).Kid);
    }

    [Fact]
    public async Task Jwks_HasOnlyPublicMembers()
    {
        await using var host = Host();
        await host.Broker.GetAsync("minted", Request(), default);

        foreach (var key in JsonDocument.Parse(host.Jwks.Build()).RootElement.GetProperty("keys").EnumerateArray())
        {
            var members = key.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["alg", "crv", "kid", "kty", "use", "x", "y"], members);
        }
    }

    private static List<string?> Kids(string jwks) =>
        JsonDocument.Parse(jwks).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
}
