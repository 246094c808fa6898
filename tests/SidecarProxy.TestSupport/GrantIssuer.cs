using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.TestSupport;

/// <summary>A stand-in orchestrator: holds a key pair, publishes its JWKS and signs task grants.</summary>
public sealed class GrantIssuer : IDisposable
{
    public const string Issuer = "https://orchestrator.example";

    private readonly AsymmetricAlgorithm _key;
    private readonly SecurityKey _securityKey;

    public GrantIssuer(string algorithm = SecurityAlgorithms.EcdsaSha256, string? kid = null)
    {
        Algorithm = algorithm;
        KeyId = kid ?? Guid.NewGuid().ToString("N");
        if (algorithm.StartsWith("ES", StringComparison.Ordinal))
        {
            var curve = algorithm switch
            {
                SecurityAlgorithms.EcdsaSha384 => ECCurve.NamedCurves.nistP384,
                SecurityAlgorithms.EcdsaSha512 => ECCurve.NamedCurves.nistP521,
                _ => ECCurve.NamedCurves.nistP256,
            };
            var ecdsa = ECDsa.Create(curve);
            _key = ecdsa;
            _securityKey = new ECDsaSecurityKey(ecdsa) { KeyId = KeyId };
        }
        else
        {
            var rsa = RSA.Create(2048);
            _key = rsa;
            _securityKey = new RsaSecurityKey(rsa) { KeyId = KeyId };
        }
    }

    public string Algorithm { get; }

    public string KeyId { get; }

    /// <summary>DER SubjectPublicKeyInfo: what an attacker would feed an HMAC verifier.</summary>
    public byte[] PublicKeyBytes => _key switch
    {
        ECDsa e => e.ExportSubjectPublicKeyInfo(),
        RSA r => r.ExportSubjectPublicKeyInfo(),
        _ => throw new InvalidOperationException(),
    };

    public static string JwksOf(params GrantIssuer[] issuers) =>
        JsonSerializer.Serialize(new { keys = issuers.Select(i => i.PublicJwk()).ToArray() });

    public Dictionary<string, string> PublicJwk()
    {
        if (_key is ECDsa ecdsa)
        {
            var p = ecdsa.ExportParameters(false);
            var crv = p.Q.X!.Length switch { 32 => "P-256", 48 => "P-384", _ => "P-521" };
            return new() { ["kty"] = "EC", ["crv"] = crv, ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y), ["kid"] = KeyId, ["use"] = "sig" };
        }

        var r = ((RSA)_key).ExportParameters(false);
        return new() { ["kty"] = "RSA", ["n"] = Base64UrlEncoder.Encode(r.Modulus), ["e"] = Base64UrlEncoder.Encode(r.Exponent), ["kid"] = KeyId };
    }

    public string Sign(
        string subject,
        DateTimeOffset now,
        TimeSpan? lifetime = null,
        string issuer = Issuer,
        string? taskId = "t-7f3c",
        string? jti = null,
        IDictionary<string, object>? claims = null,
        bool includeExpiry = true,
        DateTimeOffset? notBefore = null)
    {
        var all = new Dictionary<string, object> { ["sub"] = subject };
        if (taskId is not null)
        {
            all["task_id"] = taskId;
        }

        if (jti is not null)
        {
            all["jti"] = jti;
        }

        foreach (var (k, v) in claims ?? new Dictionary<string, object>())
        {
            all[k] = v;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            IssuedAt = now.UtcDateTime,
            Claims = all,
            SigningCredentials = new SigningCredentials(_securityKey, Algorithm),
        };
        if (includeExpiry)
        {
            descriptor.Expires = (now + (lifetime ?? TimeSpan.FromMinutes(10))).UtcDateTime;
        }

        if (notBefore is { } nbf)
        {
            descriptor.NotBefore = nbf.UtcDateTime;
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose() => _key.Dispose();
}
