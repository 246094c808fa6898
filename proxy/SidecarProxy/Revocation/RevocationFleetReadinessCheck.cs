using System.Globalization;
using Microsoft.Extensions.Options;
using SidecarProxy.Health;

namespace SidecarProxy.Revocation;

/// <summary>
/// <c>/readyz</c> check <c>revocations</c> (with <c>Sidecar:Revocations:Redis</c> only): not ready until the first
/// reconcile with the fleet's set, nor while reconciling after a reconnect; ready while the last sync is younger than
/// <c>MaxStaleness</c> (even with Redis unreachable); past it, degraded (<c>OnStale=serve</c>: the known revocations
/// are enforced) or not ready (<c>OnStale=deny</c>: agent requests are refused).
/// </summary>
internal sealed class RevocationFleetReadinessCheck(
    RevocationFleetSync sync, RevocationStore store, IOptions<RevocationOptions> options) : IReadinessCheck
{
    public string Name => "revocations";

    public ValueTask<ReadinessResult> CheckAsync(CancellationToken ct)
    {
        var max = options.Value.MaxStaleness.TotalSeconds;
        var staleness = sync.Staleness.TotalSeconds;
        var known = store.Snapshot.Records.Count;
        var result = sync.State switch
        {
            "reconciling" => ReadinessResult.Unhealthy("reconciling with the fleet's revocation set (Redis)"),
            "waiting" => ReadinessResult.Unhealthy(
                Format($"waiting for the first sync with Redis; the {known} revocation(s) known locally are enforced")),
            "synced" => ReadinessResult.Healthy(Format($"synced with Redis at version {sync.AppliedVersion}; {known} revocation(s)")),
            "unreachable" => ReadinessResult.Healthy(
                Format($"Redis unreachable; last sync {staleness:0.#} s ago (max staleness {max:0.#} s); {known} revocation(s) enforced")),
            _ when sync.RefuseRequests => ReadinessResult.Unhealthy(
                Format($"stale: no sync with Redis for {staleness:0.#} s (max {max:0.#} s); agent requests are refused (OnStale=deny)")),
            _ => ReadinessResult.DegradedButReady(
                Format($"stale: no sync with Redis for {staleness:0.#} s (max {max:0.#} s); the {known} revocation(s) known are enforced (OnStale=serve)")),
        };
        return ValueTask.FromResult(result);
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
