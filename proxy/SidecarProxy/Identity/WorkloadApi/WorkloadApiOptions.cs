namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// Bound from the <c>Sidecar:Identity</c> section. Only <see cref="WorkloadApi"/> is required; the rest have
/// defaults that suit a SPIRE agent on the same host.
/// </summary>
internal sealed record WorkloadApiOptions
{
    public const string SectionName = "Sidecar:Identity";

    /// <summary>The environment variable every SPIFFE library reads the endpoint address from.</summary>
    public const string EndpointSocketVariable = "SPIFFE_ENDPOINT_SOCKET";

    /// <summary>The one place the sidecar reads <c>SPIFFE_ENDPOINT_SOCKET</c>: its value, or null when unset or blank.</summary>
    public static string? EndpointSocketFromEnvironment() =>
        Environment.GetEnvironmentVariable(EndpointSocketVariable) is { Length: > 0 } socket && !string.IsNullOrWhiteSpace(socket) ? socket : null;

    /// <summary>
    /// Workload API endpoint (<c>unix:///run/spire/agent.sock</c> or <c>tcp://IP:port</c>). Required.
    /// Defaults to <c>SPIFFE_ENDPOINT_SOCKET</c> so the sidecar behaves like any other SPIFFE-aware workload.
    /// </summary>
    public string? WorkloadApi { get; init; } = EndpointSocketFromEnvironment();

    /// <summary>First delay before reconnecting a broken stream [00:00:01].</summary>
    public TimeSpan WorkloadApiInitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between reconnect attempts [00:00:30].</summary>
    public TimeSpan WorkloadApiMaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long start-up waits for the first SVID before going on not ready [00:00:15]. The wait lets the TLS
    /// listener start with a certificate in the common case; after it the sidecar keeps trying and /readyz tells.
    /// </summary>
    public TimeSpan WorkloadApiStartupWait { get; init; } = TimeSpan.FromSeconds(15);
}
