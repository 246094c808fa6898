using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.Credentials;

/// <summary>
/// A last look at an access token before it is cached and injected. Access tokens are opaque to their client (RFC 6749
/// section 1.4), so most are passed on unread; but when the token is a JWT whose claims say it is useless - already
/// expired, or issued for another audience than the one the sidecar asked for - injecting it would only make the tool
/// answer 401 for every request until the cache entry expires. Such a token is refused as an invalid response. The
/// signature is not checked (the key is the tool's business); nothing here ever accepts a token, it can only refuse one.
/// </summary>
internal static class AccessTokenClaims
{
    // A JWT's claims are a few hundred bytes; a huge middle segment is not read.
    private const int MaxPayloadChars = 16 * 1024;

    /// <summary>
    /// A fixed description of why <paramref name="accessToken"/> is unusable (never a value from it), or null when it
    /// is usable or not a JWT at all.
    /// </summary>
    /// <param name="accessToken">The token as the endpoint sent it.</param>
    /// <param name="audiences">The audiences the sidecar asked for (any one may appear in <c>aud</c>), or null not to check.</param>
    /// <param name="now">The sidecar's clock.</param>
    public static string? FindProblem(string accessToken, IReadOnlyCollection<string>? audiences, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        var parts = accessToken.Split('.');
        if (parts.Length != 3 || parts[1].Length is 0 or > MaxPayloadChars)
        {
            return null;
        }

        JsonDocument claims;
        try
        {
            claims = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[1]));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return null;
        }

        using (claims)
        {
            var root = claims.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("exp", out var exp) && exp.ValueKind == JsonValueKind.Number
                && exp.TryGetInt64(out var seconds) && seconds <= now.ToUnixTimeSeconds())
            {
                return "access_token is a JWT that has already expired";
            }

            if (audiences is { Count: > 0 } && root.TryGetProperty("aud", out var aud) && !Names(aud).Any(audiences.Contains))
            {
                return "access_token is a JWT for another audience";
            }

            return null;
        }
    }

    private static IEnumerable<string> Names(JsonElement aud) => aud.ValueKind switch
    {
        JsonValueKind.String => [aud.GetString()!],
        JsonValueKind.Array => aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!),
        _ => [],
    };
}
