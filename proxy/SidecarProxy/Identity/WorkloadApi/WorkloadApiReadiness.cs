namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>Values of <see cref="WorkloadApiIdentitySource.ReadinessReason"/>: stable codes for /readyz.</summary>
internal static class WorkloadApiReadiness
{
    public const string Ready = "ready";
    public const string NoSvid = "no_svid";
    public const string SvidExpired = "svid_expired";
    public const string SvidNotYetValid = "svid_not_yet_valid";
}
