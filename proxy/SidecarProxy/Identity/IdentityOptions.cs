namespace SidecarProxy.Identity;

/// <summary>
/// <c>Sidecar:Identity</c>. Either the three file settings (ServerCertificate, ServerKey and at least one
/// TrustBundles entry) or WorkloadApi is required.
/// </summary>
internal sealed record IdentityOptions
{
    public const string SectionName = "Sidecar:Identity";

    /// <summary>PEM chain of the sidecar's serving certificate, leaf first.</summary>
    public string? ServerCertificate { get; init; }

    /// <summary>PEM private key of <see cref="ServerCertificate"/>.</summary>
    public string? ServerKey { get; init; }

    /// <summary>Trust domain name to PEM bundle file; several entries federate trust domains.</summary>
    public Dictionary<string, string> TrustBundles { get; init; } = new(StringComparer.Ordinal);

    /// <summary>SPIFFE Workload API socket; used when no file identity is configured.</summary>
    public string? WorkloadApi { get; init; }

    /// <summary>How often identity files are re-read even without a file-system event.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Quiet period after a file event before reloading, so a multi-file rotation is one reload.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(250);

    public bool UsesFiles =>
        ServerCertificate is not null || ServerKey is not null || TrustBundles.Count > 0;
}
