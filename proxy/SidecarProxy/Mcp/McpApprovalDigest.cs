using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SidecarProxy.Mcp;

/// <summary>
/// What the approval of one MCP message is bound to: SHA-256 over the agent's SPIFFE ID, the task id, the tool,
/// the path the server sees, the JSON-RPC method, the tool (prompt, resource) name and the canonical JSON of the
/// arguments (<see cref="CanonicalJson"/>), each length-prefixed. Not the JSON-RPC id, the session or
/// <c>_meta</c>: a client's retry of the same call (with a new id) matches; a changed argument does not.
/// </summary>
internal static class McpApprovalDigest
{
    private const string Version = "sidecar-mcp-approval-v1";

    public static string Compute(string spiffeId, string? taskId, string tool, string path, string method, string? name, JsonElement? arguments)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, Encoding.UTF8.GetBytes(Version));
        Append(hash, Encoding.UTF8.GetBytes(spiffeId));
        hash.AppendData(taskId is null ? [0] : [1]);
        Append(hash, Encoding.UTF8.GetBytes(taskId ?? string.Empty));
        Append(hash, Encoding.UTF8.GetBytes(tool));
        Append(hash, Encoding.UTF8.GetBytes(path));
        Append(hash, Encoding.UTF8.GetBytes(method));
        hash.AppendData(name is null ? [0] : [1]);
        Append(hash, Encoding.UTF8.GetBytes(name ?? string.Empty));
        Append(hash, CanonicalJson.Serialize(arguments));
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, byte[] bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
