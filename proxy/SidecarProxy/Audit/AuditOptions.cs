namespace SidecarProxy.Audit;

/// <summary><c>Sidecar:Audit</c>.</summary>
internal sealed record AuditOptions
{
    public const string SectionName = "Sidecar:Audit";

    /// <summary>JSON-lines file, appended to, or <c>-</c> for stdout [-].</summary>
    public string Path { get; init; } = "-";

    /// <summary>Records queued before new ones are dropped (and counted) rather than blocking requests [10000].</summary>
    public int QueueCapacity { get; init; } = 10_000;
}
