using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>An orchestrator that signs task grants (ES256), with its public key as a JWKS document.</summary>
internal sealed class GrantSigner : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public GrantSigner(string issuer, string keyId = "orchestrator-1")
    {
        Issuer = issuer;
        KeyId = keyId;
    }

    public string Issuer { get; }

    public string KeyId { get; }

    public string Jwks()
    {
        var p = _key.ExportParameters(false);
        var jwk = new Dictionary<string, string>
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
            ["kid"] = KeyId, ["use"] = "sig", ["alg"] = "ES256",
        };
        return JsonSerializer.Serialize(new { keys = new[] { jwk } });
    }

    public string Sign(
        string subject, string taskId, DateTimeOffset expires, string? issuer = null, IDictionary<string, object>? claims = null,
        DateTimeOffset? notBefore = null)
    {
        var all = new Dictionary<string, object>(claims ?? new Dictionary<string, object>())
        {
            ["sub"] = subject,
            ["task_id"] = taskId,
        };
        // Issued a minute ago, or (for an already expired grant) well before it expired.
        var issued = DateTime.UtcNow.AddMinutes(-1);
        if (issued >= expires.UtcDateTime)
        {
            issued = expires.UtcDateTime.AddMinutes(-20);
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Claims = all,
            IssuedAt = issued,
            NotBefore = notBefore?.UtcDateTime ?? issued,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = KeyId }, SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned grant (<c>alg: none</c>) with otherwise valid claims.</summary>
    public string Unsigned(string subject, string taskId, DateTimeOffset expires)
    {
        var header = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}"));
        var payload = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["sub"] = subject, ["task_id"] = taskId, ["exp"] = expires.ToUnixTimeSeconds(),
        }));
        return header + "." + payload + ".";
    }

    public void Dispose() => _key.Dispose();
}
