namespace SidecarProxy.Configuration;

/// <summary>The <c>Sidecar</c> configuration section. Validated at start-up by <see cref="SidecarOptionsValidator"/>.</summary>
internal sealed record SidecarOptions
{
    public const string SectionName = "Sidecar";

    /// <summary>Agent-facing mTLS endpoint: <c>https://</c>, an IP literal or <c>localhost</c>, and a port.</summary>
    public string Listen { get; init; } = "https://127.0.0.1:15443";

    public IdentityOptions Identity { get; init; } = new();

    public MetricsOptions Metrics { get; init; } = new();

    public DevOptions Dev { get; init; } = new();

    /// <summary><c>Sidecar:Admin</c>: the admin listener (see <c>Admin/</c>).</summary>
    public Admin.AdminOptions Admin { get; init; } = new();

    /// <summary><c>Sidecar:Revocations</c>: persistence of the revocation list.</summary>
    public Revocation.RevocationOptions Revocations { get; init; } = new();
}

/// <summary>
/// <c>Sidecar:Identity</c>. Either the three file settings (ServerCertificate, ServerKey and at least one
/// TrustBundles entry) or WorkloadApi is required.
/// </summary>
internal sealed record IdentityOptions
{
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

/// <summary><c>Sidecar:Metrics</c>: the plain-HTTP endpoint of /healthz, /readyz and (later) /metrics.</summary>
internal sealed record MetricsOptions
{
    public string Listen { get; init; } = "http://127.0.0.1:9090";
}

/// <summary><c>Sidecar:Dev</c>: Development-only conveniences; ignored outside the Development environment.</summary>
internal sealed record DevOptions
{
    /// <summary>Plain-HTTP endpoint of the built-in JSON echo upstream used by the demo tool route.</summary>
    public string? DemoUpstream { get; init; }

    /// <summary>Where the dev identity is created when none is configured.</summary>
    public string IdentityDirectory { get; init; } = ".dev/identity";
}
