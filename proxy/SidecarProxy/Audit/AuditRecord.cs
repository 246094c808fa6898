using System.Text.Json.Serialization;
using SidecarProxy.Model;
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

    /// <summary>
    /// The verified task id; or, when <see cref="GrantError"/> is set, the id the refused grant CLAIMED, which was
    /// not verified (the grant's signature, issuer, lifetime or subject failed).
    /// </summary>
    public string? TaskId { get; init; }

    /// <summary>Why the task grant was refused: the stable code of the problem's <c>grant_error</c> (null otherwise).</summary>
    public string? GrantError { get; init; }

    public string? Tool { get; init; }

    public string? Method { get; init; }

    /// <summary>Request path; callers should leave out the query string, which may carry secrets.</summary>
    public string? Path { get; init; }

    /// <summary><c>allow</c>, <c>deny</c>, <c>error</c>, or <c>aborted</c> (the client went away before the answer).</summary>
    public required string Decision { get; init; }

    /// <summary>Policy reason, denial code, or <c>client_aborted</c>.</summary>
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

    /// <summary>An admin API call (revocation created, lifted, refused); absent on agent request lines.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public AdminAuditDetails? Admin { get; init; }

    /// <summary>An approval event (requested, decided, consumed, expired, withdrawn, cancelled); absent otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ApprovalAuditDetails? Approval { get; init; }
}

/// <summary>
/// What an admin call changed. The line's <c>spiffe_id</c> is the caller, <c>reason</c> the operator's reason.
/// </summary>
internal sealed record AdminAuditDetails
{
    /// <summary><c>revocation_created</c>, <c>revocation_lifted</c>, <c>revocation_expired</c> or <c>admin_refused</c>.</summary>
    public required string Event { get; init; }

    public string? RevocationId { get; init; }

    public string? SubjectKind { get; init; }

    public string? Subject { get; init; }

    /// <summary><c>revoke</c> or <c>quarantine</c>.</summary>
    public string? Action { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public int? ConnectionsClosed { get; init; }

    public int? CredentialsPurged { get; init; }

    /// <summary>Token revocation at the issuer (<c>token_revoked</c>, <c>token_revocation_failed</c>): <c>revoked</c>, <c>rejected</c>, <c>failed</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Outcome { get; init; }

    /// <summary>Token revocation at the issuer: how many calls were made.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Attempts { get; init; }
}
