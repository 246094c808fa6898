namespace SidecarProxy.Health;

/// <summary>
/// One component's readiness for <c>/readyz</c>. Register implementations as singletons
/// (<c>services.AddSingleton&lt;IReadinessCheck, MyCheck&gt;()</c>); the sidecar is ready when all are.
/// Checks are called on every probe, so they should read state, not do I/O.
/// </summary>
internal interface IReadinessCheck
{
    /// <summary>Short stable name shown in the /readyz document ("identity", "policy", ...).</summary>
    string Name { get; }

    ValueTask<ReadinessResult> CheckAsync(CancellationToken ct);
}

internal readonly record struct ReadinessResult(bool Ready, string Detail)
{
    /// <summary>Ready, but working in a degraded mode (shown as <c>"degraded": true</c> and status <c>degraded</c>).</summary>
    public bool Degraded { get; init; }

    public static ReadinessResult Healthy(string detail) => new(true, detail);

    public static ReadinessResult DegradedButReady(string detail) => new(true, detail) { Degraded = true };

    public static ReadinessResult Unhealthy(string detail) => new(false, detail);
}
