using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>RFC 8935 push of CAEP session-revoked SETs to the admin listener, over real mTLS, signed by a test transmitter key.</summary>
public sealed class SetPushTests : IDisposable
{
    private const string Issuer = "https://ssf.transmitter.test";
    private const string Audience = "https://sidecar.test/ssf";
    private const string Victim = "spiffe://agents.test/agent/victim";
    private static readonly Uri Plain = new("/tools/plain/x", UriKind.Relative);

    private readonly TempDirectory _dir = new();
    private readonly SetSigner _transmitter = new("transmitter-1");
    private readonly SetSigner _stranger = new("transmitter-1");

    public void Dispose()
    {
        _dir.Dispose();
        _transmitter.Dispose();
        _stranger.Dispose();
    }

    private Task<AdminBed> StartAsync()
    {
        var jwks = _dir.Write("transmitter.jwks.json", _transmitter.Jwks());
        return AdminBed.StartAsync(configure: settings =>
        {
            settings["Sidecar:Admin:Transmitters:0:Issuer"] = Issuer;
            settings["Sidecar:Admin:Transmitters:0:Audience"] = Audience;
            settings["Sidecar:Admin:Transmitters:0:JwksPath"] = jwks;
        });
    }

    private static Dictionary<string, object> SessionRevoked(object subject, string? jti = null, long? iat = null, string issuer = Issuer, string audience = Audience) => new()
    {
        ["iss"] = issuer,
        ["aud"] = audience,
        ["jti"] = jti ?? Guid.NewGuid().ToString("N"),
        ["iat"] = iat ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["sub_id"] = subject,
        ["events"] = new Dictionary<string, object>
        {
            ["https://schemas.openid.net/secevent/caep/event-type/session-revoked"] = new Dictionary<string, object>
            {
                ["event_timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["reason_admin"] = new Dictionary<string, string> { ["en"] = "Landspeed Policy Violation" },
            },
        },
    };

    private static object SpiffeSubject(string id) => new { format = "uri", uri = id };

    private static async Task<(int Status, JsonElement Body)> PushAsync(HttpClient client, string set, string contentType = "application/secevent+jwt")
    {
        using var content = new StringContent(set, Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await client.PostAsync(new Uri("/admin/ssf/events", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    // Any valid SVID may push (no admin role): the SET's signature is what authenticates it.
    private static HttpClient Transmitter(AdminBed bed) => bed.CreateAdminClient("spiffe://agents.test/ssf/transmitter");

    [Fact]
    public async Task SessionRevoked_ForASpiffeId_RevokesIt_AndAReplayIsRefused()
    {
        await using var bed = await StartAsync();
        using var victim = bed.Bed.CreateAgentClient(Victim);
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync(Plain)).StatusCode);
        using var transmitter = Transmitter(bed);
        var set = _transmitter.Sign(SessionRevoked(SpiffeSubject(Victim)));

        var (status, _) = await PushAsync(transmitter, set);

        Assert.Equal(202, status);
        using var again = bed.Bed.CreateAgentClient(Victim);
        Assert.Equal("revoked", (await Problem.ReadAsync(await again.GetAsync(Plain))).Code);
        using var other = bed.Bed.CreateAgentClient(CredentialBed.OtherAgentId);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(Plain)).StatusCode);
        var record = Assert.Single(await bed.ListAsync());
        Assert.Equal(("spiffe_id", Victim, "revoke", "ssf:" + Issuer), (record.GetProperty("subject").GetProperty("kind").GetString(),
            record.GetProperty("subject").GetProperty("value").GetString(), record.GetProperty("action").GetString(), record.GetProperty("created_by").GetString()));
        Assert.Contains("Landspeed Policy Violation", record.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var replay = await PushAsync(transmitter, set);
        Assert.Equal(400, replay.Status);
        Assert.Equal("invalid_request", replay.Body.GetProperty("err").GetString());
        Assert.Contains("already received", replay.Body.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Single(await bed.ListAsync());

        var lines = await bed.Bed.AuditLinesAsync(3);
        var created = Assert.Single(lines, l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString() == "revocation_created");
        Assert.Equal("ssf:" + Issuer, created.GetProperty("spiffe_id").GetString());
    }

    [Fact]
    public async Task EveryBadSet_IsRefusedWithItsRfc8935Error_AndChangesNothing()
    {
        await using var bed = await StartAsync();
        using var transmitter = Transmitter(bed);
        var victim = SpiffeSubject(Victim);
        var cases = new (string Name, string Set, string ContentType, string Error)[]
        {
            ("bad signature", _stranger.Sign(SessionRevoked(victim)), "application/secevent+jwt", "invalid_key"),
            ("tampered payload", Tamper(_transmitter.Sign(SessionRevoked(victim))), "application/secevent+jwt", "invalid_key"),
            ("wrong audience", _transmitter.Sign(SessionRevoked(victim, audience: "https://someone-else.test")), "application/secevent+jwt", "invalid_audience"),
            ("unknown issuer", _transmitter.Sign(SessionRevoked(victim, issuer: "https://rogue.test")), "application/secevent+jwt", "invalid_issuer"),
            ("unknown event", _transmitter.Sign(UnknownEvent(victim)), "application/secevent+jwt", "invalid_request"),
            ("too old", _transmitter.Sign(SessionRevoked(victim, iat: DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds())), "application/secevent+jwt", "invalid_request"),
            ("not a SPIFFE ID", _transmitter.Sign(SessionRevoked(new { format = "email", email = "a@b.test" })), "application/secevent+jwt", "invalid_request"),
            ("typ missing", _transmitter.Sign(SessionRevoked(victim), typ: null), "application/secevent+jwt", "invalid_request"),
            ("alg none", Unsigned(SessionRevoked(victim)), "application/secevent+jwt", "invalid_key"),
            ("not a JWT", "hello", "application/secevent+jwt", "invalid_request"),
            ("wrong content type", _transmitter.Sign(SessionRevoked(victim)), "application/json", "invalid_request"),
        };

        foreach (var (name, set, contentType, error) in cases)
        {
            var (status, body) = await PushAsync(transmitter, set, contentType);
            Assert.True(status == 400, $"{name}: {status}");
            Assert.True(error == body.GetProperty("err").GetString(), $"{name}: {body}");
            Assert.False(string.IsNullOrEmpty(body.GetProperty("description").GetString()), name);
        }

        Assert.Empty(await bed.ListAsync());
        using var client = bed.Bed.CreateAgentClient(Victim);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Plain)).StatusCode);

        // Without an SVID the transmitter is not authenticated at all.
        using var anonymous = bed.CreateAdminClient(null);
        var unauthenticated = await PushAsync(anonymous, _transmitter.Sign(SessionRevoked(victim)));
        Assert.Equal(401, unauthenticated.Status);
        Assert.Equal("authentication_failed", unauthenticated.Body.GetProperty("err").GetString());
        Assert.Empty(await bed.ListAsync());
    }

