using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SidecarProxy.Admin;
using SidecarProxy.Revocation;

namespace SidecarProxy.Admin;

/// <summary>
/// Removes records whose <c>expires_at</c> has passed (and audits each as <c>revocation_expired</c>). Matching
/// already ignores an expired record from the instant it expires; the sweep only keeps the list and the state
/// file short. Runs on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class RevocationExpirySweeper(
    RevocationStore store, AdminAudit audit, TimeProvider time, ILogger<RevocationExpirySweeper> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                SweepOnce();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    /// <summary>One sweep; returns how many records expired.</summary>
    public int SweepOnce()
    {
        try
        {
            var expired = store.RemoveExpired();
            foreach (var record in expired)
            {
                audit.Changed(null, "sidecar", "revocation_expired", record, 0);
            }

            return expired.Count;
        }
        catch (RevocationStateException ex)
        {
            // The records stay stored but no longer match (expiry is checked at match time); retried next tick.
            LogSweepFailed(logger, ex);
            return 0;
        }
    }

    [LoggerMessage(EventId = 12003, Level = LogLevel.Warning, Message = "Could not remove expired revocations; retrying")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
