namespace SidecarProxy.Audit;

/// <summary><c>Sidecar:Audit</c>.</summary>
internal sealed record AuditOptions
{
    public const string SectionName = "Sidecar:Audit";

    /// <summary>JSON-lines file, appended to, or <c>-</c> for stdout [-].</summary>
    public string Path { get; init; } = "-";

    /// <summary>
    /// Records queued or reserved by requests in flight before the trail counts as unable to keep up [10000].
    /// </summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>
    /// What an agent request gets when the trail cannot take its record (queue full, or the destination failing):
    /// <see cref="AuditFailureMode.Deny"/> (503 <c>audit_unavailable</c>, nothing forwarded) or
    /// <see cref="AuditFailureMode.Serve"/> (served, counted and alerted on) [deny].
    /// </summary>
    public AuditFailureMode OnFailure { get; init; } = AuditFailureMode.Deny;
}

/// <summary>Values of <c>Sidecar:Audit:OnFailure</c>.</summary>
internal enum AuditFailureMode
{
    /// <summary>Refuse the request (503 <c>audit_unavailable</c>) rather than serve it unaudited. The secure default.</summary>
    Deny,

    /// <summary>Serve the request anyway; counted in <c>sidecar_audit_unavailable_total{action="serve"}</c>.</summary>
    Serve,
}
