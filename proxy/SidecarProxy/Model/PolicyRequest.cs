using SidecarProxy.Pipeline;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Model;

/// <summary>
/// Everything the policy may look at for one request (the source of OPA's <c>input</c> document). Built after
/// the credential headers were removed, so no agent secret is ever part of it.
/// </summary>
internal sealed record PolicyRequest
{
    /// <summary>The agent's SPIFFE ID, from the verified peer certificate.</summary>
    public required string SpiffeId { get; init; }

    /// <summary><c>sha256:</c> + lowercase hex of the agent's leaf certificate.</summary>
    public required string CertificateFingerprint { get; init; }

    public required string ToolId { get; init; }

    /// <summary>The route's <c>Labels.*</c> metadata, without the prefix.</summary>
    public required IReadOnlyDictionary<string, string> ToolLabels { get; init; }

    public required string Method { get; init; }

    /// <summary>The path the tool will see (the route's PathRemovePrefix already removed), never empty.</summary>
    public required string Path { get; init; }

    /// <summary>The raw query string including the leading <c>?</c>, or empty.</summary>
    public required string Query { get; init; }

    /// <summary>The Host the agent sent (including a port if it sent one).</summary>
    public required string Host { get; init; }

    public required string Scheme { get; init; }

    /// <summary>Request headers, names lowercased, repeated values joined with ", ". Credentials removed.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The verified task context, or null when the agent sent no task grant.</summary>
    public TaskContext? Task { get; init; }

    /// <summary>The quarantine of the identity or task (<c>input.containment</c>), or null.</summary>
    public ContainmentState? Containment { get; init; }

    /// <summary>The consumed approval of this request (<c>input.approval</c>), or null.</summary>
    public ApprovalGrant? Approval { get; init; }

    /// <summary>When the request arrived (from the injected <see cref="TimeProvider"/>).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary><c>input.mcp</c>: the JSON-RPC message decided on an MCP route; null (absent) elsewhere.</summary>
    public McpContext? Mcp { get; init; }
}
