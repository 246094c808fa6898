using System.Text.Json.Serialization;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Audit;

/// <summary>
/// One line of the audit trail: who asked for what, what was decided and why, and which credential was
/// issued, identified by fingerprint only. Holds no secret, so the default ToString is safe.
/// </summary>
internal sealed record AuditRecord
{
    public required DateTimeOffset Time { get; init; }

    public string? RequestId { get; init; }

    /// <summary>OPA's <c>decision_id</c> when the opa engine answered.</summary>
    public string? DecisionId { get; init; }

    public string? SpiffeId { get; init; }

    public string? TaskId { get; init; }

    public string? Tool { get; init; }

    public string? Method { get; init; }

    /// <summary>Request path; callers should leave out the query string, which may carry secrets.</summary>
    public string? Path { get; init; }

    /// <summary><c>allow</c> or <c>deny</c>.</summary>
    public required string Decision { get; init; }

    /// <summary>Policy reason or denial code.</summary>
    public string? Reason { get; init; }

    public string? PolicyRevision { get; init; }

    public string? CredentialProvider { get; init; }

    public string? CredentialKind { get; init; }

    /// <summary><c>sha256:</c> prefix of the injected value's hash; never the value.</summary>
    public string? CredentialFingerprint { get; init; }

    /// <summary>False for static secrets, so non-JIT use stands out in the trail.</summary>
    public bool? CredentialJustInTime { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }

    /// <summary>Remaining lifetime of the credential when it was injected.</summary>
    public double? TtlSeconds { get; init; }

    public bool? CacheHit { get; init; }

    public double LatencyMs { get; init; }

    public int Status { get; init; }

    /// <summary>MCP routes: the JSON-RPC method of the (first) message; absent elsewhere.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? McpMethod { get; init; }

    /// <summary>MCP routes: the tool or prompt name or resource URI of the (first) message; absent when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? McpName { get; init; }

    /// <summary>MCP routes, batches only: each message's method, name and decision (<c>allow</c>, <c>deny</c>, <c>invalid</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<McpAuditEntry>? McpMessages { get; init; }
}

/// <summary>One JSON-RPC message of an MCP request in the audit trail; never its arguments.</summary>
internal sealed record McpAuditEntry(string? Method, string? Name, string Decision);
