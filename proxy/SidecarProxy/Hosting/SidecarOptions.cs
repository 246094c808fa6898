using SidecarProxy.Admin;
using SidecarProxy.Dev;
using SidecarProxy.Identity;
using SidecarProxy.Observability;
using SidecarProxy.Revocation;

namespace SidecarProxy.Hosting;

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
