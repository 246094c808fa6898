namespace SidecarProxy.Observability;

/// <summary><c>Sidecar:Metrics</c>: the plain-HTTP endpoint of /healthz, /readyz and (later) /metrics.</summary>
internal sealed record MetricsOptions
{
    public string Listen { get; init; } = "http://127.0.0.1:9090";
}
