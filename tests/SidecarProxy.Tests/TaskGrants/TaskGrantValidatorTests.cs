using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Primitives;
using SidecarProxy.TaskGrants;
using SidecarProxy.Tests.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.TaskGrants;

public sealed class TaskGrantValidatorTests : IDisposable
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private readonly TempDirectory _dir = new();
    private readonly GrantIssuer _orchestrator = new();

    public void Dispose()
    {
        _dir.Dispose();
        _orchestrator.Dispose();
    }

    private TaskGrantHost Host(bool required = false, string jwks = "", string? audience = null)
    {
        var path = _dir.Write("grants.jwks.json", jwks.Length > 0 ? jwks : GrantIssuer.JwksOf(_orchestrator));
        return new TaskGrantHost(new()
        {
            ["Sidecar:TaskGrants:Issuer"] = GrantIssuer.Issuer,
            ["Sidecar:TaskGrants:JwksPath"] = path,
            ["Sidecar:TaskGrants:Required"] = required ? "true" : "false",
            ["Sidecar:TaskGrants:Audience"] = audience,
        });
    }

    [Theory]
    [InlineData(SecurityAlgorithms.EcdsaSha256)]
    [InlineData(SecurityAlgorithms.EcdsaSha384)]
    [InlineData(SecurityAlgorithms.EcdsaSha512)]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    [InlineData(SecurityAlgorithms.RsaSha512)]
    [InlineData(SecurityAlgorithms.RsaSsaPssSha256)]
    public async Task ValidGrant_GivesTaskContext(string algorithm)
    {
        using var issuer = new GrantIssuer(algorithm);
        await using var host = Host(jwks: GrantIssuer.JwksOf(issuer));
        var now = host.Time.GetUtcNow();
        var grant = issuer.Sign(Agent, now, claims: new Dictionary<string, object> { ["purpose"] = "triage", ["tools"] = new[] { "github" } });

        var result = await host.Validator.ValidateAsync(grant, Agent, default);

        Assert.True(result.Succeeded, result.Reason);
        var task = result.Task!;
        Assert.Equal("t-7f3c", task.Id);
        Assert.Equal(GrantIssuer.Issuer, task.Issuer);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds((now + TimeSpan.FromMinutes(10)).ToUnixTimeSeconds()), task.ExpiresAt);
        Assert.Equal("triage", task.Claims["purpose"].GetString());
        Assert.Equal("github", task.Claims["tools"][0].GetString());
        Assert.False(task.Claims.ContainsKey("sub"));
        Assert.False(task.Claims.ContainsKey("exp"));
    }

    [Fact]
    public async Task TaskIdClaimAbsent_JtiIsTheTaskId()
    {
        await using var host = Host();
        var grant = _orchestrator.Sign(Agent, host.Time.GetUtcNow(), taskId: null, jti: "jti-42");

        var result = await host.Validator.ValidateAsync(grant, Agent, default);

        Assert.Equal("jti-42", result.Task?.Id);
        Assert.Equal("jti-42", result.Task!.Claims["jti"].GetString());
    }

    [Fact]
    public async Task RejectedGrant_ClaimedTaskIdIsKeptOnlyWhenItLooksLikeAnId()
    {
        await using var host = Host();
        var now = host.Time.GetUtcNow();

        var expired = await host.Validator.ValidateAsync(_orchestrator.Sign(Agent, now - TimeSpan.FromHours(1)), Agent, default);
        var otherAgent = await host.Validator.ValidateAsync(_orchestrator.Sign(Agent, now, jti: "j-1", taskId: null), "spiffe://agents.example.org/agent/other", default);
        var tooLong = await host.Validator.ValidateAsync(
            _orchestrator.Sign(Agent, now - TimeSpan.FromHours(1), taskId: new string('x', TaskGrantValidator.MaxClaimedTaskIdLength + 1)), Agent, default);
        var control = await host.Validator.ValidateAsync(_orchestrator.Sign(Agent, now - TimeSpan.FromHours(1), taskId: "t\nforged line"), Agent, default);
        var garbage = await host.Validator.ValidateAsync("not-a-jwt", Agent, default);

        Assert.Equal((TaskGrantFailure.Expired, "t-7f3c"), (expired.Failure, expired.ClaimedTaskId));
        Assert.Null(expired.Task);
        Assert.Equal((TaskGrantFailure.SubjectMismatch, "j-1"), (otherAgent.Failure, otherAgent.ClaimedTaskId));
        Assert.Equal((TaskGrantFailure.Expired, null), (tooLong.Failure, tooLong.ClaimedTaskId));
        Assert.Equal((TaskGrantFailure.Expired, null), (control.Failure, control.ClaimedTaskId));
        Assert.Equal((TaskGrantFailure.Malformed, null), (garbage.Failure, garbage.ClaimedTaskId));
    }

    public static TheoryData<string, string, string> Rejections => new()
    {
        { "expired", nameof(TaskGrantFailure.Expired), "expired" },
        { "wrong-issuer", nameof(TaskGrantFailure.WrongIssuer), "wrong issuer" },
        { "wrong-signature", nameof(TaskGrantFailure.BadSignature), "bad signature" },
        { "unknown-key", nameof(TaskGrantFailure.BadSignature), "bad signature" },
        { "alg-none", nameof(TaskGrantFailure.AlgorithmNotAllowed), "algorithm not allowed" },
        { "hs256-public-key", nameof(TaskGrantFailure.AlgorithmNotAllowed), "algorithm not allowed" },
        { "other-agent", nameof(TaskGrantFailure.SubjectMismatch), "subject does not match the agent's SPIFFE ID" },
        { "not-yet-valid", nameof(TaskGrantFailure.NotYetValid), "not yet valid" },
        { "no-task-id", nameof(TaskGrantFailure.NoTaskId), "no task id" },
        { "no-exp", nameof(TaskGrantFailure.Malformed), "malformed" },
        { "garbage", nameof(TaskGrantFailure.Malformed), "malformed" },
        { "tampered-payload", nameof(TaskGrantFailure.BadSignature), "bad signature" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task BadGrant_RejectedWithExactReason(string scenario, string failure, string reason)
    {
        await using var host = Host();
        var now = host.Time.GetUtcNow();
        var grant = scenario switch
        {
            "expired" => _orchestrator.Sign(Agent, now - TimeSpan.FromMinutes(20), lifetime: TimeSpan.FromMinutes(10)),
            "wrong-issuer" => _orchestrator.Sign(Agent, now, issuer: "https://evil.example"),
            "wrong-signature" => Forge(now, _orchestrator.KeyId),
            "unknown-key" => Forge(now, "attacker-kid"),
            "alg-none" => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = GrantIssuer.Issuer,
                Expires = (now + TimeSpan.FromMinutes(5)).UtcDateTime,
                Claims = new Dictionary<string, object> { ["sub"] = Agent, ["task_id"] = "t" },
            }),
            "hs256-public-key" => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = GrantIssuer.Issuer,
                Expires = (now + TimeSpan.FromMinutes(5)).UtcDateTime,
                Claims = new Dictionary<string, object> { ["sub"] = Agent, ["task_id"] = "t" },
                SigningCredentials = new SigningCredentials(
                    new SymmetricSecurityKey(_orchestrator.PublicKeyBytes) { KeyId = _orchestrator.KeyId }, SecurityAlgorithms.HmacSha256),
            }),
            "other-agent" => _orchestrator.Sign("spiffe://agents.example.org/agent/other", now),
            "not-yet-valid" => _orchestrator.Sign(Agent, now, notBefore: now + TimeSpan.FromMinutes(2), lifetime: TimeSpan.FromMinutes(10)),
            "no-task-id" => _orchestrator.Sign(Agent, now, taskId: null),
            "no-exp" => _orchestrator.Sign(Agent, now, includeExpiry: false),
            "garbage" => "not.a.jwt",
            "tampered-payload" => Tamper(_orchestrator.Sign(Agent, now)),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var result = await host.Validator.ValidateAsync(grant, Agent, default);

        Assert.False(result.Succeeded);
        Assert.Equal(failure, result.Failure.ToString());
        Assert.Equal(reason, result.Reason);
        Assert.Equal(401, result.StatusCode);
        Assert.Null(result.Task);
        Assert.DoesNotContain(grant, result.ToString(), StringComparison.Ordinal);
        Assert.All(host.Logs.Lines, l => Assert.DoesNotContain(grant, l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExpiredWithinClockSkew_StillAccepted()
    {
        await using var host = Host();
        var now = host.Time.GetUtcNow();
        var grant = _orchestrator.Sign(Agent, now - TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(20), lifetime: TimeSpan.FromMinutes(10));

        Assert.True((await host.Validator.ValidateAsync(grant, Agent, default)).Succeeded);
        host.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(TaskGrantFailure.Expired, (await host.Validator.ValidateAsync(grant, Agent, default)).Failure);
    }

    [Fact]
    public async Task Audience_CheckedWhenConfigured()
    {
        await using var host = Host(audience: "sidecar");
        var now = host.Time.GetUtcNow();
        var without = _orchestrator.Sign(Agent, now);
        var with = _orchestrator.Sign(Agent, now, claims: new Dictionary<string, object> { ["aud"] = "sidecar" });

        Assert.Equal(TaskGrantFailure.WrongAudience, (await host.Validator.ValidateAsync(without, Agent, default)).Failure);
        Assert.True((await host.Validator.ValidateAsync(with, Agent, default)).Succeeded);
    }

    [Fact]
    public async Task NoGrant_MissingWhenRequiredElseNone()
    {
        await using var required = Host(required: true);
        await using var optional = Host(required: false);

        var missing = await required.Validator.ValidateAsync((string?)null, Agent, default);
        var none = await optional.Validator.ValidateAsync(StringValues.Empty, Agent, default);

        Assert.Equal(TaskGrantFailure.Missing, missing.Failure);
        Assert.Equal("missing", missing.Reason);
        Assert.Equal("task_grant_missing", missing.Code);
        Assert.Equal(401, missing.StatusCode);
        Assert.True(none.Succeeded);
        Assert.Null(none.Task);
    }

    [Fact]
    public async Task TwoGrantHeaders_Malformed()
    {
        await using var host = Host();
        var grant = _orchestrator.Sign(Agent, host.Time.GetUtcNow());

        var result = await host.Validator.ValidateAsync(new StringValues([grant, grant]), Agent, default);

        Assert.Equal(TaskGrantFailure.Malformed, result.Failure);
    }

    // Found by fuzzing (tests/fuzz, target taskgrant): a five-segment (JWE-shaped) token whose header decodes but whose
    // other segments are not base64url made the JWT library throw FormatException, which escaped the validator.
    [Theory]
    [InlineData("eyJhbGciOiJuIn0.a.b.c.d")]
    [InlineData("eyJhbGciOiJuIn0.a!.b.c.d")]
    [InlineData("eyJhbGciOiJuIn0.YQ.Yg.Yw.d\u0010")]
    public async Task JweShapedGrantWithUndecodableSegments_MalformedNotThrown(string grant)
    {
        await using var host = Host();

        var result = await host.Validator.ValidateAsync(grant, Agent, default);

        Assert.Equal(TaskGrantFailure.Malformed, result.Failure);
        Assert.Equal(401, result.StatusCode);
    }

    [Fact]
    public async Task NoKeysConfigured_GrantFailsClosedWith503()
    {
        await using var host = new TaskGrantHost([]);
        var grant = _orchestrator.Sign(Agent, host.Time.GetUtcNow());

        var result = await host.Validator.ValidateAsync(grant, Agent, default);

        Assert.Equal(TaskGrantFailure.KeysUnavailable, result.Failure);
        Assert.Equal(503, result.StatusCode);
    }

    [Fact]
    public async Task JwksFileChanged_NewKeysUsedOldKeysDropped()
    {
        await using var host = Host();
        using var rotated = new GrantIssuer();
        var now = host.Time.GetUtcNow();
        var oldGrant = _orchestrator.Sign(Agent, now);
        var newGrant = rotated.Sign(Agent, now);
        Assert.True((await host.Validator.ValidateAsync(oldGrant, Agent, default)).Succeeded);
        Assert.False((await host.Validator.ValidateAsync(newGrant, Agent, default)).Succeeded);

        _dir.Write("grants.jwks.json", GrantIssuer.JwksOf(rotated));

        Assert.True((await host.Validator.ValidateAsync(newGrant, Agent, default)).Succeeded);
        Assert.Equal(TaskGrantFailure.BadSignature, (await host.Validator.ValidateAsync(oldGrant, Agent, default)).Failure);
    }

    [Fact]
    public async Task JwksFileBroken_LastGoodKeysKept()
    {
        await using var host = Host();
        var grant = _orchestrator.Sign(Agent, host.Time.GetUtcNow());
        Assert.True((await host.Validator.ValidateAsync(grant, Agent, default)).Succeeded);

        _dir.Write("grants.jwks.json", "{ not json");

        Assert.True((await host.Validator.ValidateAsync(grant, Agent, default)).Succeeded);
        Assert.Contains(host.Logs.Events, e => e.EventId == 5104);
    }

    [Fact]
    public async Task SymmetricKeyInJwks_Ignored()
    {
        var jwks = """{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA","kid":"k1","alg":"HS256"}]}""";
        await using var host = Host(jwks: jwks);
        var grant = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GrantIssuer.Issuer,
            Expires = (host.Time.GetUtcNow() + TimeSpan.FromMinutes(5)).UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = Agent, ["task_id"] = "t" },
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes("secret-secret-secret-secret-secret")) { KeyId = "k1" }, SecurityAlgorithms.HmacSha256),
        });

        var result = await host.Validator.ValidateAsync(grant, Agent, default);

        Assert.False(result.Succeeded);
    }

    private static string Forge(DateTimeOffset now, string kid)
    {
        using var attacker = new GrantIssuer(kid: kid);
        return attacker.Sign(Agent, now);
    }

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("t-7f3c", "t-evil", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";
    }
}
