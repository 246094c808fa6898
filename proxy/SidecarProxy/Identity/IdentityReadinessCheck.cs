using SidecarProxy.Health;
using SidecarProxy.Identity;

namespace SidecarProxy.Identity;

/// <summary>
/// Ready once the serving certificate and at least one trust bundle are loaded, and while the serving
/// certificate is within its validity period. The Workload API source keeps serving its last SVID when the
/// agent is unreachable; once that SVID expires the sidecar is no longer ready.
/// </summary>
internal sealed class IdentityReadinessCheck(IIdentityMaterialSource source, TimeProvider time) : IReadinessCheck
{
    public string Name => "identity";

    public ValueTask<ReadinessResult> CheckAsync(CancellationToken ct)
    {
        var material = source.Current;
        var now = time.GetUtcNow();
        var result = material switch
        {
            null => ReadinessResult.Unhealthy("identity material not loaded"),
            { Bundles.Count: 0 } => ReadinessResult.Unhealthy("no trust bundle loaded"),
            _ when material.ServerCertificate.NotAfter.ToUniversalTime() <= now.UtcDateTime =>
                ReadinessResult.Unhealthy("serving certificate expired"),
            _ when material.ServerCertificate.NotBefore.ToUniversalTime() > now.UtcDateTime =>
                ReadinessResult.Unhealthy("serving certificate not yet valid"),
            _ => ReadinessResult.Healthy(
                "trust domains: " + string.Join(",", material.Bundles.Keys.Order(StringComparer.Ordinal))),
        };
        return ValueTask.FromResult(result);
    }
}
