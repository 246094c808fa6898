using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SidecarProxy.Approvals;

/// <summary>
/// What an approval is bound to: SHA-256 over the agent's SPIFFE ID, the task id, the tool, the method, the path
/// and query the tool will see, and the SHA-256 of the body, each length-prefixed (so no two different requests
/// share an encoding). A retry that differs in any of them has another digest and is <c>approval_mismatch</c>.
/// </summary>
internal static class ApprovalDigest
{
    private const string Version = "sidecar-approval-v1";

    /// <summary><c>sha256:</c> + lowercase hex.</summary>
    public static string Compute(string spiffeId, string? taskId, string tool, string method, string pathAndQuery, string bodySha256)
    {
        ArgumentNullException.ThrowIfNull(spiffeId);
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        ArgumentNullException.ThrowIfNull(bodySha256);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, Version);
        Append(hash, spiffeId);

        // No task and an empty task id differ: a presence byte comes first.
        hash.AppendData(taskId is null ? [0] : [1]);
        Append(hash, taskId ?? string.Empty);
        Append(hash, tool);
        Append(hash, method.ToUpperInvariant());
        Append(hash, pathAndQuery);
        Append(hash, bodySha256);
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary><c>sha256:</c> + lowercase hex of <paramref name="body"/>.</summary>
    public static string BodyHash(ReadOnlySpan<byte> body) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>Constant-time comparison of two digests.</summary>
    public static bool Matches(string? expected, string? actual) =>
        expected is not null && actual is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual));

    private static void Append(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
