using System.Text;
using Microsoft.AspNetCore.Http;

namespace SidecarProxy.Mcp;

/// <summary>
/// The HTTP headers of MCP's Streamable HTTP transport, and the 2026-07-28 rule that the headers mirroring the body
/// (<c>Mcp-Method</c>, <c>Mcp-Name</c>, <c>MCP-Protocol-Version</c>) agree with it. Intermediaries (this sidecar
/// included) may route on the headers, so a disagreement is refused before anything reads either one.
/// </summary>
internal static class McpHeaders
{
    public const string SessionId = "Mcp-Session-Id";
    public const string ProtocolVersion = "MCP-Protocol-Version";
    public const string Method = "Mcp-Method";
    public const string Name = "Mcp-Name";

    /// <summary>The revision that mirrors the method and name into headers and drops sessions and batches.</summary>
    public const string July2026 = "2026-07-28";

    /// <summary><c>params._meta</c> key of the per-request protocol version (2026-07-28).</summary>
    public const string MetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";

    private const string Base64Prefix = "=?base64?";
    private const string Base64Suffix = "?=";

    /// <summary>True for 2026-07-28 and later revisions (dates compare as strings).</summary>
    public static bool IsJuly2026OrLater(string? version) =>
        version is { Length: 10 } && string.CompareOrdinal(version, July2026) >= 0;

    /// <summary>The name or URI a method names, and so the value <c>Mcp-Name</c> mirrors; null for other methods.</summary>
    public static string? NameParameter(string? method) => method switch
    {
        "tools/call" or "prompts/get" => "name",
        "resources/read" or "resources/subscribe" or "resources/unsubscribe" => "uri",
        _ => null,
    };

    /// <summary>Methods whose <c>Mcp-Name</c> 2026-07-28 requires.</summary>
    public static bool RequiresName(string? method) => method is "tools/call" or "prompts/get" or "resources/read";

    /// <summary>The message's own protocol version: <c>params._meta</c>, else <c>initialize</c>'s <c>protocolVersion</c>.</summary>
    public static string? BodyProtocolVersion(JsonRpcMessage message)
    {
        if (message.Params is { } p)
        {
            if (p.TryGetProperty("_meta", out var meta) && meta.ValueKind == System.Text.Json.JsonValueKind.Object
                && meta.TryGetProperty(MetaProtocolVersion, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                return v.GetString();
            }

            if (message.Method == "initialize")
            {
                return message.ParamString("protocolVersion");
            }
        }

        return null;
    }

    /// <summary>
    /// Checks the mirrored headers against a single message; returns the mismatch to report, or null when they agree.
    /// Headers that are present must match whatever the revision; 2026-07-28 also requires them.
    /// </summary>
    public static string? Check(IHeaderDictionary headers, JsonRpcMessage message, string? headerVersion)
    {
        var bodyVersion = BodyProtocolVersion(message);
        if (headerVersion is not null && bodyVersion is not null && message.Method != "initialize"
            && !string.Equals(headerVersion, bodyVersion, StringComparison.Ordinal))
        {
            return "MCP-Protocol-Version header does not match the request body";
        }

        var modern = IsJuly2026OrLater(headerVersion) || IsJuly2026OrLater(bodyVersion);
        var methodHeader = Single(headers, Method, out var methodRepeated);
        var nameHeader = Single(headers, Name, out var nameRepeated);
        if (methodRepeated || nameRepeated)
        {
            return "Mcp-Method and Mcp-Name must appear at most once";
        }

        if (methodHeader is not null)
        {
            if (message.Kind == JsonRpcKind.Response)
            {
                return "Mcp-Method header on a response message";
            }

            if (!string.Equals(methodHeader, message.Method, StringComparison.Ordinal))
            {
                return "Mcp-Method header does not match the request body";
            }
        }
        else if (modern && message.Kind == JsonRpcKind.Request)
        {
            return "Mcp-Method header is required";
        }

        var parameter = NameParameter(message.Method);
        var bodyName = parameter is null ? null : message.ParamString(parameter);
        if (nameHeader is not null)
        {
            if (!TryDecode(nameHeader, out var decoded))
            {
                return "Mcp-Name header is not valid base64-encoded UTF-8";
            }

            if (bodyName is null || !string.Equals(decoded, bodyName, StringComparison.Ordinal))
            {
                return "Mcp-Name header does not match the request body";
            }
        }
        else if (modern && message.Kind == JsonRpcKind.Request && RequiresName(message.Method))
        {
            return "Mcp-Name header is required";
        }

        return null;
    }

    /// <summary>
    /// A header value as MCP 2026-07-28 encodes it: <c>=?base64?&lt;base64 of UTF-8&gt;?=</c> (markers lowercase,
    /// case-sensitive), else the literal value.
    /// </summary>
    public static bool TryDecode(string value, out string decoded)
    {
        decoded = value;
        if (!value.StartsWith(Base64Prefix, StringComparison.Ordinal) || !value.EndsWith(Base64Suffix, StringComparison.Ordinal)
            || value.Length < Base64Prefix.Length + Base64Suffix.Length)
        {
            return true;
        }

        var payload = value[Base64Prefix.Length..^Base64Suffix.Length];
        var bytes = new byte[(payload.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(payload, bytes, out var length))
        {
            return false;
        }

        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The header's one value, or null when absent; <paramref name="repeated"/> when sent more than once.</summary>
    public static string? Single(IHeaderDictionary headers, string name, out bool repeated)
    {
        var values = headers[name];
        repeated = values.Count > 1;
        return values.Count == 1 ? values[0] : null;
    }
}
