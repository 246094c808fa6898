using System.Security.Cryptography;
using System.Text;

namespace SidecarProxy.Credentials;

/// <summary>
/// A short, non-reversible handle on a credential so the audit trail can correlate requests that used the
/// same token without ever holding it.
/// </summary>
internal static class CredentialFingerprint
{
    // 16 bytes (128 bits) is plenty to tell tokens apart and far too little to help guess one.
    private const int PrefixBytes = 16;

    public static string Of(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), hash);
        return "sha256:" + Convert.ToHexStringLower(hash[..PrefixBytes]);
    }
}
