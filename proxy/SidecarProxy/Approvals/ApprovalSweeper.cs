using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SidecarProxy.Approvals;

/// <summary>
/// Expires approvals whose time has passed (so their audit line and metric are written even if nobody asks for
/// them again) and forgets ended ones after <c>DecidedRetention</c>. Expiry itself does not wait for the sweep:
/// the store treats a record past its expiry as expired on every access. Also starts the <see cref="ApprovalMonitor"/>.
/// </summary>
internal sealed partial class ApprovalSweeper(IApprovalStore store, ApprovalMonitor monitor, TimeProvider time, ILogger<ApprovalSweeper> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public ApprovalMonitor Monitor { get; } = monitor;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await store.SweepAsync(stoppingToken);
                }
#pragma warning disable CA1031 // Retried next tick; expiry is enforced on access anyway.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogSweepFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    [LoggerMessage(EventId = 13003, Level = LogLevel.Warning, Message = "Approval sweep failed; retrying")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
