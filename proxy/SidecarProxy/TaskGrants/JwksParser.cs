using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// Turns a JWKS document into verification keys, keeping only asymmetric signing keys: a symmetric
/// (<c>oct</c>) key in a published set is a misconfiguration that would let anyone who fetched it sign.
/// </summary>
internal static class JwksParser
{
    public static IReadOnlyList<SecurityKey>? TryParse(string json, out string? problem)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (ArgumentException)
        {
            problem = "not a JWKS document";
            return null;
        }

        // GetSigningKeys skips encryption keys and converts each JWK once into an RSA/ECDsa key, instead
        // of on every verification.
        var keys = set.GetSigningKeys()
            .Where(k => k is RsaSecurityKey or ECDsaSecurityKey or JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve })
            .ToList();

        if (keys.Count == 0)
        {
            problem = "no RSA or EC signing keys";
            return null;
        }

        problem = null;
        return keys;
    }
}
