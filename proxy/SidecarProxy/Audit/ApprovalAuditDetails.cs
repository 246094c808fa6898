namespace SidecarProxy.Audit;

/// <summary>
/// The <c>approval</c> member of an audit line. The line's <c>spiffe_id</c> is who acted: the agent (requested,
/// consumed, withdrawn), the approver (decided) or <c>sidecar</c> (expired, cancelled); <c>agent</c> is always the
/// agent the approval is for.
/// </summary>
internal sealed record ApprovalAuditDetails
{
    /// <summary><c>approval_requested</c>, <c>approval_decided</c>, <c>approval_consumed</c>, <c>approval_expired</c>, <c>approval_withdrawn</c> or <c>approval_cancelled</c>.</summary>
    public required string Event { get; init; }

    public required string ApprovalId { get; init; }

    /// <summary>The approval's state after the event.</summary>
    public required string State { get; init; }

    public required string Agent { get; init; }

    public string? Mode { get; init; }

    public int MinApprovals { get; init; }

    public int Approvals { get; init; }

    /// <summary><c>approve</c> or <c>deny</c> (decided lines).</summary>
    public string? Vote { get; init; }

    public string? OnBehalfOf { get; init; }

    /// <summary>A person approver's name and e-mail (decided lines from the console); the line's <c>spiffe_id</c> is their <c>issuer#subject</c>.</summary>
    public string? ApproverName { get; init; }

    public string? Comment { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The revocation that cancelled it (cancelled lines).</summary>
    public string? Cause { get; init; }
}
