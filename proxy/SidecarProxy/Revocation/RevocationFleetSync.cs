using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Observability;
using StackExchange.Redis;

namespace SidecarProxy.Revocation;

/// <summary>Whether agent requests must be refused because the revocation list is stale (<c>OnStale=deny</c>).</summary>
internal interface IRevocationFreshness
{
    bool RefuseRequests { get; }
}

/// <summary>A sidecar without a fleet store: its list is never stale.</summary>
internal sealed class LocalRevocationsOnly : IRevocationFreshness
{
    public bool RefuseRequests => false;
}

/// <summary>The fleet store could not take a change (Redis unreachable or failing).</summary>
internal sealed class FleetUnavailableException : Exception
{
    public FleetUnavailableException()
    {
    }

    public FleetUnavailableException(string message)
        : base(message)
    {
    }

    public FleetUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Keeps this sidecar's <see cref="RevocationStore"/> in agreement with the fleet's set in Redis
/// (<see cref="FleetRecordSet"/>). Local changes (hooked on the store) are written to Redis; announcements of other
/// sidecars' changes are applied with the same enforcement as a local change (connections closed, credentials
/// purged); on start and on every reconnect the whole set is reconciled (<see cref="FleetReconciler"/>) before the
/// sidecar reports ready, and a heartbeat compares the set's (epoch, version) with the last one applied, so a lost
/// announcement is caught even without a disconnect. Everything that touches the store runs on one loop, in order.
/// While Redis is unreachable the known revocations stay enforced; past <see cref="RevocationOptions.MaxStaleness"/>
/// the list is stale: readiness is degraded (or not ready with <c>OnStale=deny</c>, which also refuses agents).
/// </summary>
internal sealed partial class RevocationFleetSync : BackgroundService, IRevocationFreshness
{
    private readonly RevocationOptions _options;
    private readonly RevocationStore _store;
    private readonly RevocationEnforcer _enforcer;
    private readonly AdminAudit _audit;
    private readonly SidecarMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _pushWaiters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingLift> _pendingLifts = new(StringComparer.Ordinal);
    private readonly long _started;
    private readonly bool _denyOnStale;
    private ConnectionMultiplexer? _mux;
    private FleetRecordSet? _set;
    private ChannelMessageQueue? _subscription;

    // Loop-only state.
    private (string? Epoch, long Version) _applied;
    private bool _reconcileWanted;

    // Read by readiness, metrics and the request path.
    private long _lastSync = -1;
    private volatile bool _up;
    private volatile bool _awaitingReconcile = true;
    private volatile bool _lastReconcileFailed;
    private volatile bool _everSynced;
    private long _appliedVersion;

