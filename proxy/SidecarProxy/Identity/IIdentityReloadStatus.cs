namespace SidecarProxy.Identity;

/// <summary>
/// Reload health of an identity source, for the metrics helper (a reload-failure counter) and /readyz.
/// Implemented by every source that reloads; a failure keeps the last good material in force.
/// </summary>
internal interface IIdentityReloadStatus
{
    /// <summary>Short, bounded name usable as a metric label value ("files", "workload_api").</summary>
    string SourceName { get; }

    /// <summary>Rejected reloads since start.</summary>
    long ReloadFailureCount { get; }

    /// <summary>Raised on each rejected reload with a reason that names the file but holds no key material.</summary>
    event Action<string>? ReloadFailed;
}
