using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Identity.WorkloadApi.Protocol;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// The sidecar's identity from the SPIFFE Workload API: holds <c>FetchX509SVID</c> open, applies every message the
/// agent pushes as a new snapshot (new certificate for new handshakes, new bundles for new validations), and when
/// the stream breaks keeps the last SVID while it reconnects with bounded, jittered backoff.
/// </summary>
internal sealed class WorkloadApiIdentitySource : IIdentityMaterialSource, IIdentityReloadStatus, IHostedService, IDisposable
{
    // Required by the Workload Endpoint spec on every call: proves the request was made on purpose by a workload,
    // not smuggled in by an SSRF through some HTTP client that happens to reach the socket.
    private static readonly Metadata SecurityHeader = new() { { "workload.spiffe.io", "true" } };

    private readonly WorkloadApiOptions _options;
    private readonly WorkloadApiAddress _address;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ReconnectBackoff _backoff;
    private readonly TaskCompletionSource _firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private WorkloadApiSnapshot? _snapshot;
    private long _refused;
    private Task? _watch;

    public WorkloadApiIdentitySource(
        IOptions<WorkloadApiOptions> options,
        TimeProvider timeProvider,
        ILogger<WorkloadApiIdentitySource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        if (!WorkloadApiAddress.TryParse(_options.WorkloadApi, out var address, out var error))
        {
            throw new OptionsValidationException(WorkloadApiOptions.SectionName, typeof(WorkloadApiOptions), [error!]);
        }

        _address = address!;
        _time = timeProvider;
        _logger = logger;
        _backoff = new ReconnectBackoff(_options.WorkloadApiInitialBackoff, _options.WorkloadApiMaxBackoff);
    }

    /// <inheritdoc />
    public IdentityMaterial? Current => Snapshot?.Material;

    /// <summary>The applied snapshot with the sidecar's SPIFFE ID and validity, or null before the first SVID.</summary>
    public WorkloadApiSnapshot? Snapshot => Volatile.Read(ref _snapshot);

    /// <inheritdoc />
    public event Action<IdentityMaterial>? Changed;

    /// <inheritdoc />
    public string SourceName => "workload_api";

    /// <inheritdoc />
    public long ReloadFailureCount => Interlocked.Read(ref _refused);

    /// <inheritdoc />
    public event Action<string>? ReloadFailed;

    /// <summary>True while the current SVID is within its validity period.</summary>
    public bool IsReady => ReadinessReason == WorkloadApiReadiness.Ready;

    /// <summary>A <see cref="WorkloadApiReadiness"/> code: why the source is or is not ready.</summary>
    public string ReadinessReason
    {
        get
        {
            var snapshot = Snapshot;
            if (snapshot is null)
            {
                return WorkloadApiReadiness.NoSvid;
            }

            var now = _time.GetUtcNow();
            if (now > snapshot.NotAfter)
            {
                return WorkloadApiReadiness.SvidExpired;
            }

            return now < snapshot.NotBefore ? WorkloadApiReadiness.SvidNotYetValid : WorkloadApiReadiness.Ready;
        }
    }

    /// <summary>Completes when the first SVID has been applied.</summary>
    public Task WhenFirstSvidAsync(CancellationToken cancellationToken) => _firstSnapshot.Task.WaitAsync(cancellationToken);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _watch = Task.Run(() => WatchAsync(_stopping.Token), CancellationToken.None);

        // Waiting here lets the TLS listener come up with a certificate in the usual case. Not getting one is not
        // fatal: the agent may start after us (compose, pods), and readiness reports it meanwhile.
        if (_options.WorkloadApiStartupWait > TimeSpan.Zero)
        {
            try
            {
                await _firstSnapshot.Task.WaitAsync(_options.WorkloadApiStartupWait, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                WorkloadApiLog.NoSvidAtStartup(_logger, _options.WorkloadApiStartupWait);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_watch is not null)
        {
            await _watch.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task WatchAsync(CancellationToken stopping)
    {
        using var channel = WorkloadApiChannel.Create(_address);
        var client = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(channel);
        WorkloadApiLog.Watching(_logger, _address);

        while (!stopping.IsCancellationRequested)
        {
            try
            {
                using var call = client.FetchX509SVID(new X509SVIDRequest(), SecurityHeader, cancellationToken: stopping);
                await foreach (var response in call.ResponseStream.ReadAllAsync(stopping))
                {
                    // The agent answered: whatever went wrong before is over, so the next break starts small again.
                    _backoff.Reset();
                    Apply(response);
                }

                WorkloadApiLog.StreamEnded(_logger);
            }
#pragma warning disable CA1031 // Shutting down: gRPC reports our own cancellation as RpcException(Cancelled) or OperationCanceledException.
            catch (Exception) when (stopping.IsCancellationRequested)
#pragma warning restore CA1031
            {
                return;
            }
            catch (RpcException ex)
            {
                WorkloadApiLog.StreamFailed(_logger, ex.StatusCode, ex.Status.Detail);
            }
#pragma warning disable CA1031 // The watch must outlive any failure: giving up leaves the sidecar to expire.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                WorkloadApiLog.ConnectionFailed(_logger, ex.GetType().Name);
            }

            var delay = _backoff.Next();
            WorkloadApiLog.Reconnecting(_logger, delay);
            try
            {
                await Task.Delay(delay, _time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Apply(X509SVIDResponse response)
    {
        SvidUpdateError error;
        WorkloadApiSnapshot? snapshot;
        try
        {
            error = X509SvidResponseConverter.TryConvert(response, _time.GetUtcNow(), out snapshot);
        }
#pragma warning disable CA1031 // Parsers throw more than they document; a message nobody can read is refused, not fatal.
        catch (Exception)
#pragma warning restore CA1031
        {
            error = SvidUpdateError.Unreadable;
            snapshot = null;
        }

        if (error != SvidUpdateError.None)
        {
            WorkloadApiLog.UpdateRefused(_logger, error);
            Interlocked.Increment(ref _refused);
            ReloadFailed?.Invoke(error.ToString());
            return;
        }

        // Every reconnect starts with the agent's full current state; the same content again is not a change, and
        // consumers should not rebuild TLS contexts for it.
        if (Snapshot is { } previous && previous.Revision == snapshot!.Revision)
        {
            snapshot.Material.ServerCertificate.Dispose();
            return;
        }

        if (response.Svids.Count > 1)
        {
            WorkloadApiLog.SeveralSvids(_logger, response.Svids.Count, snapshot!.SpiffeId);
        }

        Volatile.Write(ref _snapshot, snapshot);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var trustDomains = string.Join(", ", snapshot!.Material.Bundles.Keys.Order(StringComparer.Ordinal));
            WorkloadApiLog.SvidApplied(_logger, snapshot.SpiffeId, snapshot.Fingerprint, snapshot.NotAfter, trustDomains);
        }

        _firstSnapshot.TrySetResult();
        RaiseChanged(snapshot!.Material);
    }

    private void RaiseChanged(IdentityMaterial material)
    {
        if (Changed is not { } handlers)
        {
            return;
        }

        // One failing consumer must not keep the others on stale material, nor stop the watch.
        foreach (var handler in handlers.GetInvocationList().Cast<Action<IdentityMaterial>>())
        {
            try
            {
                handler(material);
            }
#pragma warning disable CA1031 // Consumer code of any kind; logged and isolated.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                WorkloadApiLog.ChangedHandlerFailed(_logger, ex);
            }
        }
    }
}
