using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SidecarProxy.Approvals;

/// <summary>
/// The webhook's signature header: <c>t=&lt;Unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;." + body)&gt;</c>.
/// The timestamp is signed with the body, so a receiver that refuses old timestamps also refuses replays.
/// </summary>
internal static class ApprovalWebhookSignature
{
    public static string Sign(string secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return "t=" + t + ",v1=" + Compute(secret, t, body);
    }

    /// <summary>Whether <paramref name="header"/> is a valid signature of <paramref name="body"/> made within <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(secret);
        string? t = null, v1 = null;
        foreach (var part in (header ?? string.Empty).Split(','))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                t = part[2..];
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
            {
                v1 = part[3..];
            }
        }

        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(secret, t, body)), Encoding.ASCII.GetBytes(v1));
    }

    private static string Compute(string secret, string t, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(Encoding.ASCII.GetBytes(t + "."));
        hmac.AppendData(body);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}
