using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.Credentials;

/// <summary>Signs the JWTs the sidecar issues (access tokens and token-exchange subject tokens).</summary>
internal static class JwtMinter
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static string Mint(
        SigningKeyRing ring,
        string issuer,
        string audience,
        DateTimeOffset issuedAt,
        DateTimeOffset expiresAt,
        IDictionary<string, object> claims)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Claims = claims,
            SigningCredentials = ring.CredentialsFor(expiresAt),
        };
        return Handler.CreateToken(descriptor);
    }
}