    [Fact]
    public async Task SessionRevoked_ForATaskGrant_InAComplexSubject_RevokesTheTask()
    {
        await using var bed = await StartAsync();
        var task = "t-" + CredentialBed.Marker();
        using var client = bed.Bed.CreateAgentClient();
        HttpRequestMessage WithTask() => new(HttpMethod.Get, Plain)
        {
            Headers = { { "X-Task-Grant", bed.Bed.Orchestrator.Sign(CredentialBed.AgentId, task, DateTimeOffset.UtcNow.AddMinutes(30)) } },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithTask())).StatusCode);
        using var transmitter = Transmitter(bed);
        var subject = new
        {
            format = "complex",
            user = new { format = "email", email = "owner@example.test" },
            session = new { format = "jwt_id", iss = CredentialBed.GrantIssuer, jti = task },
        };

        var (status, _) = await PushAsync(transmitter, _transmitter.Sign(SessionRevoked(subject)));

        Assert.Equal(202, status);
        Assert.Equal("revoked", (await Problem.ReadAsync(await client.SendAsync(WithTask()))).Code);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Plain)).StatusCode);
        var record = Assert.Single(await bed.ListAsync());
        Assert.Equal(("task", task), (record.GetProperty("subject").GetProperty("kind").GetString(), record.GetProperty("subject").GetProperty("value").GetString()));

        // A jwt_id of another issuer is not a task grant of this sidecar.
        var foreign = new { format = "jwt_id", iss = "https://other-orchestrator.test", jti = "t-x" };
        var refused = await PushAsync(transmitter, _transmitter.Sign(SessionRevoked(foreign)));
        Assert.Equal((400, "invalid_request"), (refused.Status, refused.Body.GetProperty("err").GetString()));
    }

    private static Dictionary<string, object> UnknownEvent(object subject)
    {
        var claims = SessionRevoked(subject);
        claims["events"] = new Dictionary<string, object> { ["https://schemas.openid.net/secevent/caep/event-type/credential-change"] = new { } };
        return claims;
    }

    private static string Tamper(string jws)
    {
        var parts = jws.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.DecodeBytes(parts[1]))!;
        var changed = payload.ToDictionary(p => p.Key, p => (object)p.Value);
        changed["sub_id"] = new { format = "uri", uri = CredentialBed.OtherAgentId };
        return parts[0] + "." + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(changed)) + "." + parts[2];
    }

    private static string Unsigned(Dictionary<string, object> claims) =>
        Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"secevent+jwt\"}") + "."
        + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(claims)) + ".";

    /// <summary>A transmitter's ES256 key: signs SETs (compact JWS) and publishes its JWKS.</summary>
    private sealed class SetSigner(string keyId) : IDisposable
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public string Jwks()
        {
            var p = _key.ExportParameters(false);
            return JsonSerializer.Serialize(new
            {
                keys = new[]
                {
                    new Dictionary<string, string>
                    {
                        ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
                        ["kid"] = keyId, ["use"] = "sig", ["alg"] = "ES256",
                    },
                },
            });
        }

        public string Sign(Dictionary<string, object> claims, string? typ = "secevent+jwt")
        {
            var header = new Dictionary<string, string> { ["alg"] = "ES256", ["kid"] = keyId };
            if (typ is not null)
            {
                header["typ"] = typ;
            }

            var input = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(header)) + "."
                + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(claims));
            var signature = _key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            return input + "." + Base64UrlEncoder.Encode(signature);
        }

        public void Dispose() => _key.Dispose();
    }
}
