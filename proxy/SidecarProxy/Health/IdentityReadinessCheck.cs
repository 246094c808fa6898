using SidecarProxy.Identity;

namespace SidecarProxy.Health;

/// <summary>Ready once the serving certificate and at least one trust bundle are loaded.</summary>
internal sealed class IdentityReadinessCheck(IIdentityMaterialSource source) : IReadinessCheck
{
    public string Name => "identity";

    public ValueTask<ReadinessResult> CheckAsync(CancellationToken ct)
    {
        var material = source.Current;
        var result = material switch
        {
            null => ReadinessResult.Unhealthy("identity material not loaded"),
            { Bundles.Count: 0 } => ReadinessResult.Unhealthy("no trust bundle loaded"),
            _ => ReadinessResult.Healthy(
                "trust domains: " + string.Join(",", material.Bundles.Keys.Order(StringComparer.Ordinal))),
        };
        return ValueTask.FromResult(result);
    }
}
