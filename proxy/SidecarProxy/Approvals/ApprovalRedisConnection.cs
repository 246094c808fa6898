using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Observability;
using SidecarProxy.Revocation;
using StackExchange.Redis;

namespace SidecarProxy.Approvals;

/// <summary>
/// The connection of <see cref="RedisApprovalStore"/> to Redis (<c>Sidecar:Approvals:Redis</c>), opened before the
/// listeners (a hosted service) and never aborted: while Redis is down the store refuses at once instead of queueing
/// (fail fast), and the connection comes back by itself. Subscribed to the approvals' announcements, which it passes
/// on as <see cref="Announced"/>. Its own connection, even when the string is the revocations' one: the revocation
/// sync owns its connection's lifetime and reconnect handling.
/// </summary>
internal sealed partial class ApprovalRedisConnection(
    IOptions<ApprovalOptions> options, SidecarMetrics metrics, ILogger<ApprovalRedisConnection> logger) : IHostedService, IAsyncDisposable
{
    private ConnectionMultiplexer? _mux;
    private volatile bool _subscribed;

    /// <summary>An approval's announcement: its id and the state it entered (anything but pending).</summary>
    public event Action<string, string>? Announced;

    public bool IsConnected => _mux is { IsConnected: true };

    /// <summary>The database, or null before the connection was opened.</summary>
    public IDatabase? Database => _mux?.GetDatabase();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var config = FleetRedisConfiguration.Create(options.Value.Redis!, "sidecar-approvals-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));

        // A command sent while disconnected fails at once: an agent waits on an unreachable Redis for nothing.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        metrics.ApprovalStoreUp.Set(0);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var endpoint = config.ToString(includePassword: false);
            LogStarting(logger, endpoint);
        }

        _mux = await ConnectionMultiplexer.ConnectAsync(config);
        _mux.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive && metrics.ApprovalStoreUp.Value > 0)
            {
                // Once per outage: the retries that follow fail the same way.
                LogConnectionFailed(logger, e.FailureType.ToString());
            }

            metrics.ApprovalStoreUp.Set(_mux.IsConnected ? 1 : 0);
        };
        _mux.ConnectionRestored += (_, _) =>
        {
            metrics.ApprovalStoreUp.Set(_mux.IsConnected ? 1 : 0);
            _ = SubscribeAsync();
        };
        metrics.ApprovalStoreUp.Set(_mux.IsConnected ? 1 : 0);
        await SubscribeAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_mux is not null)
        {
            await _mux.DisposeAsync();
        }
    }

    // StackExchange.Redis restores a subscription after a reconnect; this covers one that failed to be made at all.
    private async Task SubscribeAsync()
    {
        if (_subscribed || _mux is not { IsConnected: true } mux)
        {
            return;
        }

        try
        {
            await mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisApprovalScripts.Channel), (_, message) => OnMessage(message));
            _subscribed = true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The held requests poll meanwhile; the next reconnect tries again.
            LogSubscribeFailed(logger, ex.GetType().Name);
        }
    }

    private void OnMessage(RedisValue message)
    {
        var text = (string?)message;
        var space = text?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
        if (space > 0)
        {
            Announced?.Invoke(text![..space], text[(space + 1)..]);
        }
    }

    [LoggerMessage(EventId = 13020, Level = LogLevel.Information, Message = "Approvals: stored in Redis at {Endpoint}")]
    private static partial void LogStarting(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 13021, Level = LogLevel.Warning,
        Message = "Approvals: Redis connection lost ({FailureType}); approval-gated requests are refused and decisions answer 503 until it is back")]
    private static partial void LogConnectionFailed(ILogger logger, string failureType);

    [LoggerMessage(EventId = 13022, Level = LogLevel.Warning, Message = "Approvals: could not subscribe to the announcements ({Error}); held requests poll")]
    private static partial void LogSubscribeFailed(ILogger logger, string error);
}
