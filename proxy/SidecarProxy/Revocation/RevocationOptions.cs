namespace SidecarProxy.Revocation;

/// <summary><c>Sidecar:Revocations</c>: where the revocation list is kept.</summary>
internal sealed record RevocationOptions
{
    public const string SectionName = "Sidecar:Revocations";

    /// <summary>
    /// JSON file holding the revocations, reloaded at start-up before the agent listener opens. Without it the
    /// revocations live in memory only and are lost on restart.
    /// </summary>
    public string? StatePath { get; init; }
}