    public RevocationFleetSync(
        IOptions<RevocationOptions> options,
        RevocationStore store,
        RevocationEnforcer enforcer,
        AdminAudit audit,
        SidecarMetrics metrics,
        TimeProvider time,
        ILogger<RevocationFleetSync> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _store = store;
        _enforcer = enforcer;
        _audit = audit;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _started = time.GetTimestamp();
        _denyOnStale = _options.OnStale == RevocationOptions.OnStaleDeny;
        HeartbeatInterval = TimeSpan.FromTicks(Math.Clamp(_options.MaxStaleness.Ticks / 3, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        store.LocalChanged = OnLocalChange;
        metrics.RevocationStoreUp.Set(0);
        metrics.RevocationStoreMaxStaleness.Set(_options.MaxStaleness.TotalSeconds);
        metrics.RevocationStoreReconciles.WithLabels("ok");
        metrics.RevocationStoreReconciles.WithLabels("error");
        metrics.RevocationPropagation.WithLabels("pubsub");
        metrics.RevocationPropagation.WithLabels("reconcile");
        foreach (var type in new[] { FleetEvent.Created, FleetEvent.Lifted, FleetEvent.Expired })
        {
            metrics.RevocationFleetChanges.WithLabels(type);
        }

        metrics.Registry.AddBeforeCollectCallback(() => metrics.RevocationStoreStaleness.Set(Staleness.TotalSeconds));
    }

    /// <summary>This process' id in announcements (random per start).</summary>
    public string Origin { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public TimeSpan HeartbeatInterval { get; }

    /// <summary>Time since the last successful sync (since start when there was none).</summary>
    public TimeSpan Staleness
    {
        get
        {
            var last = Interlocked.Read(ref _lastSync);
            return _time.GetElapsedTime(last < 0 ? _started : last);
        }
    }

    public bool IsStale => Staleness >= _options.MaxStaleness;

    public bool RefuseRequests => _denyOnStale && IsStale;

    public bool IsUp => _up;

    public long AppliedVersion => Interlocked.Read(ref _appliedVersion);

    /// <summary>synced, reconciling, waiting, unreachable or stale: for /readyz and the admin check endpoint.</summary>
    public string State =>
        _awaitingReconcile && _up && !_lastReconcileFailed ? "reconciling"
        : IsStale ? "stale"
        : !_everSynced ? "waiting"
        : _up ? "synced"
        : "unreachable";

    /// <summary>Waits (bounded) until a record created here was written to Redis; false when it is queued.</summary>
    public async Task<bool> WaitPushedAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        if (!_pushWaiters.TryGetValue(id, out var waiter))
        {
            return false;
        }

        try
        {
            return await waiter.Task.WaitAsync(timeout, _time, ct);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Lifts <paramref name="id"/> in Redis first (the record and its tombstone), so a lift is never local only:
    /// throws <see cref="FleetUnavailableException"/> when Redis cannot take it. Returns the record Redis held, if any.
    /// </summary>
    public async Task<RevocationRecord?> LiftAsync(string id, string by, string? reason, CancellationToken ct)
    {
        if (_set is null || _mux is not { IsConnected: true })
        {
            throw new FleetUnavailableException("the fleet revocation store (Redis) is unreachable; a lift must reach it, so nothing was changed");
        }

        try
        {
            var write = await _set.LiftAsync(id, FleetEvent.Lifted, _time.GetUtcNow(), by, reason, Origin)
                .WaitAsync(TimeSpan.FromSeconds(5), _time, ct);
            return write.Removed;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new FleetUnavailableException("the fleet revocation store (Redis) did not take the lift; nothing was changed", ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _store.LocalChanged = null;
        _work.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        if (_mux is not null)
        {
            await _mux.DisposeAsync();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var config = FleetRedisConfiguration.Create(_options.Redis!, "sidecar-" + Origin);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var endpoint = config.ToString(includePassword: false);
            LogStarting(_logger, endpoint, _options.MaxStaleness.TotalSeconds, _options.OnStale);
        }

        try
        {
            _mux = await ConnectionMultiplexer.ConnectAsync(config);
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException)
        {
            // Unreachable with AbortOnConnectFail=false except for a configuration it cannot use: stale from here on.
            LogConnectFailed(_logger, ex);
            return;
        }

        _mux.ConnectionFailed += (_, e) =>
        {
            var wasUp = _up;
            _awaitingReconcile = true;
            SetUp(false);
            if (wasUp)
            {
                // Once per outage: the retries that follow fail the same way.
                LogConnectionFailed(_logger, e.ConnectionType.ToString(), e.FailureType.ToString());
            }
        };
        _mux.ConnectionRestored += (_, e) =>
        {
            // Connected, and not ready until the reconcile is done (readiness says "reconciling").
            _awaitingReconcile = true;
            _lastReconcileFailed = false;
            SetUp(true);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var connectionType = e.ConnectionType.ToString();
                LogConnectionRestored(_logger, connectionType);
            }

            _work.Writer.TryWrite(Work.Reconcile);
        };
        _set = new FleetRecordSet(_mux.GetDatabase());

        var heartbeat = HeartbeatLoopAsync(stoppingToken);
        _work.Writer.TryWrite(Work.Reconcile);
        try
        {
            await foreach (var work in _work.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await ProcessAsync(work);
                }
#pragma warning disable CA1031 // The loop must survive anything one item does; the next heartbeat reconciles.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _reconcileWanted = true;
                    LogWorkFailed(_logger, ex, work.Kind.ToString());
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }

        await heartbeat;
    }

    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                _work.Writer.TryWrite(Work.Heartbeat);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    private void OnLocalChange(RevocationChange change)
    {
        if (change.Kind == RevocationChangeKind.Created)
        {
            _pushWaiters[change.Record.Id] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        else
        {
            _pendingLifts[change.Record.Id] = new PendingLift(
                change.Kind == RevocationChangeKind.Expired ? FleetEvent.Expired : FleetEvent.Lifted, _time.GetUtcNow());
        }

        _work.Writer.TryWrite(new Work(WorkKind.Local, change, null));
    }

    private async Task ProcessAsync(Work work)
    {
        switch (work.Kind)
        {
            case WorkKind.Local:
                await PushLocalAsync(work.Change);
                break;
            case WorkKind.Remote:
                ApplyAnnouncement(work.Message);
                break;
            case WorkKind.Reconcile:
                await ReconcileAsync();
                break;
            default:
                await HeartbeatAsync();
                break;
        }
    }

    private async Task PushLocalAsync(RevocationChange change)
    {
        var id = change.Record.Id;
        if (_mux is not { IsConnected: true })
        {
            // Queued: the reconcile after the reconnect writes every local record the fleet does not hold.
            _reconcileWanted = true;
            Complete(id, false);
            return;
        }

        try
        {
            if (change.Kind == RevocationChangeKind.Created)
            {
                var write = await _set!.AddAsync(change.Record, Origin);
                Complete(id, !write.Tombstoned);
                if (write.Tombstoned)
                {
                    ApplyFleetChanges([], [id], FleetEvent.Lifted, "fleet", via: null);
                }

                Advance(write.Epoch, write.Version, write.Changed);
            }
            else if (_pendingLifts.TryGetValue(id, out var lift))
            {
                var write = await _set!.LiftAsync(id, lift.Type, lift.At, "sidecar", null, Origin);
                _pendingLifts.TryRemove(KeyValuePair.Create(id, lift));
                Advance(write.Epoch, write.Version, write.Changed);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _reconcileWanted = true;
            Complete(id, false);
            LogPushFailed(_logger, id, ex.GetType().Name);
        }
    }

    private void ApplyAnnouncement(string? message)
    {
        var announcement = FleetEvent.Parse(message);
        if (announcement is null)
        {
            // Not understood: the reconcile reads the set itself.
            _reconcileWanted = true;
            LogBadAnnouncement(_logger);
            return;
        }

        // Applied whatever its origin: this sidecar's own changes are already in force, so they change nothing.
        if (announcement.Type == FleetEvent.Created)
        {
            if (announcement.Record!.IsActive(_time.GetUtcNow()) && !_pendingLifts.ContainsKey(announcement.Record.Id))
            {
                ApplyFleetChanges([announcement.Record], [], FleetEvent.Created, announcement.Record.CreatedBy, "pubsub");
            }
        }
        else
        {
            ApplyFleetChanges([], [announcement.Id!], announcement.Type, announcement.By ?? "fleet", via: null);
        }

        Advance(announcement.Epoch, announcement.Version!.Value, changed: true);
    }

    private async Task HeartbeatAsync()
    {
        if (_mux is not { IsConnected: true })
        {
            SetUp(false);
            return;
        }

        if (_awaitingReconcile || _reconcileWanted || _subscription is null || !_pendingLifts.IsEmpty)
        {
            await ReconcileAsync();
            return;
        }

        try
        {
            var (epoch, version) = await _set!.ReadVersionAsync();
            SetUp(true);
            if (epoch != _applied.Epoch || version != _applied.Version)
            {
                await ReconcileAsync();
            }
            else
            {
                Interlocked.Exchange(ref _lastSync, _time.GetTimestamp());
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            SetUp(false);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var error = ex.GetType().Name;
                LogHeartbeatFailed(_logger, error);
            }
        }
    }

    private async Task ReconcileAsync()
    {
        if (_mux is not { IsConnected: true })
        {
            SetUp(false);
            return;
        }

        try
        {
            // Subscribed before reading, so nothing announced after the read is missed.
            _subscription ??= await SubscribeAsync();

            foreach (var (id, lift) in _pendingLifts)
            {
                var write = await _set!.LiftAsync(id, lift.Type, lift.At, "sidecar", null, Origin);
                _pendingLifts.TryRemove(KeyValuePair.Create(id, lift));
                Advance(write.Epoch, write.Version, write.Changed);
            }

            FleetSnapshot fleet;
            FleetPlan plan;
            var round = 0;
            while (true)
            {
                fleet = await _set!.ReadAsync();
                plan = FleetReconciler.Plan(_store.Snapshot.Records, fleet, _pendingLifts.Keys.ToHashSet(StringComparer.Ordinal), _time.GetUtcNow());
                if (plan.Push.Count == 0 || ++round > 2)
                {
                    break;
                }

                // Records made here that the fleet does not hold (made while Redis was down, or lost with its data).
                foreach (var record in plan.Push)
                {
                    var write = await _set.AddAsync(record, Origin);
                    Complete(record.Id, !write.Tombstoned);
                }

                LogPushedOnReconcile(_logger, plan.Push.Count);
            }

            ApplyFleetChanges(plan.Add, [], FleetEvent.Created, null, "reconcile");
            ApplyFleetChanges([], plan.Remove, FleetEvent.Lifted, "fleet", via: null);
            _applied = (fleet.Epoch, fleet.Version);
            Interlocked.Exchange(ref _appliedVersion, fleet.Version);
            if (fleet.InvalidRecords > 0)
            {
                LogInvalidRecords(_logger, fleet.InvalidRecords);
            }

            Interlocked.Exchange(ref _lastSync, _time.GetTimestamp());
            _reconcileWanted = false;
            _lastReconcileFailed = false;
            _everSynced = true;
            _awaitingReconcile = false;
            SetUp(true);
            _metrics.RevocationStoreReconciles.WithLabels("ok").Inc();
            LogReconciled(_logger, fleet.Version, fleet.Records.Count, plan.Add.Count, plan.Remove.Count);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _lastReconcileFailed = true;
            _reconcileWanted = true;
            _metrics.RevocationStoreReconciles.WithLabels("error").Inc();
            // A server error's text is Redis' own (a script error, NOAUTH...); connection errors are named by type only.
            LogReconcileFailed(_logger, ex.GetType().Name, ex is RedisServerException ? ex.Message : "see the connection log");
        }
    }

    private async Task<ChannelMessageQueue> SubscribeAsync()
    {
        var queue = await _mux!.GetSubscriber().SubscribeAsync(RedisChannel.Literal(FleetRecordSet.Channel));

        // One message at a time, in order, onto the loop.
        queue.OnMessage(message => _work.Writer.TryWrite(new Work(WorkKind.Remote, default, (string?)message.Message)));
        return queue;
    }

    private void ApplyFleetChanges(IReadOnlyCollection<RevocationRecord> add, IReadOnlyCollection<string> remove, string type, string? by, string? via)
    {
        if (add.Count == 0 && remove.Count == 0)
        {
            return;
        }

        var (added, removed) = _store.ApplyFleet(add, remove);
        var now = _time.GetUtcNow();
        foreach (var record in added)
        {
            var (closed, purged) = _enforcer.Apply(record);
            _audit.Changed(null, by ?? record.CreatedBy, "revocation_synced", record, 0, closed, purged);
            _metrics.RevocationFleetChanges.WithLabels(FleetEvent.Created).Inc();
            _metrics.RevocationPropagation.WithLabels(via ?? "pubsub").Observe(Math.Max(0, (now - record.CreatedAt).TotalSeconds));
        }

        foreach (var record in removed)
        {
            _audit.Changed(null, by ?? "fleet", type == FleetEvent.Expired ? "revocation_expired" : "revocation_lift_synced", record, 0);
            _metrics.RevocationFleetChanges.WithLabels(type).Inc();
        }
    }

    // Follows the set's version through consecutive changes; a gap (a lost or reordered announcement) is left to the
    // heartbeat, which sees the difference and reconciles.
    private void Advance(string? epoch, long version, bool changed)
    {
        if (changed && epoch == _applied.Epoch && version == _applied.Version + 1)
        {
            _applied = (epoch, version);
            Interlocked.Exchange(ref _appliedVersion, version);
        }
    }

    private void Complete(string id, bool pushed)
    {
        if (_pushWaiters.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(pushed);
        }
    }

    private void SetUp(bool up)
    {
        _up = up;
        _metrics.RevocationStoreUp.Set(up ? 1 : 0);
    }

    private readonly record struct PendingLift(string Type, DateTimeOffset At);

    private enum WorkKind
    {
        Local,
        Remote,
        Reconcile,
        Heartbeat,
    }

    private sealed record Work(WorkKind Kind, RevocationChange Change, string? Message)
    {
        public static readonly Work Reconcile = new(WorkKind.Reconcile, default, null);
        public static readonly Work Heartbeat = new(WorkKind.Heartbeat, default, null);
    }

    [LoggerMessage(EventId = 12020, Level = LogLevel.Information,
        Message = "Fleet revocations: syncing with Redis at {Endpoint} (max staleness {MaxStaleness} s, on stale: {OnStale})")]
    private static partial void LogStarting(ILogger logger, string endpoint, double maxStaleness, string onStale);

    [LoggerMessage(EventId = 12021, Level = LogLevel.Error, Message = "Fleet revocations: cannot use the Redis configuration")]
    private static partial void LogConnectFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 12022, Level = LogLevel.Warning,
        Message = "Fleet revocations: Redis connection lost ({ConnectionType}, {FailureType}); the known revocations stay enforced")]
    private static partial void LogConnectionFailed(ILogger logger, string connectionType, string failureType);

    [LoggerMessage(EventId = 12023, Level = LogLevel.Information, Message = "Fleet revocations: Redis connection restored ({ConnectionType}); reconciling")]
    private static partial void LogConnectionRestored(ILogger logger, string connectionType);

    [LoggerMessage(EventId = 12024, Level = LogLevel.Information,
        Message = "Fleet revocations reconciled at version {Version}: {Count} record(s) in the set, {Added} added here, {Removed} removed here")]
    private static partial void LogReconciled(ILogger logger, long version, int count, int added, int removed);

    [LoggerMessage(EventId = 12025, Level = LogLevel.Warning, Message = "Fleet revocations: reconcile failed ({Error}: {Message}); retrying")]
    private static partial void LogReconcileFailed(ILogger logger, string error, string message);

    [LoggerMessage(EventId = 12026, Level = LogLevel.Warning, Message = "Fleet revocations: could not write {RecordId} to Redis ({Error}); it is written on the next reconcile")]
    private static partial void LogPushFailed(ILogger logger, string recordId, string error);

    [LoggerMessage(EventId = 12027, Level = LogLevel.Warning, Message = "Fleet revocations: an announcement could not be read; reconciling")]
    private static partial void LogBadAnnouncement(ILogger logger);

    [LoggerMessage(EventId = 12028, Level = LogLevel.Debug, Message = "Fleet revocations: heartbeat failed ({Error})")]
    private static partial void LogHeartbeatFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 12029, Level = LogLevel.Error, Message = "Fleet revocations: {Count} record(s) in Redis are not valid records and are ignored")]
    private static partial void LogInvalidRecords(ILogger logger, int count);

    [LoggerMessage(EventId = 12030, Level = LogLevel.Information, Message = "Fleet revocations: wrote {Count} record(s) known here that the fleet's set did not hold")]
    private static partial void LogPushedOnReconcile(ILogger logger, int count);

    [LoggerMessage(EventId = 12031, Level = LogLevel.Error, Message = "Fleet revocations: {Work} failed; reconciling on the next heartbeat")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception, string work);
}
