using Microsoft.Extensions.Logging;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity;

/// <summary>Identity log messages. SPIFFE IDs and fingerprints only; never certificate or key bytes.</summary>
internal static partial class IdentityLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Identity material loaded from files: server certificate {Subject}, trust domains {TrustDomains}")]
    public static partial void IdentityLoaded(ILogger logger, string subject, string trustDomains);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
        Message = "Identity reload rejected, keeping the last good material: {Reason}")]
    public static partial void IdentityReloadRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Identity file watcher failed; changes are picked up by polling only")]
    public static partial void WatcherFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information,
        Message = "Agent rejected at TLS connection {ConnectionId}: {Code} ({Detail})")]
    public static partial void AgentRejected(ILogger logger, string connectionId, string code, string? detail);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug,
        Message = "Agent {SpiffeId} authenticated on connection {ConnectionId}, certificate {Fingerprint}")]
    public static partial void AgentAuthenticated(ILogger logger, string spiffeId, string connectionId, string fingerprint);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error,
        Message = "TLS handshake refused: no identity material loaded yet")]
    public static partial void NoIdentityMaterial(ILogger logger);
}
