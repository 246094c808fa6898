using Grpc.Core;
using Microsoft.Extensions.Logging;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// Log events of the Workload API client (ids 7100-7199). SPIFFE IDs, trust domain names and fingerprints only:
/// never certificate or key bytes.
/// </summary>
internal static partial class WorkloadApiLog
{
    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Watching the SPIFFE Workload API at {Address}")]
    public static partial void Watching(ILogger logger, WorkloadApiAddress address);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information,
        Message = "X.509-SVID applied: {SpiffeId} {Fingerprint}, valid until {NotAfter:o}; trust bundles for {TrustDomains}")]
    public static partial void SvidApplied(ILogger logger, string spiffeId, string fingerprint, DateTimeOffset notAfter, string trustDomains);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Error,
        Message = "Workload API update refused ({Reason}); the last good SVID and bundles stay in force")]
    public static partial void UpdateRefused(ILogger logger, SvidUpdateError reason);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "Workload API stream failed: {StatusCode} {Detail}")]
    public static partial void StreamFailed(ILogger logger, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Warning, Message = "Workload API stream closed by the agent")]
    public static partial void StreamEnded(ILogger logger);

    [LoggerMessage(EventId = 7105, Level = LogLevel.Information, Message = "Reconnecting to the Workload API in {Delay}")]
    public static partial void Reconnecting(ILogger logger, TimeSpan delay);

    [LoggerMessage(EventId = 7106, Level = LogLevel.Warning,
        Message = "No X.509-SVID from the Workload API after {Wait}; starting not ready and still trying")]
    public static partial void NoSvidAtStartup(ILogger logger, TimeSpan wait);

    [LoggerMessage(EventId = 7107, Level = LogLevel.Error, Message = "An identity change handler failed")]
    public static partial void ChangedHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7108, Level = LogLevel.Debug,
        Message = "Workload API sent {Count} SVIDs; the first ({SpiffeId}) is the sidecar's identity")]
    public static partial void SeveralSvids(ILogger logger, int count, string spiffeId);

    [LoggerMessage(EventId = 7109, Level = LogLevel.Warning, Message = "Workload API connection failed: {Error}")]
    public static partial void ConnectionFailed(ILogger logger, string error);
}
