namespace SidecarProxy.Identity;

/// <summary>
/// Where the sidecar's identity material comes from: PEM files on disk (watched and reloaded) or the
/// SPIFFE Workload API (pushed by the agent). Implementations publish a new snapshot atomically and
/// keep the last good one when an update is bad.
/// </summary>
internal interface IIdentityMaterialSource
{
    /// <summary>The current snapshot, or null before the first one has been loaded.</summary>
    IdentityMaterial? Current { get; }

    /// <summary>Raised after <see cref="Current"/> has been replaced by a new snapshot.</summary>
    event Action<IdentityMaterial>? Changed;
}
