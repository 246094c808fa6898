using System.Collections.Frozen;

namespace SidecarProxy.Model;

/// <summary>
/// The closed set of reasons the proxy refuses a request. <see cref="Value"/> is the problem document's
/// <c>code</c> member and the <c>reason</c> label of the denial metric, so it must never change once released.
/// </summary>
internal sealed class DenialCode
{
    public static readonly DenialCode SvidMissing = new("svid_missing", 401, "Client certificate required");
    public static readonly DenialCode SvidExpired = new("svid_expired", 401, "Client certificate expired");
    public static readonly DenialCode SvidNotYetValid = new("svid_not_yet_valid", 401, "Client certificate not yet valid");
    public static readonly DenialCode SvidUntrusted = new("svid_untrusted", 401, "Client certificate not trusted");
    public static readonly DenialCode SvidInvalidSpiffeId = new("svid_invalid_spiffe_id", 401, "Client certificate has no valid SPIFFE ID");
    public static readonly DenialCode SvidInvalid = new("svid_invalid", 401, "Client certificate is not a valid X.509-SVID");
    public static readonly DenialCode UnknownTool = new("unknown_tool", 404, "Unknown tool");
    public static readonly DenialCode PolicyDenied = new("policy_denied", 403, "Denied by policy");
    public static readonly DenialCode PolicyUnavailable = new("policy_unavailable", 503, "Policy decision unavailable");
    public static readonly DenialCode TaskGrantInvalid = new("task_grant_invalid", 401, "Task grant invalid");
    public static readonly DenialCode CredentialUnavailable = new("credential_unavailable", 503, "Credential unavailable");
    public static readonly DenialCode Revoked = new("revoked", 403, "Revoked");
    public static readonly DenialCode ApprovalRequired = new("approval_required", 403, "Approval required");
    public static readonly DenialCode AdminForbidden = new("admin_forbidden", 403, "Not allowed on the admin API");
    public static readonly DenialCode AuditUnavailable = new("audit_unavailable", 503, "Audit trail unavailable");
    public static readonly DenialCode PathRejected = new("path_rejected", 400, "Request path rejected");
    public static readonly DenialCode FramingRejected = new("framing_rejected", 400, "Ambiguous request framing");
    public static readonly DenialCode BodyTooLarge = new("body_too_large", 413, "Request body too large");
    public static readonly DenialCode McpInvalidMessage = new("mcp_invalid_message", 400, "Invalid MCP message");
    public static readonly DenialCode McpMessageTooLarge = new("mcp_message_too_large", 413, "MCP message too large");
    public static readonly DenialCode McpSessionNotFound = new("mcp_session_not_found", 404, "MCP session not found");
    public static readonly DenialCode ApprovalPending = new("approval_pending", 403, "Approval pending");
    public static readonly DenialCode ApprovalDenied = new("approval_denied", 403, "Approval denied");
    public static readonly DenialCode ApprovalExpired = new("approval_expired", 403, "Approval expired");
    public static readonly DenialCode ApprovalUsed = new("approval_used", 403, "Approval already used");
    public static readonly DenialCode ApprovalMismatch = new("approval_mismatch", 403, "Approval does not match this request");
    public static readonly DenialCode ApprovalCancelled = new("approval_cancelled", 403, "Approval cancelled");
    public static readonly DenialCode ApprovalBodyTooLarge = new("approval_body_too_large", 413, "Body too large for an approval");
    public static readonly DenialCode ApprovalUnavailable = new("approval_unavailable", 503, "Approvals unavailable");
    public static readonly DenialCode RevocationsStale = new("revocations_stale", 503, "Revocation list stale");
    public static readonly DenialCode UpstreamUnavailable = new("upstream_unavailable", 502, "Tool unavailable");
    public static readonly DenialCode UpstreamTimeout = new("upstream_timeout", 504, "Tool did not answer in time");

    /// <summary>Every code, in declaration order: metrics pre-create their series from this list.</summary>
    public static readonly IReadOnlyList<DenialCode> All =
    [
        SvidMissing, SvidExpired, SvidNotYetValid, SvidUntrusted, SvidInvalidSpiffeId, SvidInvalid, UnknownTool,
        PolicyDenied, PolicyUnavailable, TaskGrantInvalid, CredentialUnavailable, Revoked, ApprovalRequired,
        AdminForbidden, AuditUnavailable, PathRejected, FramingRejected, BodyTooLarge,
        McpInvalidMessage, McpMessageTooLarge, McpSessionNotFound, ApprovalPending, ApprovalDenied, ApprovalExpired, ApprovalUsed, ApprovalMismatch, ApprovalCancelled,
        ApprovalBodyTooLarge, ApprovalUnavailable, RevocationsStale, UpstreamUnavailable, UpstreamTimeout,
    ];

    private static readonly FrozenDictionary<string, DenialCode> ByValue =
        All.ToFrozenDictionary(c => c.Value, StringComparer.Ordinal);

    private DenialCode(string value, int status, string title)
    {
        Value = value;
        Status = status;
        Title = title;
    }

    /// <summary>The stable snake_case code.</summary>
    public string Value { get; }

    /// <summary>The HTTP status used unless a policy decision chooses another.</summary>
    public int Status { get; }

    /// <summary>
    /// The sidecar could not answer the question (its policy, credential source or audit trail failed), as opposed to
    /// answering no: the request's verdict is <c>error</c>, not <c>deny</c>, in the audit and the metrics alike.
    /// </summary>
    public bool IsFault => Status >= 500;

    /// <summary>An X.509-SVID rejection (also counted in <c>sidecar_svid_rejections_total</c>).</summary>
    public bool IsSvidRejection => Value.StartsWith("svid_", StringComparison.Ordinal);

    /// <summary>Short human-readable summary for the problem document's <c>title</c>.</summary>
    public string Title { get; }

    public static bool TryParse(string value, out DenialCode? code) => ByValue.TryGetValue(value, out code);

    public override string ToString() => Value;
}
