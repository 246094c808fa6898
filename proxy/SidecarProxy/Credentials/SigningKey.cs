using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.Credentials;

/// <summary>
/// One ES256 key of a <see cref="SigningKeyRing"/>, remembering the latest expiry of any token it signed so
/// the ring knows how long verifiers still need its public half.
/// </summary>
internal sealed class SigningKey : IDisposable
{
    private readonly ECDsa _ecdsa;
    private long _latestTokenExpiryTicks;

    public SigningKey(ECDsa ecdsa, DateTimeOffset createdAt)
    {
        _ecdsa = ecdsa;
        CreatedAt = createdAt;
        var publicParameters = ecdsa.ExportParameters(includePrivateParameters: false);
        X = Base64UrlEncoder.Encode(publicParameters.Q.X);
        Y = Base64UrlEncoder.Encode(publicParameters.Q.Y);
        KeyId = Thumbprint(X, Y);
        Credentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = KeyId }, SecurityAlgorithms.EcdsaSha256);
        _latestTokenExpiryTicks = createdAt.UtcTicks;
    }

    /// <summary>RFC 7638 JWK thumbprint, so the kid is stable for a given key across restarts (PEM keys).</summary>
    public string KeyId { get; }

    /// <summary>Public point, base64url.</summary>
    public string X { get; }

    /// <summary>Public point, base64url.</summary>
    public string Y { get; }

    public DateTimeOffset CreatedAt { get; }

    public SigningCredentials Credentials { get; }

    public DateTimeOffset LatestTokenExpiry => new(Interlocked.Read(ref _latestTokenExpiryTicks), TimeSpan.Zero);

    public void RecordTokenExpiry(DateTimeOffset expiresAt)
    {
        var ticks = expiresAt.UtcTicks;
        var seen = Interlocked.Read(ref _latestTokenExpiryTicks);
        while (ticks > seen)
        {
            var previous = Interlocked.CompareExchange(ref _latestTokenExpiryTicks, ticks, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    public void Dispose() => _ecdsa.Dispose();

    public override string ToString() => $"SigningKey {{ KeyId = {KeyId} }}";

    private static string Thumbprint(string x, string y)
    {
        // Members in lexicographic order, no whitespace (RFC 7638 section 3.2).
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
