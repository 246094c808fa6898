using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.TestSupport;

namespace SidecarProxy.TestSupport;

/// <summary>Verifies a token the way a tool would: against the JWKS document the sidecar serves.</summary>
public static class JwtAssertions
{
    public static async Task<JsonWebToken> VerifyAgainstJwksAsync(string token, string jwksJson, string issuer, string audience, DateTimeOffset now)
    {
        var keys = new JsonWebKeySet(jwksJson).GetSigningKeys();
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = keys,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            LifetimeValidator = (notBefore, expires, _, _) => notBefore <= now.UtcDateTime && now.UtcDateTime < expires,
            TryAllIssuerSigningKeys = false,
        };
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters);
        Assert.True(result.IsValid, $"token did not verify: {result.Exception?.GetType().Name}");
        return (JsonWebToken)result.SecurityToken;
    }
}
